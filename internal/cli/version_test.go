package cli

import (
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name, stamped string
		info          *debug.BuildInfo
		want          string
	}{
		{"stamped by the release build", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "v1.2.3"},
		{"go install …@v0.2.0", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}}, "v0.2.0"},
		{"go install …@v0.2.0-rc.1", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0-rc.1"}}, "v0.2.0-rc.1"},
		{"go build in a checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "false")}, "v0.1.0-dev+0123456789ab"},
		{"go build of a modified checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.1.1-0.20250601120000-0123456789ab+dirty"}, Settings: vcs("0123456789abcdef0123", "true")}, "v0.1.0-dev+0123456789ab.dirty"},
		{"a pseudo-version is no release", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20250601120000-0123456789ab"}}, "v0.1.0-dev"},
		{"no build information", "", nil, "v0.1.0-dev"},
	} {
		if got := resolveVersion(tc.stamped, tc.info, "0.1.0\n"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
