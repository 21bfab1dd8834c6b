package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

var testPackage = Package{Name: "@acme-corp/vnext.account", Version: "1.17.0"}

// testTarball stands in for a package tarball: the signature covers bytes,
// whatever they are.
func testTarball() []byte {
	return bytes.Repeat([]byte("package/breakwater.json\x00{\"breaking\":false}\n"), 100)
}

func signWithTestKey(t *testing.T, keyFile string, req Request) *Result {
	t.Helper()
	key, err := ParsePrivateKeyPEM(readKey(t, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	res, err := SignWithKey(context.Background(), req, key)
	if err != nil {
		t.Fatalf("SignWithKey: %v", err)
	}
	return res
}

func pubKey(t *testing.T, name string) *ecdsa.PublicKey {
	t.Helper()
	pub, err := ParsePublicKeyPEM(readKey(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestKeyBasedRoundTrip(t *testing.T) {
	tarball := testTarball()
	res := signWithTestKey(t, "p256-pkcs8.pem", Request{Package: testPackage, Tarball: tarball})

	if res.Subject != "pkg:npm/%40acme-corp/vnext.account@1.17.0" || res.PredicateType != ReleasePredicate || res.LogIndex != -1 || len(res.Warnings) != 0 {
		t.Errorf("result %+v", res)
	}
	hint, _ := KeyHint(pubKey(t, "p256-pkcs8.pub.pem"))
	if res.KeyHint != hint {
		t.Errorf("key hint %q, want %q", res.KeyHint, hint)
	}

	// The bundle is a v0.3 bundle with a DSSE envelope and only the key's
	// hint as verification material: no certificate, no log entry.
	var b struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			PublicKey   *struct{ Hint string } `json:"publicKey"`
			Certificate any                    `json:"certificate"`
			TlogEntries []any                  `json:"tlogEntries"`
		} `json:"verificationMaterial"`
		DsseEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(res.Bundle, &b); err != nil {
		t.Fatal(err)
	}
	vm := b.VerificationMaterial
	if b.MediaType != BundleMediaType || vm.PublicKey == nil || vm.PublicKey.Hint != hint || vm.Certificate != nil || len(vm.TlogEntries) != 0 {
		t.Errorf("bundle %s", res.Bundle)
	}
	if b.DsseEnvelope.PayloadType != PayloadType || len(b.DsseEnvelope.Signatures) != 1 {
		t.Errorf("envelope %+v", b.DsseEnvelope)
	}
	payload, _ := base64.StdEncoding.DecodeString(b.DsseEnvelope.Payload)
	if !bytes.Contains(payload, []byte(res.Digests.SHA512)) || !bytes.Contains(payload, []byte(`"name":"pkg:npm/%40acme-corp/vnext.account@1.17.0"`)) {
		t.Errorf("statement %s", payload)
	}

	v, err := Verify(tarball, res.Bundle, Policy{PublicKey: pubKey(t, "p256-pkcs8.pub.pem"), Package: &testPackage})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.Subject != res.Subject || v.PredicateType != ReleasePredicate || v.KeyHint != hint || v.Digests != res.Digests || v.SAN != "" || v.LogIndex != -1 {
		t.Errorf("verified %+v", v)
	}
}

func TestKeyBasedVerifyFailures(t *testing.T) {
	tarball := testTarball()
	res := signWithTestKey(t, "p256-sec1.pem", Request{Package: testPackage, Tarball: tarball})
	good := pubKey(t, "p256-sec1.pub.pem")

	tampered := append([]byte(nil), tarball...)
	tampered[len(tampered)/2] ^= 1

	// A bundle whose statement was edited to name another tarball: the
	// digests then match, the signature does not.
	forged := editPayload(t, res.Bundle, func(st string) string {
		return strings.ReplaceAll(strings.ReplaceAll(st, res.Digests.SHA512, DigestsOf(tampered).SHA512), res.Digests.SHA256, DigestsOf(tampered).SHA256)
	})
	// A bundle whose statement lists a second, wrong digest for the
	// subject that names the tarball.
	half := editPayload(t, res.Bundle, func(st string) string {
		return strings.ReplaceAll(st, res.Digests.SHA256, strings.Repeat("0", 64))
	})
	other := Package{Name: testPackage.Name, Version: "1.18.0"}

	for _, tc := range []struct {
		name    string
		tarball []byte
		bundle  []byte
		policy  Policy
		want    string
	}{
		{"tampered tarball", tampered, res.Bundle, Policy{PublicKey: good}, "not the one that was signed"},
		{"wrong key", tarball, res.Bundle, Policy{PublicKey: pubKey(t, "p256-pkcs8.pub.pem")}, "does not verify with the key"},
		{"another version expected", tarball, res.Bundle, Policy{PublicKey: good, Package: &other}, "not pkg:npm/%40acme-corp/vnext.account@1.18.0"},
		{"forged statement", tampered, forged, Policy{PublicKey: good}, "signature"},
		{"statement edited after signing", tarball, half, Policy{PublicKey: good}, "bundle was altered"},
		{"garbage bundle", tarball, []byte("{\"mediaType\": 1}"), Policy{PublicKey: good}, "not a valid Sigstore bundle"},
		{"empty bundle", tarball, nil, Policy{PublicKey: good}, "not a valid Sigstore bundle"},
		{"identity policy on a key bundle", tarball, res.Bundle, Policy{Identity: &Identity{SANRegexp: ".*"}, TrustedRoot: emptyRoot(t)}, "signed with a key"},
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

func TestVerifyPolicyErrorsCannotRun(t *testing.T) {
	tarball := testTarball()
	res := signWithTestKey(t, "p256-sec1.pem", Request{Package: testPackage, Tarball: tarball})
	good := pubKey(t, "p256-sec1.pub.pem")
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		policy Policy
		want   string
	}{
		{"no policy", Policy{}, "neither"},
		{"both", Policy{PublicKey: good, Identity: &Identity{SANRegexp: "x"}}, "both"},
		{"identity without trusted root", Policy{Identity: &Identity{SANRegexp: "x"}}, "trusted root"},
		{"bad regexp", Policy{Identity: &Identity{SANRegexp: "(unclosed"}, TrustedRoot: emptyRoot(t)}, "does not compile"},
		{"empty regexp", Policy{Identity: &Identity{SANRegexp: " "}, TrustedRoot: emptyRoot(t)}, "empty"},
		{"P-384 key", Policy{PublicKey: &p384.PublicKey}, "P-384"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tarball, res.Bundle, tc.policy)
			if !errors.Is(err, ErrCannotRun) || errors.Is(err, ErrNotVerified) {
				t.Fatalf("error %v; want ErrCannotRun only", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestSignWithKeyChecksTheSignerAndRequest(t *testing.T) {
	key, err := ParsePrivateKeyPEM(readKey(t, "p256-sec1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParsePrivateKeyPEM(readKey(t, "p256-pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  Request
		key  KeySigner
		want string
	}{
		{"no key", Request{Package: testPackage, Tarball: testTarball()}, nil, "no key"},
		// A KMS key that signs with another key than the one it names.
		{"mismatched KMS key", Request{Package: testPackage, Tarball: testTarball()}, mixedSigner{pub: key, sign: other}, "public half"},
		{"failing KMS key", Request{Package: testPackage, Tarball: testTarball()}, failingSigner{key}, "KMS unavailable"},
		{"empty tarball", Request{Package: testPackage}, key, "empty"},
		{"bad package", Request{Package: Package{Name: "Bad Name", Version: "1.0.0"}, Tarball: []byte("x")}, key, "npm name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignWithKey(ctx, tc.req, tc.key)
			if err == nil || !errors.Is(err, ErrCannotRun) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want ErrCannotRun saying %q", err, tc.want)
			}
		})
	}
}

type mixedSigner struct{ pub, sign KeySigner }

func (m mixedSigner) Public() crypto.PublicKey { return m.pub.Public() }
func (m mixedSigner) SignDigest(ctx context.Context, d []byte) ([]byte, error) {
	return m.sign.SignDigest(ctx, d)
}

type failingSigner struct{ KeySigner }

func (failingSigner) SignDigest(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("KMS unavailable")
}

// editPayload rewrites the statement inside a bundle's envelope, keeping
// the old signature.
func editPayload(t *testing.T, bundle []byte, edit func(string) string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bundle, &m); err != nil {
		t.Fatal(err)
	}
	env := m["dsseEnvelope"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(raw))
	if edited == string(raw) {
		t.Fatal("the edit changed nothing")
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(edited))
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signStatement signs an arbitrary payload the way SignWithKey does, to
// test what Verify makes of statements Breakwater would never write.
func signStatement(t *testing.T, payloadType, payload string) []byte {
	t.Helper()
	key, err := ParsePrivateKeyPEM(readKey(t, "p256-sec1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keyPublic(key)
	kp, err := newKeyPair(key, pub)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: []byte(payload), PayloadType: payloadType}, kp, sign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyHoldsTheStatementToTheTarball(t *testing.T) {
	tarball := testTarball()
	d := DigestsOf(tarball)
	other := DigestsOf([]byte("another tarball"))
	st := func(subjects string) string {
		return `{"_type":"https://in-toto.io/Statement/v1","subject":[` + subjects + `],"predicateType":"` + ReleasePredicate + `","predicate":{}}`
	}
	subj := func(name, alg1, dig1, alg2, dig2 string) string {
		return `{"name":"` + name + `","digest":{"` + alg1 + `":"` + dig1 + `","` + alg2 + `":"` + dig2 + `"}}`
	}
	purl := testPackage.PURL()
	good := pubKey(t, "p256-sec1.pub.pem")
	for _, tc := range []struct {
		name, payloadType, payload string
		want                       string // "" = verifies
	}{
		{"ours", PayloadType, st(subj(purl, "sha512", d.SHA512, "sha256", d.SHA256)), ""},
		{"second subject names the tarball", PayloadType, st(subj("pkg:npm/x@1.0.0", "sha512", other.SHA512, "sha256", other.SHA256) + "," + subj(purl, "sha512", d.SHA512, "sha256", d.SHA256)), ""},
		{"sha512 right, sha256 wrong", PayloadType, st(subj(purl, "sha512", d.SHA512, "sha256", other.SHA256)), `lists a sha256 digest that does not match|not the one that was signed`}, // sigstore-go may catch it first
		{"sha256 right, sha512 wrong", PayloadType, st(subj(purl, "sha512", other.SHA512, "sha256", d.SHA256)), `lists a sha512 digest that does not match|not the one that was signed`},
		{"right digest, other package", PayloadType, st(subj("pkg:npm/%40evil/x@1.17.0", "sha512", d.SHA512, "sha256", d.SHA256)), "signs pkg:npm/%40evil/x@1.17.0, not"},
		{"only another tarball", PayloadType, st(subj(purl, "sha512", other.SHA512, "sha256", other.SHA256)), "not the one that was signed"},
		{"not in-toto", "application/json", st(subj(purl, "sha512", d.SHA512, "sha256", d.SHA256)), "not an in-toto statement"},
		{"old statement type", PayloadType, strings.Replace(st(subj(purl, "sha512", d.SHA512, "sha256", d.SHA256)), "Statement/v1", "Statement/v9", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tarball, signStatement(t, tc.payloadType, tc.payload), Policy{PublicKey: good, Package: &testPackage})
			switch {
			case tc.want == "" && tc.name == "old statement type":
				// sigstore-go or Verify must refuse an unknown statement type.
				if !errors.Is(err, ErrNotVerified) {
					t.Fatalf("error %v; want ErrNotVerified", err)
				}
			case tc.want == "":
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
			case !errors.Is(err, ErrNotVerified) || !regexp.MustCompile(tc.want).MatchString(err.Error()):
				t.Fatalf("error %v; want ErrNotVerified saying %q", err, tc.want)
			}
		})
	}
}
