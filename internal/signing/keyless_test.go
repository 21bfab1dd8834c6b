package signing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/signing/sigstoretest"
)

// emptyRoot is a trusted root that trusts nothing any test signs with.
func emptyRoot(t *testing.T) *TrustedRoot {
	t.Helper()
	return mustRoot(t, sigstoretest.New(t, sigstoretest.Options{}))
}

func mustRoot(t *testing.T, inst *sigstoretest.Instance) *TrustedRoot {
	t.Helper()
	tr, err := ParseTrustedRoot(inst.TrustedRootJSON())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func actionsEnv(inst *sigstoretest.Instance) func(string) string {
	c := inst.Claims
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": c.Repository,
		"GITHUB_REPOSITORY_ID": "101", "GITHUB_REPOSITORY_OWNER_ID": "202", "GITHUB_WORKFLOW_REF": c.JobWorkflowRef,
		"GITHUB_REF": c.Ref, "GITHUB_SHA": c.SHA, "GITHUB_EVENT_NAME": c.EventName, "GITHUB_RUN_ID": c.RunID,
		"GITHUB_RUN_ATTEMPT": "1", "RUNNER_ENVIRONMENT": "github-hosted",
	}
	return func(k string) string { return env[k] }
}

func keylessOptions(inst *sigstoretest.Instance) KeylessOptions {
	return KeylessOptions{
		Token:     ActionsToken{RequestURL: inst.TokenRequestURL, RequestToken: inst.TokenRequestToken},
		FulcioURL: inst.FulcioURL,
		RekorURL:  inst.RekorURL,
		TSAURL:    inst.TSAURL,
	}
}

// releasePolicy is the policy a consumer writes for the instance's release
// workflow at any v… tag.
func releasePolicy(t *testing.T, inst *sigstoretest.Instance) Policy {
	return Policy{
		Identity:    &Identity{SANRegexp: ReleaseWorkflowSANRegexp("https://github.com", inst.Claims.Repository, ".github/workflows/release.yml")},
		TrustedRoot: mustRoot(t, inst),
		Package:     &testPackage,
	}
}

// signKeylessT runs the whole keyless flow against the local instance and
// checks that no secret reached the result.
func signKeylessT(t *testing.T, inst *sigstoretest.Instance, req Request, opts KeylessOptions) *Result {
	t.Helper()
	res, err := SignKeyless(context.Background(), req, opts)
	if err != nil {
		t.Fatalf("SignKeyless: %v", err)
	}
	assertNoSecrets(t, inst, string(res.Bundle), sprintf("%+v", res))
	return res
}

func assertNoSecrets(t *testing.T, inst *sigstoretest.Instance, outputs ...string) {
	t.Helper()
	secrets := append([]string{inst.TokenRequestToken}, inst.IssuedTokens()...)
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("a secret leaked into %q", out)
			}
			// A JWT's signature part alone identifies it too.
			if parts := strings.Split(s, "."); len(parts) == 3 && strings.Contains(out, parts[2]) {
				t.Errorf("a token's signature leaked into %q", out)
			}
		}
	}
}

// captureLogs sends the standard and slog loggers to a buffer for the
// test, to see whether any library writes a secret to them.
func captureLogs(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	oldOut, oldFlags, oldSlog := log.Writer(), log.Flags(), slog.Default()
	log.SetOutput(&buf)
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() {
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
		slog.SetDefault(oldSlog)
	})
	return &buf
}

