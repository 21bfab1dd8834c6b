package release_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/runtime/runtimetest"
)

// manifests are published releases' manifests, by version; reads records
// what was asked.
type manifests struct {
	byVersion map[string]*release.Manifest
	reads     []string
}

func (m *manifests) Manifest(_ context.Context, name, version string) (*release.Manifest, error) {
	m.reads = append(m.reads, name+"@"+version)
	if got, ok := m.byVersion[version]; ok {
		return got, nil
	}
	return nil, fmt.Errorf("the registry has no %s@%s", name, version)
}

// published is 1.15.0 → 1.16.0 (config only) → 1.17.0 (a new auth scope)
// → 1.18.0 (config only).
func published() *manifests {
	m := func(v, prev string, rec *change.Record) *release.Manifest {
		return &release.Manifest{Package: pkg, NPM: "@octo-org/vnext.account", Version: v, PreviousVersion: prev, Changes: rec}
	}
	return &manifests{byVersion: map[string]*release.Manifest{
		"1.15.0": m("1.15.0", "", nil),
		"1.16.0": m("1.16.0", "1.15.0", configOnly()),
		"1.17.0": m("1.17.0", "1.16.0", authBreaking()),
		"1.18.0": m("1.18.0", "1.17.0", configOnly()),
	}}
}

