package signing

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func seedKeys(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "keys"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "keys", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParsePrivateKeyPEM: any input gives a P-256 signer or ErrBadKey,
// never a panic, and no error quotes the input's key material.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	seedKeys(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKeyPEM(data)
		if err != nil {
			if !errors.Is(err, ErrBadKey) || k != nil {
				t.Fatalf("error %v is not ErrBadKey (signer %v)", err, k)
			}
			assertNoKeyMaterial(t, err.Error(), data)
			return
		}
		if _, err := keyPublic(k); err != nil {
			t.Fatalf("accepted a key that is not P-256: %v", err)
		}
	})
}

// FuzzParsePublicKeyPEM: the same for public keys.
func FuzzParsePublicKeyPEM(f *testing.F) {
	seedKeys(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicKeyPEM(data)
		if err != nil {
			if !errors.Is(err, ErrBadKey) || pub != nil {
				t.Fatalf("error %v is not ErrBadKey", err)
			}
			return
		}
		if _, err := requireP256Public(pub); err != nil {
			t.Fatalf("accepted a key that is not P-256: %v", err)
		}
	})
}

// FuzzVerifyBundle: a valid key policy and any bundle bytes give a
// verification or ErrNotVerified (never "cannot run", never a panic), and
// what verifies names the tarball.
func FuzzVerifyBundle(f *testing.F) {
	f.Add(fixture(f, "key.sigstore.json"))
	f.Add(fixture(f, "keyless.sigstore.json"))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUCIQ=="}]}}`))
	tarball := fixture(f, "vnext.account-1.17.0.tgz")
	pub, err := ParsePublicKeyPEM(fixture(f, "../keys/p256-pkcs8.pub.pem"))
	if err != nil {
		f.Fatal(err)
	}
	want := DigestsOf(tarball)
	f.Fuzz(func(t *testing.T, bundle []byte) {
		v, err := Verify(tarball, bundle, Policy{PublicKey: pub, Package: &testPackage})
		if err != nil {
			if !errors.Is(err, ErrNotVerified) || errors.Is(err, ErrCannotRun) {
				t.Fatalf("error %v is not ErrNotVerified alone", err)
			}
			return
		}
		if v.Digests != want || v.Subject != testPackage.PURL() {
			t.Fatalf("verified %+v", v)
		}
	})
}

// FuzzIdentityPolicy: the identity policy is exactly an anchored match of
// the SAN regexp plus an equal issuer; a regexp that does not compile is
// "cannot run", never "does not verify".
func FuzzIdentityPolicy(f *testing.F) {
	const san = "https://github.com/acme-corp/integrations/.github/workflows/release.yml@refs/tags/v1.2.3"
	for _, s := range []struct{ re, issuer string }{
		{ReleaseWorkflowSANRegexp("", "acme-corp/integrations", ".github/workflows/release.yml"), ""},
		{"https://github.com/acme-corp/integrations", ""},
		{".*", GitHubActionsIssuer},
		{".*", "https://accounts.google.com"},
		{"a|" + regexp.QuoteMeta(san), ""},
		{"(", ""},
		{"", ""},
		{`.*)|(.*`, ""},
	} {
		f.Add(s.re, s.issuer)
	}
	tarball := fixture(f, "vnext.account-1.17.0.tgz")
	bundle := fixture(f, "keyless.sigstore.json")
	root, err := ParseTrustedRoot(fixture(f, "trusted_root.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, re, issuer string) {
		_, err := Verify(tarball, bundle, Policy{Identity: &Identity{SANRegexp: re, Issuer: issuer}, TrustedRoot: root})
		anchored, cerr := regexp.Compile("^(?:" + re + ")$")
		switch {
		case cerr != nil || strings.TrimSpace(re) == "":
			if !errors.Is(err, ErrCannotRun) {
				t.Fatalf("regexp %q: error %v, want ErrCannotRun", re, err)
			}
		case anchored.MatchString(san) && (issuer == "" || issuer == GitHubActionsIssuer):
			if err != nil {
				t.Fatalf("regexp %q issuer %q: %v, want verified", re, issuer, err)
			}
		default:
			if !errors.Is(err, ErrNotVerified) {
				t.Fatalf("regexp %q issuer %q: error %v, want ErrNotVerified", re, issuer, err)
			}
		}
	})
}

// FuzzParseClaims: the unverified JWT reader never panics and never
// quotes the token in its errors.
func FuzzParseClaims(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJyZXBvc2l0b3J5IjoibyJ9.c2ln")
	f.Add("a.b")
	f.Add("..")
	f.Add("x.eyJpc3MiOjV9.y")
	f.Fuzz(func(t *testing.T, token string) {
		_, err := parseClaims(token)
		if err != nil && len(token) >= 8 && strings.Contains(err.Error(), token) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}
