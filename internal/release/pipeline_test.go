package release_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/runtime/runtimetest"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

// earlier lists the bundles GitHub's attestation store holds for a digest.
func earlier(gh *github) func(ctx context.Context, sha256 string) ([][]byte, error) {
	return func(ctx context.Context, sha256 string) ([][]byte, error) {
		atts, err := gh.client.Attestations(ctx, githubapi.Repo{Owner: "octo-org", Name: "integrations"}, "sha256:"+sha256)
		var out [][]byte
		for _, a := range atts {
			out = append(out, a.Bundle)
		}
		return out, err
	}
}

// The steps after packaging, against the strict fake GitHub and two fake
// runtimes: test then prod. A second run of the same release changes
// nothing: it reuses the signature, finds the attestation, the asset and
// the deployments, and sends no runtime request.
func TestReleaseStepsAndRerun(t *testing.T) {
	gh := newGitHub(t)
	relID := gh.repo.AddRelease("v1.17.0", "v1.17.0", false)
	testRT, testClient := newRuntime(t, runtimetest.PublishPackage)
	prodRT, prodClient := newRuntime(t, runtimetest.APIPackage)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	policy := signing.Policy{PublicKey: &key.PublicKey}
	// prod ran 1.16.0 before.
	old, _, err := gh.client.EnsureDeployment(context.Background(), githubapi.Repo{Owner: "octo-org", Name: "integrations"}, githubapi.NewDeployment{
		Ref: "v1.16.0", Environment: "prod", Production: true, Payload: githubapi.DeploymentPayload{Package: pkg, Version: "1.16.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := gh.client.SetDeploymentStatus(context.Background(), githubapi.Repo{Owner: "octo-org", Name: "integrations"}, old.ID, githubapi.DeploymentStatus{State: "success"}); err != nil {
		t.Fatal(err)
	}

	var summaries []string
	run := func() *release.Release {
		r, _ := signedRelease(t, configOnly())
		r.Signature, r.Bundle, r.BundleDigest, r.Verified, r.Records = nil, nil, "", nil, nil
		steps := []release.Step{
			release.SignStep{Key: signing.CryptoSigner(key), Earlier: earlier(gh), ReusePolicy: policy},
			release.VerifyStep{Policy: policy},
			release.AttachStep{GitHub: gh.client},
			release.DeployStep{Env: runtimeEnv("test", false, testRT.URL), Runtime: testClient, Tracker: gh.client, LogURL: "https://github.com/octo-org/integrations/actions/runs/1"},
			release.DeployStep{Env: runtimeEnv("prod", true, prodRT.URL), Runtime: prodClient, Tracker: gh.client},
			release.SummaryStep{Write: func(md string) error { summaries = append(summaries, md); return nil }},
		}
		if err := release.Run(context.Background(), r, steps); err != nil {
			t.Fatalf("Run: %v\n%s", err, release.Summary(r))
		}
		assertNoSecret(t, releaseOutputs(r, nil)...)
		return r
	}
	first := run()
	statuses := func(r *release.Release) []release.Status {
		var out []release.Status
		for _, rec := range r.Records {
			out = append(out, rec.Status)
		}
		return out
	}
	done, skip := release.StatusDone, release.StatusSkipped
	if diff := cmp.Diff([]release.Status{done, done, done, done, done, done}, statuses(first)); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	second := run()
	if diff := cmp.Diff([]release.Status{done, done, done, skip, skip, done}, statuses(second)); diff != "" {
		t.Errorf("second run (-want +got):\n%s\n%s", diff, release.Summary(second))
	}
	if second.BundleDigest != first.BundleDigest || !strings.Contains(second.Records[0].Detail, "reusing the bundle") {
		t.Errorf("the re-run signed again: %s", second.Records[0].Detail)
	}
	if !strings.Contains(second.Records[2].Detail, "attestation already stored") || !strings.Contains(second.Records[2].Detail, "unchanged") {
		t.Errorf("attach on re-run: %s", second.Records[2].Detail)
	}
	if n := len(testRT.Calls()) + len(prodRT.Calls()); n != 2 {
		t.Errorf("%d runtime calls over two runs, want 2", n)
	}
	if testRT.Live(pkg).Version != "1.17.0" || prodRT.Live(pkg).Version != "1.17.0" {
		t.Errorf("live: test %v, prod %v", testRT.Live(pkg), prodRT.Live(pkg))
	}

	// GitHub: one attestation, the bundle on the release, one deployment
	// per environment, the old prod deployment inactive.
	if atts := gh.repo.Attestations(); len(atts) != 1 || atts[0].Subjects[0] != "sha256:"+first.Verified.Digests.SHA256 && atts[0].Subjects[1] != "sha256:"+first.Verified.Digests.SHA256 {
		t.Errorf("attestations = %+v", atts)
	}
	rel, _ := gh.repo.Release("v1.17.0")
	if rel.ID != relID || len(rel.Assets) != 1 || rel.Assets[0].Name != "vnext.account-1.17.0.tgz.sigstore.json" || string(rel.Assets[0].Data) != string(first.Bundle) {
		t.Errorf("release assets = %+v", rel.Assets)
	}
	got := map[string][]string{}
	for _, d := range gh.repo.Deployments() {
		for _, s := range d.Statuses {
			got[d.Environment+" "+d.Ref] = append(got[d.Environment+" "+d.Ref], s.State)
		}
	}
	want := map[string][]string{
		"prod v1.16.0": {"success", "inactive"},
		"prod v1.17.0": {"in_progress", "success"},
		"test v1.17.0": {"in_progress", "success"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deployments (-want +got):\n%s", diff)
	}
	if len(summaries) != 2 || !strings.Contains(summaries[0], "| deploy prod | deployed |") || !strings.Contains(summaries[1], "already deployed") {
		t.Errorf("summaries:\n%s", strings.Join(summaries, "\n---\n"))
	}
}

// A failed test deploy stops the promotion: prod is skipped and told why,
// and the job summary is written all the same.
func TestPromotionStopsAtTheFirstFailure(t *testing.T) {
	gh := newGitHub(t)
	testRT, testClient := newRuntime(t, runtimetest.APIPackage)
	testRT.Fail(runtimetest.Partial("core/Workflows/sys-flows"))
	prodRT, prodClient := newRuntime(t, runtimetest.PublishPackage)
	r, _ := signedRelease(t, configOnly())
	var summary string
	err := release.Run(context.Background(), r, []release.Step{
		release.DeployStep{Env: runtimeEnv("test", false, testRT.URL), Runtime: testClient, Tracker: gh.client},
		release.DeployStep{Env: runtimeEnv("prod", true, prodRT.URL), Runtime: prodClient, Tracker: gh.client},
		release.SummaryStep{Write: func(md string) error { summary = md; return nil }},
	})
	if err == nil || !strings.HasPrefix(err.Error(), "deploy test: rolled back") {
		t.Fatalf("Run = %v", err)
	}
	recs := r.Records[len(r.Records)-3:]
	if recs[0].Status != release.StatusPartial || recs[1].Status != release.StatusSkipped || recs[1].Detail != "skipped, because deploy test failed" || recs[2].Status != release.StatusDone {
		t.Errorf("records = %+v", recs)
	}
	if len(prodRT.Calls()) != 0 {
		t.Errorf("prod got %d calls", len(prodRT.Calls()))
	}
	for _, d := range gh.repo.Deployments() {
		if d.Environment == "prod" {
			t.Errorf("a prod deployment was created: %+v", d)
		}
	}
	for _, w := range []string{"### test: rolled back", "Parts that did not load", "core/Workflows/sys\\-flows", "| deploy prod | ⏭️ skipped | skipped, because deploy test failed |"} {
		if !strings.Contains(summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, summary)
		}
	}
}
