package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/cli"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// rolloutEnv runs the command line in process with the variables vars and
// stdout a terminal when tty is set.
func rolloutEnv(t *testing.T, vars map[string]string, tty bool, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] }, Version: "v0.0.0-test", Dir: "../..",
		IsTerminal: func(w io.Writer) bool { return tty && w == &out },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Run(ctx, args, env)
	return result{int(code), out.String(), errb.String()}
}

// recordVersions records crm-sync 1.0.0 and 2.0.0 (whose change record
// re-creates the CRM auth slot and adds a hidden config slot) deployed to
// production, as the release path does.
func recordVersions(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := `{"breaking":true,"authChanges":true,"findings":[
		{"rule":"tray/auth-slot-recreated","severity":"breaking","category":"auth","upgrade":"system-input","path":"x.json","message":"re-created","fingerprint":"f1",
		 "slot":{"kind":"auth","externalId":"crm_auth","change":"recreated","required":true}},
		{"rule":"tray/config-slot-added-required","severity":"breaking","category":"config","upgrade":"system-input","path":"x.json","message":"new","fingerprint":"f2",
		 "slot":{"kind":"config","externalId":"region","change":"added","hidden":true,"required":true}}]}`
	base := time.Now().Add(-48 * time.Hour)
	for i, v := range []string{"1.0.0", "2.0.0"} {
		r := `{"findings":[]}`
		if v == "2.0.0" {
			r = rec
		}
		at := base.Add(time.Duration(i) * 24 * time.Hour)
		if err := st.RecordVersion(ctx, store.Version{Package: "crm-sync", Version: v, ChangeRecord: json.RawMessage(r),
			SignatureDigest: "sha512-" + v, Changes: store.ChangeSummary{Breaking: v == "2.0.0", Auth: v == "2.0.0"}, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkDeployed(ctx, "crm-sync", v, "production", at); err != nil {
			t.Fatal(err)
		}
	}
}

// rolloutSettings are the pacing recorded for crm-sync's rollouts to
// production.
func rolloutSettings(t *testing.T, url string) rollout.Settings {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := rollout.New(rollout.Options{Targets: rollout.TargetsFunc(func(context.Context, string, string) (rollout.Target, error) {
		return rollout.Target{}, nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	eng.Bind(st)
	s, err := eng.SettingsOf(ctx, "crm-sync", "production")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRolloutCommands: start, work, status, versions and retire, through
// the command line, against the strict fake Tray.
func TestRolloutCommands(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := s.Generate("sol", 96, traytest.GenerateOptions{})
	url := storetest.SQLiteURL(t)
	recordVersions(t, url)
	vars := map[string]string{"BREAKWATER_TRAY_TOKEN": s.MasterToken(), "NO_COLOR": "1", "REGION": `"eu-central"`}
	common := []string{"--database", url, "--package", "crm-sync", "--tray-url", s.GraphQLURL(), "--solution-id", "sol"}
	with := func(args ...string) []string { return append(args, common...) }

	cfg := filepath.Join(t.TempDir(), "breakwater.yml")
	if err := os.WriteFile(cfg, []byte("rollout:\n  concurrency: 2\n  rate-limit: 400\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rolloutEnv(t, vars, false, with("rollout", "start", "2.0.0", "--value-env", "region=REGION", "--config", cfg)...)
	if r.code != 0 || !strings.Contains(r.stdout, "96 instances planned") || !strings.Contains(r.stdout, "auth-resync") {
		t.Fatalf("rollout start: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The configuration's rollout section paces the rollout's workers.
	if got, want := rolloutSettings(t, url), (rollout.Settings{Concurrency: 2, RateLimit: 400}); got != want {
		t.Fatalf("rollout start --config recorded %+v, want %+v", got, want)
	}
	// Without a configuration file, what was recorded stays.
	if r := rolloutEnv(t, vars, false, with("rollout", "start", "2.0.0", "--value-env", "region=REGION")...); r.code != 0 || !strings.Contains(r.stdout, "exists already") {
		t.Fatalf("rollout start again: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got, want := rolloutSettings(t, url), (rollout.Settings{Concurrency: 2, RateLimit: 400}); got != want {
		t.Fatalf("rollout start without a configuration file recorded %+v, want %+v kept", got, want)
	}
	r = rolloutEnv(t, vars, false, "rollout", "status", "--database", url, "--package", "crm-sync")
	if r.code != 0 || !strings.Contains(r.stdout, "crm-sync@2.0.0 → production") || !strings.Contains(r.stdout, "pending") {
		t.Fatalf("status before work: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = rolloutEnv(t, vars, false, "rollout", "work", "--exit-when-done", "--value-env", "region=REGION", "--rate-limit", "500",
		"--database", url, "--tray-url", s.GraphQLURL(), "--solution-id", "sol")
	if r.code != 0 {
		t.Fatalf("rollout work: %d\n%s", r.code, r.stderr)
	}
	r = rolloutEnv(t, vars, false, "rollout", "status", "2.0.0", "--json", "--database", url, "--package", "crm-sync")
	var p struct {
		Done      bool           `json:"done"`
		Total     int            `json:"total"`
		Remaining int            `json:"remaining"`
		Counts    map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || !p.Done || p.Total != 96 || p.Remaining != 0 || p.Counts["failed"] != 0 {
		t.Fatalf("status --json: %v %+v\n%s", err, p, r.stdout)
	}
	upgraded := 0
	for _, id := range ids {
		switch s.Upgrades(id, 2) {
		case 0:
		case 1:
			upgraded++
		default:
			t.Errorf("%s upgraded %d times", id, s.Upgrades(id, 2))
		}
	}
	if upgraded != p.Counts["upgraded"]+p.Counts["needs-user"] || upgraded == 0 {
		t.Fatalf("%d upgrades at Tray, the store says %v", upgraded, p.Counts)
	}

	// In a terminal: the bar, drawn in place, with colours unless NO_COLOR.
	r = rolloutEnv(t, map[string]string{}, true, "rollout", "status", "--database", url, "--package", "crm-sync")
	if !strings.Contains(r.stdout, "\r\x1b[K") || !strings.Contains(r.stdout, "█") || !strings.Contains(r.stdout, "\x1b[32mupgraded") {
		t.Fatalf("terminal status: %q", r.stdout)
	}
	r = rolloutEnv(t, vars, true, "rollout", "status", "--database", url, "--package", "crm-sync")
	if strings.Contains(r.stdout, "\x1b[32m") || !strings.Contains(r.stdout, "100%") {
		t.Fatalf("terminal status with NO_COLOR: %q", r.stdout)
	}

	// Versions: 2.0.0 is current; 1.0.0 still runs on the instances Tray
	// upgrades by itself (lazy) and the disabled ones.
	r = rolloutEnv(t, vars, false, with("versions", "list", "--count")...)
	if r.code != 0 || !strings.Contains(r.stdout, "2.0.0") || !strings.Contains(r.stdout, "(current)") || !strings.Contains(r.stdout, "breaking, auth") {
		t.Fatalf("versions list: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = rolloutEnv(t, vars, false, with("versions", "get", "2.0.0", "--json")...)
	var v struct {
		Version         string          `json:"version"`
		SignatureDigest string          `json:"signatureDigest"`
		ChangeRecord    json.RawMessage `json:"changeRecord"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != "2.0.0" || v.SignatureDigest != "sha512-2.0.0" || !strings.Contains(string(v.ChangeRecord), "crm_auth") {
		t.Fatalf("versions get --json: %v\n%s", err, r.stdout)
	}
	r = rolloutEnv(t, vars, false, with("versions", "retire", "1.0.0", "--interval", "10ms")...)
	if r.code != 1 || !strings.Contains(r.stdout, "not retired") || !strings.Contains(r.stdout, "runs it") {
		t.Fatalf("versions retire with instances on it: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = rolloutEnv(t, vars, false, with("versions", "retire", "2.0.0")...)
	if r.code != 1 || !strings.Contains(r.stdout, "current version of environment production") {
		t.Fatalf("versions retire current: %d\n%s", r.code, r.stdout)
	}
}

func TestRolloutCommandErrors(t *testing.T) {
	url := storetest.SQLiteURL(t)
	badConfig := filepath.Join(t.TempDir(), "breakwater.yml")
	if err := os.WriteFile(badConfig, []byte("rollout:\n  concurrency: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no package", nil, []string{"rollout", "start", "1.0.0", "--database", url}, "--package is required"},
		{"no version", nil, []string{"rollout", "start", "--database", url, "--package", "p"}, "needs the VERSION"},
		{"no token", nil, []string{"rollout", "start", "1.0.0", "--database", url, "--package", "p", "--solution-id", "s"}, "set $BREAKWATER_TRAY_TOKEN"},
		{"no solution", map[string]string{"BREAKWATER_TRAY_TOKEN": "t"}, []string{"rollout", "start", "1.0.0", "--database", url, "--package", "p"}, "give --solution-id"},
		{"value not JSON", nil, []string{"rollout", "start", "1.0.0", "--database", url, "--package", "p", "--value", "region=eu"}, `a string needs quotes: region="eu"`},
		{"secret unset", nil, []string{"rollout", "start", "1.0.0", "--database", url, "--package", "p", "--value-env", "region=NOPE"}, "$NOPE is empty or unset"},
		{"slot twice", nil, []string{"rollout", "start", "1.0.0", "--database", url, "--package", "p", "--value", "a=1", "--value", "a=2"}, `slot "a" is given twice`},
		{"invalid rollout section", nil, []string{"rollout", "start", "1.0.0", "--database", url, "--package", "p", "--config", badConfig}, "rollout.concurrency must be at least 1"},
		{"package to rollout work", nil, []string{"rollout", "work", "--database", url, "--package", "p"}, "flag provided but not defined: --package"},
		{"no rollout", nil, []string{"rollout", "status", "--database", url, "--package", "p"}, "no rollout of p"},
		{"unknown version", nil, []string{"versions", "get", "9.9.9", "--database", url, "--package", "p"}, "not recorded"},
		{"bad database", nil, []string{"versions", "list", "--database", "mysql://x", "--package", "p"}, "mysql"},
		{"group without subcommand", nil, []string{"versions"}, "versions needs a subcommand: list, get, retire"},
		// versions never upgrades anything: the upgrade flags are not its own.
		{"versions takes no concurrency", nil, []string{"versions", "list", "--database", url, "--package", "p", "--concurrency", "8"}, "flag provided but not defined: --concurrency"},
		{"versions takes no as-owner", nil, []string{"versions", "retire", "1.0.0", "--database", url, "--package", "p", "--as-owner"}, "flag provided but not defined: --as-owner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rolloutEnv(t, tc.vars, false, tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}
