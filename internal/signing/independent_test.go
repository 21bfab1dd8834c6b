package signing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/signing/sigstoretest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// The independent verifier: sigstore-js, pinned to the line that supports
// the Node 20 of the development machines and CI.
var sigstoreJS = []string{"@sigstore/verify@3.1.0", "@sigstore/bundle@4.0.0", "@sigstore/protobuf-specs@0.5.0"}

type jsResult struct {
	Verified      bool   `json:"verified"`
	Subject       string `json:"subject"`
	PredicateType string `json:"predicateType"`
	SAN           string `json:"san"`
	Issuer        string `json:"issuer"`
}

// verifyWithSigstoreJS runs testdata/sigstore-js-verify.cjs; it returns the
// result, or the verifier's reason when the bundle does not verify.
func verifyWithSigstoreJS(t *testing.T, tarball, bundle []byte, args ...string) (*jsResult, error) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Require(t, "node is not installed, so bundles cannot be checked with sigstore-js")
	}
	modules := testenv.NPMPackages(t, sigstoreJS...)
	dir := t.TempDir()
	artifact, bundlePath := filepath.Join(dir, "package.tgz"), filepath.Join(dir, "package.tgz.sigstore.json")
	if err := os.WriteFile(artifact, tarball, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundlePath, bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "sigstore-js-verify.cjs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script, "--bundle", bundlePath, "--artifact", artifact}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		var res jsResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || !res.Verified {
			t.Fatalf("sigstore-js printed %q: %v", stdout.String(), err)
		}
		return &res, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return nil, errors.New(strings.TrimSpace(stderr.String()))
	default:
		t.Fatalf("running sigstore-js: %v\n%s", err, stderr.String())
		return nil, nil
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSigstoreJSVerifiesKeyBasedBundles(t *testing.T) {
	tarball := testTarball()
	res := signWithTestKey(t, "p256-pkcs8.pem", Request{Package: testPackage, Tarball: tarball})
	pub := filepath.Join("testdata", "keys", "p256-pkcs8.pub.pem")
	got, err := verifyWithSigstoreJS(t, tarball, res.Bundle, "--key", pub, "--subject", testPackage.PURL())
	if err != nil {
		t.Fatalf("sigstore-js rejects our key-based bundle: %v", err)
	}
	if got.Subject != testPackage.PURL() || got.PredicateType != ReleasePredicate {
		t.Errorf("sigstore-js read %+v", got)
	}

	// The independent verifier must also reject what ours rejects, or the
	// check above proves nothing.
	tampered := append([]byte(nil), tarball...)
	tampered[10] ^= 1
	if _, err := verifyWithSigstoreJS(t, tampered, res.Bundle, "--key", pub); err == nil || !strings.Contains(err.Error(), "sha512") {
		t.Errorf("sigstore-js accepted a tampered tarball: %v", err)
	}
	if _, err := verifyWithSigstoreJS(t, tarball, res.Bundle, "--key", filepath.Join("testdata", "keys", "p256-sec1.pub.pem")); err == nil || !strings.Contains(err.Error(), "SIGNATURE_ERROR") {
		t.Errorf("sigstore-js accepted the wrong key: %v", err)
	}
}

func TestSigstoreJSVerifiesKeylessBundles(t *testing.T) {
	inst := sigstoretest.New(t, sigstoretest.Options{})
	tarball := testTarball()
	opts := keylessOptions(inst)
	opts.TrustedRoot = mustRoot(t, inst)
	req := Request{Package: testPackage, Tarball: tarball, Provenance: ProvenanceFromEnv(actionsEnv(inst))}
	root := writeTemp(t, "trusted_root.json", inst.TrustedRootJSON())

	for _, tsa := range []string{inst.TSAURL, ""} {
		opts.TSAURL = tsa
		res := signKeylessT(t, inst, req, opts)
		got, err := verifyWithSigstoreJS(t, tarball, res.Bundle,
			"--trusted-root", root, "--san", inst.SAN(), "--issuer", GitHubActionsIssuer, "--subject", testPackage.PURL())
		if err != nil {
			t.Fatalf("sigstore-js rejects our keyless bundle (TSA %q): %v", tsa, err)
		}
		if got.SAN != inst.SAN() || got.Issuer != GitHubActionsIssuer || got.PredicateType != SLSAProvenancePredicate {
			t.Errorf("sigstore-js read %+v", got)
		}
	}

	res := signKeylessT(t, inst, req, opts)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"another SAN", []string{"--trusted-root", root, "--san", "https://github.com/acme-corp/integrations/.github/workflows/other.yml@refs/tags/v1.2.3", "--issuer", GitHubActionsIssuer}, "UNTRUSTED_SIGNER_ERROR"},
		{"another issuer", []string{"--trusted-root", root, "--san", inst.SAN(), "--issuer", "https://accounts.google.com"}, "UNTRUSTED_SIGNER_ERROR"},
		{"another instance's root", []string{"--trusted-root", writeTemp(t, "other.json", sigstoretest.New(t, sigstoretest.Options{}).TrustedRootJSON()), "--san", inst.SAN(), "--issuer", GitHubActionsIssuer}, "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verifyWithSigstoreJS(t, tarball, res.Bundle, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("sigstore-js: %v; want a rejection with %s", err, tc.want)
			}
		})
	}
}
