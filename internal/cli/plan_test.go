package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/cli"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
	"github.com/breakwater-dev/breakwater/internal/trayplan/trayplantest"
)

// runWith runs the command line in process with the given environment.
func runWith(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return vars[k] },
		Version: "v0.0.0-test", Dir: t.TempDir(),
	}
	code := cli.Run(context.Background(), args, env)
	return result{int(code), out.String(), errb.String()}
}

type planJSON struct {
	Mode      string              `json:"mode"`
	Counts    map[plan.Action]int `json:"counts"`
	Instances []struct {
		ID, Owner    string
		Enabled      bool
		Action       plan.Action
		AuthValues   []plan.AuthValue   `json:"authValues"`
		ConfigValues []plan.ConfigValue `json:"configValues"`
		Reason       string
	} `json:"instances"`
}

// TestPlanCommand: `breakwater plan` reads thousands of paginated
// instances of the strict fake Tray and prescribes, instance by instance,
// what the oracle says: from the flags alone, and predicted from BASE and
// HEAD. It changes nothing at Tray.
func TestPlanCommand(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := trayplantest.Seed(s, "sol-crm", 3000, 80)
	vars := map[string]string{cli.EnvTrayToken: s.MasterToken(), cli.EnvTrayURL: s.GraphQLURL()}

	dir := t.TempDir()
	base, head := trayplantest.Pair()
	for side, data := range map[string][]byte{"base": base, "head": head} {
		p := filepath.Join(dir, side, "solution.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		args   []string
		mode   string
		oracle func(id string) plan.Action
	}{
		{"flags", []string{"plan", "--solution-id", "sol-crm", "--format", "json"}, "flags",
			func(id string) plan.Action { return trayplantest.ByFlags(s.FlagsOf(id)) }},
		{"prediction", []string{"plan", "--solution-id", "sol-crm", "--format", "json", filepath.Join(dir, "base"), filepath.Join(dir, "head")}, "prediction",
			func(id string) plan.Action { in, _ := s.Instance(id); return trayplantest.Predicted(in) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, vars, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var doc planJSON
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Mode != tc.mode || len(doc.Instances) != len(ids) {
				t.Fatalf("mode %s with %d instances, want %s with %d", doc.Mode, len(doc.Instances), tc.mode, len(ids))
			}
			counts := map[plan.Action]int{}
			for _, in := range doc.Instances {
				fake, _ := s.Instance(in.ID)
				if want := tc.oracle(in.ID); in.Action != want || in.Owner != fake.Owner || in.Enabled != fake.Enabled || in.Reason == "" {
					t.Errorf("%s: %s owner %s enabled %v, want %s owner %s enabled %v", in.ID, in.Action, in.Owner, in.Enabled, want, fake.Owner, fake.Enabled)
				}
				if in.Enabled {
					counts[in.Action]++
				}
			}
			for _, a := range plan.Actions {
				if doc.Counts[a] != counts[a] {
					t.Errorf("counts[%s] = %d, the instances say %d", a, doc.Counts[a], counts[a])
				}
			}
		})
	}
	if n := s.CallCount("upgradeSolutionInstance"); n != 0 {
		t.Errorf("plan made %d upgrades: it must be read-only", n)
	}

	text := runWith(t, vars, "plan", "--solution-id", "sol-crm")
	if text.code != 0 || !strings.Contains(text.stdout, "user-input") || !strings.Contains(text.stdout, "OWNERS: USER-INPUT") {
		t.Errorf("text plan: exit %d\n%s%s", text.code, text.stdout, text.stderr)
	}
	md := runWith(t, vars, "plan", "--solution-id", "sol-crm", "--format", "markdown")
	if md.code != 0 || !strings.Contains(md.stdout, "| `user-input` |") || !strings.Contains(md.stdout, "<details>") {
		t.Errorf("markdown plan: exit %d\n%s%s", md.code, md.stdout, md.stderr)
	}
}

func TestPlanCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{map[string]string{}, []string{"plan", "--solution-id", "s"}, cli.EnvTrayToken},
		{map[string]string{cli.EnvTrayToken: "t"}, []string{"plan"}, "--solution-id"},
		{map[string]string{cli.EnvTrayToken: "t"}, []string{"plan", "--solution-id", "s", "--format", "sarif"}, "unknown --format"},
		{map[string]string{cli.EnvTrayToken: "t"}, []string{"plan", "--solution-id", "s", "only-one"}, "BASE and HEAD"},
		{map[string]string{cli.EnvTrayToken: "t"}, []string{"plan", "--solution-id", "s", "--published"}, "--published needs"},
	} {
		r := runWith(t, tc.vars, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "\"t\"") {
			t.Errorf("%v: the token reached the output: %s", tc.args, r.stderr)
		}
	}
}
