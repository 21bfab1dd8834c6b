package cli

import (
	"context"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/breakwater-dev/breakwater"
)

func newVersionCmd() *command {
	c := &command{name: "version", summary: "Print the version of breakwater (also: breakwater --version)"}
	c.flags = newFlagSet(c)
	c.run = func(ctx context.Context, env Env, args []string) error {
		_, err := fmt.Fprintf(env.Stdout, "breakwater %s\n", env.Version)
		return err
	}
	return c
}

// Version is the version the binary reports: the one stamped at build time
// (-ldflags "-X main.version=v1.2.3", as releases are built); else the
// module's, when `go install …@v1.2.3` built it; else the VERSION file's,
// marked as a development build with the commit it was built from.
func Version(stamped string) string {
	info, _ := debug.ReadBuildInfo()
	return resolveVersion(stamped, info, breakwater.VersionFile())
}

// releaseVersion is a module version that is a release, not a
// pseudo-version made from a commit ("v0.0.0-20250101120000-abcdef123456")
// or a build of a modified checkout ("+dirty").
var (
	releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	pseudoVersion  = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)
)

func resolveVersion(stamped string, info *debug.BuildInfo, file string) string {
	if stamped != "" {
		return stamped
	}
	if info != nil {
		if v := info.Main.Version; releaseVersion.MatchString(v) && !pseudoVersion.MatchString(v) {
			return v
		}
	}
	v := "v" + strings.TrimPrefix(strings.TrimSpace(file), "v") + "-dev"
	if info == nil {
		return v
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		v += "+" + rev[:min(len(rev), 12)]
		if modified {
			v += ".dirty"
		}
	}
	return v
}