func TestKeylessSignAndVerifyOffline(t *testing.T) {
	inst := sigstoretest.New(t, sigstoretest.Options{})
	logs := captureLogs(t)
	defer func() { assertNoSecrets(t, inst, logs.String()) }()
	tarball := testTarball()
	opts := keylessOptions(inst)
	opts.TrustedRoot = mustRoot(t, inst)
	req := Request{Package: testPackage, Tarball: tarball, Provenance: ProvenanceFromEnv(actionsEnv(inst))}
	res := signKeylessT(t, inst, req, opts)

	if res.SAN != inst.SAN() || res.Issuer != GitHubActionsIssuer || res.LogIndex != 0 || res.PredicateType != SLSAProvenancePredicate || res.KeyHint != "" {
		t.Errorf("result %+v", res)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings for a public repository on a private instance: %v", res.Warnings)
	}
	wantRequests := []string{
		"actions GET /_apis/token", "fulcio POST /api/v2/signingCert", "tsa POST /api/v1/timestamp", "rekor POST /api/v1/log/entries",
	}
	if got := inst.Requests(); !slices.Equal(got, wantRequests) {
		t.Errorf("requests %q, want %q", got, wantRequests)
	}

	var b struct {
		MediaType            string
		VerificationMaterial struct {
			Certificate *struct{ RawBytes string }
			TlogEntries []struct {
				KindVersion    struct{ Kind, Version string }
				InclusionProof *struct{ Checkpoint struct{ Envelope string } }
			}
			TimestampVerificationData struct{ Rfc3161Timestamps []any }
		}
	}
	if err := json.Unmarshal(res.Bundle, &b); err != nil {
		t.Fatal(err)
	}
	vm := b.VerificationMaterial
	if b.MediaType != BundleMediaType || vm.Certificate == nil || len(vm.TlogEntries) != 1 || vm.TlogEntries[0].KindVersion.Kind != "dsse" ||
		vm.TlogEntries[0].InclusionProof == nil || len(vm.TimestampVerificationData.Rfc3161Timestamps) != 1 {
		t.Errorf("bundle %s", res.Bundle)
	}

	v, err := Verify(tarball, res.Bundle, releasePolicy(t, inst))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.SAN != inst.SAN() || v.Issuer != GitHubActionsIssuer || v.Subject != testPackage.PURL() || v.PredicateType != SLSAProvenancePredicate || v.LogIndex != 0 {
		t.Errorf("verified %+v", v)
	}
	if len(v.SignedAt) != 2 { // the log's integrated time and the TSA's
		t.Errorf("signed at %v, want the log's and the timestamp authority's times", v.SignedAt)
	}
	for _, at := range v.SignedAt {
		if time.Since(at) > time.Minute || time.Until(at) > time.Minute {
			t.Errorf("signing time %v is not now", at)
		}
	}

	// A second release lands at index 1 of the log: its inclusion proof has
	// a real path, and the first bundle still verifies.
	res2 := signKeylessT(t, inst, req, opts)
	if res2.LogIndex != 1 {
		t.Errorf("second log index %d", res2.LogIndex)
	}
	for _, r := range []*Result{res, res2} {
		if _, err := Verify(tarball, r.Bundle, releasePolicy(t, inst)); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
}

func TestKeylessWithoutTimestampAuthority(t *testing.T) {
	inst := sigstoretest.New(t, sigstoretest.Options{})
	opts := keylessOptions(inst)
	opts.TSAURL = ""
	res := signKeylessT(t, inst, Request{Package: testPackage, Tarball: testTarball()}, opts)
	v, err := Verify(testTarball(), res.Bundle, releasePolicy(t, inst))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(v.SignedAt) != 1 || v.PredicateType != ReleasePredicate {
		t.Errorf("verified %+v", v)
	}
}

func TestKeylessVerifyFailures(t *testing.T) {
	inst := sigstoretest.New(t, sigstoretest.Options{})
	tarball := testTarball()
	res := signKeylessT(t, inst, Request{Package: testPackage, Tarball: tarball}, keylessOptions(inst))
	tr := mustRoot(t, inst)
	repo := inst.Claims.Repository

	tampered := append([]byte(nil), tarball...)
	tampered[0] ^= 0x80
	var noLog map[string]any
	if err := json.Unmarshal(res.Bundle, &noLog); err != nil {
		t.Fatal(err)
	}
	delete(noLog["verificationMaterial"].(map[string]any), "tlogEntries")
	noLogBundle, _ := json.Marshal(noLog)

	id := func(re, issuer string) Policy {
		return Policy{Identity: &Identity{SANRegexp: re, Issuer: issuer}, TrustedRoot: tr}
	}
	for _, tc := range []struct {
		name    string
		tarball []byte
		bundle  []byte
		policy  Policy
		want    string
	}{
		{"tampered tarball", tampered, res.Bundle, releasePolicy(t, inst), "not the one that was signed"},
		{"SAN of another workflow", tarball, res.Bundle, id(ReleaseWorkflowSANRegexp("", repo, ".github/workflows/nightly.yml"), ""), "identity"},
		{"SAN of a branch", tarball, res.Bundle, id(regexp.QuoteMeta("https://github.com/"+repo+"/.github/workflows/release.yml@refs/heads/main"), ""), "identity"},
		{"SAN regexp matching a prefix only (anchored)", tarball, res.Bundle, id(regexp.QuoteMeta("https://github.com/"+repo), ""), "identity"},
		{"SAN regexp matching a suffix only (anchored)", tarball, res.Bundle, id(`refs/tags/v1\.2\.3`, ""), "identity"},
		{"wrong issuer", tarball, res.Bundle, id(".*", "https://accounts.google.com"), "identity"},
		{"issuer given as a prefix", tarball, res.Bundle, id(".*", "https://token.actions.githubusercontent"), "identity"},
		{"key policy on a certificate bundle", tarball, res.Bundle, Policy{PublicKey: pubKey(t, "p256-sec1.pub.pem")}, "not a key"},
		{"another instance's trusted root", tarball, res.Bundle, Policy{Identity: &Identity{SANRegexp: ".*"}, TrustedRoot: emptyRoot(t)}, ""},
		{"log entry removed", tarball, noLogBundle, releasePolicy(t, inst), "transparency log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.tarball, tc.bundle, tc.policy)
			if !errors.Is(err, ErrNotVerified) || errors.Is(err, ErrCannotRun) {
				t.Fatalf("error %v; want ErrNotVerified only", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestKeylessExpiredMaterialFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts sigstoretest.Options
	}{
		{"certificate expired before it was logged", sigstoretest.Options{
			CertificateValidity: func(now time.Time) (time.Time, time.Time) {
				return now.Add(-30 * time.Minute), now.Add(-20 * time.Minute)
			},
		}},
		{"certificate not yet valid when logged", sigstoretest.Options{
			CertificateValidity: func(now time.Time) (time.Time, time.Time) {
				return now.Add(20 * time.Minute), now.Add(30 * time.Minute)
			},
		}},
		{"log time after the certificate expired", sigstoretest.Options{
			IntegratedTime: func(now time.Time) time.Time { return now.Add(time.Hour) },
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := sigstoretest.New(t, tc.opts)
			tarball := testTarball()
			opts := keylessOptions(inst)
			opts.TSAURL = "" // the log's time alone dates the signature
			res := signKeylessT(t, inst, Request{Package: testPackage, Tarball: tarball}, opts)
			_, err := Verify(tarball, res.Bundle, releasePolicy(t, inst))
			if !errors.Is(err, ErrNotVerified) || !regexp.MustCompile(`outside certificate validity|expired or is not yet valid`).MatchString(err.Error()) {
				t.Fatalf("error %v; want ErrNotVerified for the certificate's validity", err)
			}
		})
	}
}

func TestKeylessSigningSelfVerifies(t *testing.T) {
	// With a trusted root at hand, SignKeyless refuses to hand out a bundle
	// that would not verify (here: a certificate already expired).
	inst := sigstoretest.New(t, sigstoretest.Options{
		CertificateValidity: func(now time.Time) (time.Time, time.Time) {
			return now.Add(-30 * time.Minute), now.Add(-20 * time.Minute)
		},
	})
	opts := keylessOptions(inst)
	opts.TrustedRoot = mustRoot(t, inst)
	_, err := SignKeyless(context.Background(), Request{Package: testPackage, Tarball: testTarball()}, opts)
	if !errors.Is(err, ErrCannotRun) || !strings.Contains(err.Error(), "does not verify against the trusted root") {
		t.Fatalf("error %v", err)
	}
}

func TestKeylessErrorsNeverCarryTheToken(t *testing.T) {
	// This Fulcio echoes the Authorization header into its error body.
	inst := sigstoretest.New(t, sigstoretest.Options{FulcioFailure: http.StatusForbidden})
	_, err := SignKeyless(context.Background(), Request{Package: testPackage, Tarball: testTarball()}, keylessOptions(inst))
	if !errors.Is(err, ErrCannotRun) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error %v; want ErrCannotRun naming Fulcio's 403 with the token redacted", err)
	}
	if len(inst.IssuedTokens()) != 1 {
		t.Fatalf("%d tokens issued", len(inst.IssuedTokens()))
	}
	assertNoSecrets(t, inst, err.Error(), sprintf("%+v", err), sprintf("%#v", err))
	if u := errors.Unwrap(err); u != nil {
		assertNoSecrets(t, inst, u.Error())
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		assertNoSecrets(t, inst, e.Error())
	}
}

func TestKeylessWarnsPrivateRepositories(t *testing.T) {
	// Fulcio is named by its public-good URL (the warning's trigger) and
	// reached through a transport that sends it to the local instance.
	inst := sigstoretest.New(t, sigstoretest.Options{Claims: sigstoretest.Claims{
		Repository: "acme-corp/secret-integrations", Visibility: "private",
		JobWorkflowRef: "acme-corp/secret-integrations/.github/workflows/release.yml@refs/tags/v1.17.0",
		Ref:            "refs/tags/v1.17.0", SHA: "89abcdef0123456789abcdef0123456789abcdef", EventName: "release", RunID: "7",
	}})
	local, err := url.Parse(inst.FulcioURL)
	if err != nil {
		t.Fatal(err)
	}
	opts := keylessOptions(inst)
	opts.FulcioURL = PublicGoodFulcioURL
	opts.Transport = rewriteHost{from: "fulcio.sigstore.dev", to: local}
	opts.TrustedRoot = mustRoot(t, inst)
	res := signKeylessT(t, inst, Request{Package: testPackage, Tarball: testTarball()}, opts)
	if len(res.Warnings) != 1 || res.Warnings[0].Code != WarningPublicLog {
		t.Fatalf("warnings %+v", res.Warnings)
	}
	msg := res.Warnings[0].Message
	for _, want := range []string{"acme-corp/secret-integrations", ".github/workflows/release.yml@refs/tags/v1.17.0", "is private", PublicGoodFulcioURL, "--key"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q does not say %q", msg, want)
		}
	}
	// The caller knows better than the token: a public repository is not warned.
	opts.RepositoryVisibility = "public"
	if res := signKeylessT(t, inst, Request{Package: testPackage, Tarball: testTarball()}, opts); len(res.Warnings) != 0 {
		t.Errorf("warned a public repository: %+v", res.Warnings)
	}
}

type rewriteHost struct {
	from string
	to   *url.URL
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Hostname() != r.from {
		return http.DefaultTransport.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = r.to.Scheme, r.to.Host, ""
	return http.DefaultTransport.RoundTrip(out)
}

func TestPublicLogWarnings(t *testing.T) {
	private := claims{Repository: "o/r", RepositoryVisibility: "private", JobWorkflowRef: "o/r/.github/workflows/release.yml@refs/tags/v1.0.0"}
	for _, tc := range []struct {
		name               string
		fulcio, rekor, vis string
		cl                 claims
		want               string // "" = no warning
	}{
		{"private on public good", PublicGoodFulcioURL, PublicGoodRekorURL, "", private, "is private"},
		{"internal given by the caller", PublicGoodFulcioURL, PublicGoodRekorURL, "internal", claims{}, "is internal"},
		{"unknown visibility", PublicGoodFulcioURL, PublicGoodRekorURL, "", claims{}, "visibility is unknown"},
		{"only Rekor public", "https://fulcio.internal", PublicGoodRekorURL + "/", "", private, PublicGoodRekorURL},
		{"public repository", PublicGoodFulcioURL, PublicGoodRekorURL, "", claims{RepositoryVisibility: "public"}, ""},
		{"private instance", "https://fulcio.internal", "https://rekor.internal", "", private, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := publicLogWarnings(tc.fulcio, tc.rekor, tc.vis, tc.cl, nil)
			switch {
			case tc.want == "" && len(ws) != 0:
				t.Errorf("unexpected warning %v", ws)
			case tc.want != "" && (len(ws) != 1 || !strings.Contains(ws[0].Message, tc.want)):
				t.Errorf("warnings %v; want one saying %q", ws, tc.want)
			}
		})
	}
}

func TestActionsTokenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := (ActionsToken{}).Token(ctx); err == nil || !strings.Contains(err.Error(), "id-token: write") {
		t.Errorf("without the runner's variables: %v", err)
	}
	const secret = "request-token-that-must-not-leak"
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"refused", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad credentials: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		}, "401"},
		{"no token in the answer", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"count":0}`)) }, "holds no token"},
		{"not a JWT", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"value":"opaque"}`)) }, "not a JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := ActionsToken{RequestURL: srv.URL + "/token?api-version=2.0", RequestToken: secret}.Token(ctx)
			if !errors.Is(err, ErrCannotRun) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), secret) {
				t.Errorf("error %v; want ErrCannotRun saying %q without the request token", err, tc.want)
			}
		})
	}
	for _, v := range []any{ActionsToken{RequestToken: secret}, StaticToken(secret)} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := sprintf(f, v); strings.Contains(s, secret) {
				t.Errorf("%s of %T shows the secret: %s", f, v, s)
			}
		}
	}
}

func TestTrustedRootInputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"garbage", "not json", "not a Sigstore trusted_root.json"},
		{"no CA", `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`, "no certificate authority"},
	} {
		_, err := ParseTrustedRoot([]byte(tc.data))
		if !errors.Is(err, ErrCannotRun) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A TUF mirror that has nothing: the error says so, as "cannot run",
	// and nothing outside loopback is contacted.
	mirror := httptest.NewServer(http.NotFoundHandler())
	defer mirror.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := FetchTrustedRoot(ctx, TUFOptions{MirrorURL: mirror.URL, CacheDir: t.TempDir()})
	if !errors.Is(err, ErrCannotRun) || !strings.Contains(err.Error(), mirror.URL) {
		t.Errorf("FetchTrustedRoot from an empty mirror: %v", err)
	}
}