// A rollback by hand obeys the auth rule of the automatic one: it finds
// the version that runs, reads the manifests of the releases between, and
// refuses across an auth break — with the findings and what to do —
// unless a person allows it; what cannot be checked is refused too.
func TestRollbackChecksTheAuthRule(t *testing.T) {
	cases := []struct {
		name     string
		to       string
		from     string // as given; "" finds it among the deployments
		deployed []string
		allow    bool
		noReg    bool
		reads    []string
		refused  string // in the error; "" for a rollback that happens
		authRefs int
		warning  string
	}{
		{name: "below the auth break", to: "1.17.0", from: "1.18.0", reads: []string{"1.18.0"}},
		{name: "across the auth break", to: "1.16.0", from: "1.18.0", reads: []string{"1.18.0", "1.17.0"},
			refused: "refused: test runs 1.18.0 (as given): 1 auth-breaking change(s) between 1.16.0 and 1.18.0", authRefs: 1},
		{name: "across it, allowed by a person", to: "1.16.0", from: "1.18.0", allow: true, reads: []string{"1.18.0", "1.17.0"},
			warning: "rolled back anyway because --allow-auth-break was given: tray/auth-scopes-added"},
		{name: "the newest deployment says what runs, a failed one too", to: "1.16.0", deployed: []string{"1.16.0 success", "1.17.0 failure"},
			reads: []string{"1.17.0"}, refused: "refused: test runs 1.17.0 (deployment ", authRefs: 1},
		{name: "other packages' deployments do not count", to: "1.17.0", deployed: []string{"1.18.0 success", "other:2.0.0 success"}, reads: []string{"1.18.0"}},
		{name: "to what runs crosses nothing", to: "1.17.0", from: "1.17.0"},
		{name: "a release missing from the registry fails closed", to: "1.14.0", from: "1.16.0", reads: []string{"1.16.0", "1.15.0"},
			refused: "the auth rule cannot be checked, so nothing was rolled back: 1.15.0 is the first release and 1.14.0 is not a release before it"},
		{name: "unchecked, allowed by a person", to: "1.14.0", from: "1.16.0", allow: true, reads: []string{"1.16.0", "1.15.0"},
			warning: "the auth rule could not be checked"},
		{name: "without a registry token it cannot be checked", to: "1.16.0", from: "1.17.0", noReg: true,
			refused: "there is no registry token to read the release manifests with"},
		{name: "without GitHub the version that runs must be given", to: "1.16.0", refused: "give --from VERSION"},
		{name: "unknown, allowed by a person", to: "1.16.0", allow: true, warning: "the auth rule could not be checked (which version test runs is unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			fake, client := newRuntime(t, runtimetest.PublishPackage)
			// The version to go back to ran once (the runtime rolls back
			// only to such a version).
			if _, err := client.Deploy(ctx, runtime.Target{Package: pkg, Version: tc.to, BundleDigest: "sha256:" + strings.Repeat("ab", 32)}); err != nil {
				t.Fatal(err)
			}
			before := len(fake.Calls())
			env := runtimeEnv("test", false, fake.URL)
			gh := newGitHub(t)
			repo := githubapi.Repo{Owner: "octo-org", Name: "integrations"}
			for _, d := range tc.deployed {
				v, state, _ := strings.Cut(d, " ")
				p := pkg
				if name, version, ok := strings.Cut(v, ":"); ok {
					p, v = name, version
				}
				dep, _, err := gh.client.EnsureDeployment(ctx, repo, githubapi.NewDeployment{Ref: "v1.16.0", Environment: "test",
					Payload: githubapi.DeploymentPayload{Package: p, Version: v}})
				if err != nil {
					t.Fatal(err)
				}
				if err := gh.client.SetDeploymentStatus(ctx, repo, dep.ID, githubapi.DeploymentStatus{State: state}); err != nil {
					t.Fatal(err)
				}
			}
			reg := published()
			check := release.RollbackCheckStep{Env: env, From: tc.from, AllowAuthBreak: tc.allow}
			if !tc.noReg {
				check.Manifests = reg
			}
			if tc.deployed != nil {
				check.History = gh.client
			}
			r := &release.Release{Repo: repo, Package: release.Package{Runtime: pkg, NPM: "@octo-org/vnext.account"},
				Tag: "v" + tc.to, Version: tc.to, Rollback: true, Secrets: allSecrets}
			err := release.Run(ctx, r, []release.Step{check, release.RollbackStep{Env: env, Runtime: client}})

			var wantReads []string
			for _, v := range tc.reads {
				wantReads = append(wantReads, "@octo-org/vnext.account@"+v)
			}
			if diff := cmp.Diff(wantReads, reg.reads); diff != "" {
				t.Errorf("manifests read (-want +got):\n%s", diff)
			}
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("Run = %v, want a refusal with %q", err, tc.refused)
				}
				if n := len(fake.Calls()) - before; n != 0 {
					t.Errorf("the refused rollback sent %d runtime requests", n)
				}
				if r.Records[1].Status != release.StatusSkipped {
					t.Errorf("the rollback step = %+v, want skipped", r.Records[1])
				}
				if tc.authRefs > 0 || strings.Contains(tc.refused, "cannot be checked") {
					d := r.Deploys[0]
					steps := strings.Join(d.ManualSteps, "\n")
					if d.Outcome != release.OutcomeRollbackRefused || len(d.AuthFindings) != tc.authRefs ||
						!strings.Contains(steps, "breakwater rollback --environment test --version "+tc.to+" --allow-auth-break") {
						t.Errorf("the refusal lacks the findings or what to do: %+v", d)
					}
					if s := release.Summary(r); !strings.Contains(s, "What to do") || !strings.Contains(s, "`breakwater rollback --environment test --version "+tc.to+" --allow-auth-break`") {
						t.Errorf("the summary lacks what to do:\n%s", s)
					}
				}
				assertNoSecret(t, releaseOutputs(r, err)...)
				return
			}
			if err != nil {
				t.Fatalf("Run = %v\n%s", err, release.Text(r))
			}
			if got := history(fake); !cmp.Equal(got, []string{"deploy " + tc.to, "rollback " + tc.to}) {
				t.Errorf("runtime history %q, want the rollback to %s", got, tc.to)
			}
			if warned := strings.Join(r.Warnings, "\n"); (tc.warning == "") != (warned == "") || !strings.Contains(warned, tc.warning) {
				t.Errorf("warnings %q, want %q", r.Warnings, tc.warning)
			}
			known := tc.from != "" || tc.deployed != nil
			if known && (r.Previous == nil || (tc.from != "" && r.Previous.Version != tc.from)) {
				t.Errorf("the version that ran before is %+v", r.Previous)
			}
			assertNoSecret(t, releaseOutputs(r, err)...)
		})
	}
}
