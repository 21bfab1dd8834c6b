package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readKey(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePrivateKeyPEMAcceptsOpenSSLP256Keys(t *testing.T) {
	for _, tc := range []struct{ key, pub string }{
		{"p256-sec1.pem", "p256-sec1.pub.pem"},
		{"p256-pkcs8.pem", "p256-pkcs8.pub.pem"},
		{"p256-sec1-with-params.pem", ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			k, err := ParsePrivateKeyPEM(readKey(t, tc.key))
			if err != nil {
				t.Fatalf("ParsePrivateKeyPEM: %v", err)
			}
			digest := sha256.Sum256([]byte("breakwater"))
			sig, err := k.SignDigest(context.Background(), digest[:])
			if err != nil {
				t.Fatal(err)
			}
			if !ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), digest[:], sig) {
				t.Fatal("the signature does not verify with the key's own public half")
			}
			if tc.pub == "" {
				return
			}
			pub, err := ParsePublicKeyPEM(readKey(t, tc.pub))
			if err != nil {
				t.Fatalf("ParsePublicKeyPEM: %v", err)
			}
			if !pub.Equal(k.Public()) {
				t.Error("the public key file does not match the private key")
			}
		})
	}
}

func TestParsePrivateKeyPEMRejectsWithReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"encrypted PKCS#8", readKey(t, "p256-encrypted-pkcs8.pem"), "encrypted"},
		{"encrypted SEC1 (Proc-Type)", readKey(t, "p256-encrypted-sec1.pem"), "encrypted"},
		{"P-384 SEC1", readKey(t, "p384-sec1.pem"), "P-384"},
		{"P-384 PKCS#8", readKey(t, "p384-pkcs8.pem"), "P-384"},
		{"secp256k1 SEC1", readKey(t, "secp256k1-sec1.pem"), "curve other than P-256"},
		{"secp256k1 PKCS#8", readKey(t, "secp256k1-pkcs8.pem"), "P-256"},
		{"RSA PKCS#8", readKey(t, "rsa-pkcs8.pem"), "RSA"},
		{"RSA PKCS#1", readKey(t, "rsa-pkcs1.pem"), "RSA"},
		{"Ed25519", readKey(t, "ed25519.pem"), "Ed25519"},
		{"public key", readKey(t, "p256-sec1.pub.pem"), "public key"},
		{"two keys", append(readKey(t, "p256-sec1.pem"), readKey(t, "p256-pkcs8.pem")...), "more than one"},
		{"empty", nil, "empty"},
		{"garbage", []byte("not a key at all\n"), "not PEM"},
		{"damaged base64", []byte("-----BEGIN EC PRIVATE KEY-----\n!!!!\n-----END EC PRIVATE KEY-----\n"), "damaged"},
		{"truncated DER", []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"), "cannot be parsed"},
		{"OpenSSH", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), "OpenSSH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKeyPEM(tc.data)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrBadKey) || !errors.Is(err, ErrCannotRun) {
				t.Errorf("error %v is not ErrBadKey and ErrCannotRun", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			assertNoKeyMaterial(t, err.Error(), tc.data)
		})
	}
}

func TestParsePublicKeyPEMRejectsWithReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"P-384", readKey(t, "p384.pub.pem"), "P-384"},
		{"RSA", readKey(t, "rsa.pub.pem"), "RSA"},
		{"Ed25519", readKey(t, "ed25519.pub.pem"), "Ed25519"},
		{"a private key", readKey(t, "p256-pkcs8.pem"), "private key"},
		{"garbage", []byte("{}"), "not PEM"},
		{"certificate", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "CERTIFICATE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePublicKeyPEM(tc.data)
			if err == nil || !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want ErrBadKey saying %q", err, tc.want)
			}
			assertNoKeyMaterial(t, err.Error(), tc.data)
		})
	}
}

// assertNoKeyMaterial fails when msg quotes any base64 line of a PEM file.
func assertNoKeyMaterial(t *testing.T, msg string, pemData []byte) {
	t.Helper()
	for _, line := range strings.Split(string(pemData), "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
			t.Errorf("message quotes key material: %q", msg)
		}
	}
}

func TestKeySignerNeverPrintsKeyMaterial(t *testing.T) {
	k, err := ParsePrivateKeyPEM(readKey(t, "p256-sec1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	priv := k.(cryptoSigner).s.(*ecdsa.PrivateKey)
	d := priv.D.String()
	for _, s := range []string{sprintf("%v", k), sprintf("%+v", k), sprintf("%#v", k), sprintf("%s", struct{ K KeySigner }{k})} {
		if strings.Contains(s, d) || strings.Contains(s, priv.D.Text(16)) {
			t.Errorf("printing the signer shows the private scalar: %s", s)
		}
	}
}
