package githubtest

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFakeReleaseSideRejectsWhatGitHubWouldNot(t *testing.T) {
	rec := &errRecorder{TB: t}
	f := New(rec)
	repo := f.AddRepo("o", "r")
	sha := repo.Commit(nil, map[string][]byte{"a": []byte("1")})
	repo.Tag("v1.0.0", sha)
	rel := repo.AddRelease("v1.0.0", "", false)
	repo.AddRelease("v2.0.0", "draft", true)
	d := createTestDeployment(t, f)

	statement := base64.StdEncoding.EncodeToString([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"x","digest":{"sha256":"` + strings.Repeat("a", 64) + `"}}]}`))
	dsse := func(payloadType string) string {
		return `{"bundle":{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"}},"dsseEnvelope":{"payload":"` + statement + `","payloadType":"` + payloadType + `","signatures":[{"sig":"AA=="}]}}}`
	}
	assets := fmt.Sprintf("/repos/o/r/releases/%d/assets", rel)
	for _, tc := range []struct {
		name, host, method, path, ctype, body string
		status                                int
		wantErr                               string
	}{
		{"upload", "up", "POST", assets + "?name=a.json", "application/json", "{}", 201, ""},
		{"upload again", "up", "POST", assets + "?name=a.json", "application/json", "{}", 422, "already exists"},
		{"upload to the API host", "api", "POST", assets + "?name=b.json", "application/json", "{}", 404, "uploads go to the uploads host"},
		{"upload without a name", "up", "POST", assets, "application/json", "{}", 422, "missing required query parameter"},
		{"upload renamed by GitHub", "up", "POST", assets + "?name=a%20b.json", "application/json", "{}", 422, "would be renamed"},
		{"upload without a content type", "up", "POST", assets + "?name=c.json", "", "{}", 422, "Content-Type"},
		{"API call to the uploads host", "up", "GET", "/repos/o/r/releases/tags/v1.0.0", "", "", 404, "only serves"},
		{"draft by tag", "api", "GET", "/repos/o/r/releases/tags/v2.0.0", "", "", 404, ""},
		{"deployment of an unknown ref", "api", "POST", "/repos/o/r/deployments", "application/json", `{"ref":"v9"}`, 422, ""},
		{"deployment with an unknown field", "api", "POST", "/repos/o/r/deployments", "application/json", `{"ref":"v1.0.0","auto_merge":"no"}`, 422, "does not match"},
		{"status too long", "api", "POST", fmt.Sprintf("/repos/o/r/deployments/%d/statuses", d), "application/json", `{"state":"success","description":"` + strings.Repeat("é", 141) + `"}`, 422, "too long"},
		{"status of an unknown state", "api", "POST", fmt.Sprintf("/repos/o/r/deployments/%d/statuses", d), "application/json", `{"state":"done"}`, 422, "does not match"},
		{"attestation", "api", "POST", "/repos/o/r/attestations", "application/json", dsse("application/vnd.in-toto+json"), 201, ""},
		{"attestation of another payload type", "api", "POST", "/repos/o/r/attestations", "application/json", dsse("text/plain"), 422, "payloadType"},
		{"attestation without a bundle", "api", "POST", "/repos/o/r/attestations", "application/json", `{"bundles":{}}`, 422, "does not match"},
		{"attestations by a bad digest", "api", "GET", "/repos/o/r/attestations/sha1:abc", "", "", 422, "not sha256:HEX"},
		{"attestations by digest", "api", "GET", "/repos/o/r/attestations/sha256:" + strings.Repeat("a", 64) + "?predicate_type=provenance", "", "", 200, ""},
	} {
		base := f.URL
		if tc.host == "up" {
			base = f.UploadURL
		}
		req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		errs := rec.take()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, resp.StatusCode, tc.status, body)
		}
		switch {
		case tc.wantErr == "" && len(errs) > 0:
			t.Errorf("%s: failed the test: %q", tc.name, errs)
		case tc.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.wantErr)):
			t.Errorf("%s: test failures %q, want one saying %q", tc.name, errs, tc.wantErr)
		}
		if tc.name == "attestations by digest" && !strings.Contains(string(body), `"payloadType":"application/vnd.in-toto+json"`) {
			t.Errorf("attestations by digest: %s", body)
		}
	}
}

func createTestDeployment(t *testing.T, f *Fake) int64 {
	t.Helper()
	resp, err := http.Post(f.URL+"/repos/o/r/deployments", "application/json", strings.NewReader(`{"ref":"v1.0.0","environment":"prod","auto_merge":false,"required_contexts":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("creating a deployment: %d", resp.StatusCode)
	}
	return f.repos["o/r"].release().deployments[0].ID
}

// GitHub marks earlier successful deployments of the environment inactive
// only where they are neither transient nor production.
func TestFakeAutoInactive(t *testing.T) {
	f := New(t)
	repo := f.AddRepo("o", "r")
	repo.Tag("v1", repo.Commit(nil, map[string][]byte{"a": []byte("1")}))
	post := func(path, body string) {
		t.Helper()
		resp, err := http.Post(f.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	for _, body := range []string{
		`{"ref":"v1","environment":"staging"}`,
		`{"ref":"v1","environment":"staging","transient_environment":true}`,
		`{"ref":"v1","environment":"production"}`,
		`{"ref":"v1","environment":"staging","production_environment":true}`,
		`{"ref":"v1","environment":"staging"}`,
		`{"ref":"v1","environment":"production"}`,
		`{"ref":"v1","environment":"staging"}`,
	} {
		post("/repos/o/r/deployments", body)
	}
	deps := repo.Deployments()
	for i, d := range deps[:len(deps)-1] {
		state := "success"
		if i == 4 {
			state = "failure"
		}
		post(fmt.Sprintf("/repos/o/r/deployments/%d/statuses", d.ID), `{"state":"`+state+`"}`)
	}
	post(fmt.Sprintf("/repos/o/r/deployments/%d/statuses", deps[len(deps)-1].ID), `{"state":"success"}`)
	var got []string
	for _, d := range repo.Deployments() {
		got = append(got, d.State())
	}
	want := "[inactive success success success failure success success]"
	if fmt.Sprint(got) != want {
		t.Errorf("states = %v, want %s", got, want)
	}
}
