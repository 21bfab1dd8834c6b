package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeySigner is the long-lived key of key-based signing: a PEM file's key
// (ParsePrivateKeyPEM), or a KMS key behind the same two methods.
type KeySigner interface {
	// Public returns the public key; only ECDSA P-256 is accepted.
	Public() crypto.PublicKey
	// SignDigest returns the ASN.1 DER ECDSA signature of a SHA-256 digest.
	SignDigest(ctx context.Context, digest []byte) ([]byte, error)
}

// CryptoSigner adapts a crypto.Signer (what most KMS clients return) to
// KeySigner.
func CryptoSigner(s crypto.Signer) KeySigner { return cryptoSigner{s} }

type cryptoSigner struct{ s crypto.Signer }

func (c cryptoSigner) Public() crypto.PublicKey { return c.s.Public() }

func (c cryptoSigner) SignDigest(_ context.Context, digest []byte) ([]byte, error) {
	return c.s.Sign(rand.Reader, digest, crypto.SHA256)
}

// ParsePrivateKeyPEM reads an unencrypted ECDSA P-256 private key in PEM,
// PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"), as openssl writes
// them; an "EC PARAMETERS" block before it (openssl ecparam -genkey) is
// skipped. Errors are ErrBadKey, say what the file holds instead and never
// quote key material.
func ParsePrivateKeyPEM(data []byte) (KeySigner, error) {
	block, err := singleKeyBlock(data, "private")
	if err != nil {
		return nil, err
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, badKey("the private key is encrypted; Breakwater needs an unencrypted PEM key " +
			"(decrypt it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out PLAIN.pem`), or use a KMS key")
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, badKey("the PKCS#8 private key cannot be parsed: %s", keyParseReason(err))
		}
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, badKey("the SEC1 EC private key cannot be parsed: %s", keyParseReason(err))
		}
	case "RSA PRIVATE KEY":
		return nil, badKey("the key is an RSA key; Breakwater signs with ECDSA P-256 keys only " +
			"(create one with `openssl ecparam -name prime256v1 -genkey -noout -out key.pem`)")
	case "OPENSSH PRIVATE KEY":
		return nil, badKey("the key is in OpenSSH format; Breakwater needs a PEM ECDSA P-256 key (PKCS#8 or SEC1)")
	case "PUBLIC KEY", "EC PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, badKey("the file holds a public key; signing needs the private key")
	case "CERTIFICATE":
		return nil, badKey("the file holds a certificate; signing needs the private key")
	default:
		return nil, badKey("the PEM block is %q; Breakwater needs an ECDSA P-256 private key (PKCS#8 \"PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\")", block.Type)
	}
	ec, err := requireP256Private(key)
	if err != nil {
		return nil, err
	}
	return CryptoSigner(ec), nil
}

// ParsePublicKeyPEM reads an ECDSA P-256 public key ("PUBLIC KEY", PKIX),
// the form `openssl ec -pubout` and cosign write.
func ParsePublicKeyPEM(data []byte) (*ecdsa.PublicKey, error) {
	block, err := singleKeyBlock(data, "public")
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PUBLIC KEY":
	case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, badKey("the file holds a private key; verification takes the public key " +
			"(`openssl ec -in key.pem -pubout -out pub.pem`), and the private key should not be handed around")
	case "RSA PUBLIC KEY":
		return nil, badKey("the key is an RSA key; Breakwater verifies ECDSA P-256 keys only")
	default:
		return nil, badKey("the PEM block is %q; Breakwater needs an ECDSA P-256 public key (\"PUBLIC KEY\")", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, badKey("the public key cannot be parsed: %s", keyParseReason(err))
	}
	return requireP256Public(pub)
}

// singleKeyBlock finds the one key block of a PEM file, skipping EC
// PARAMETERS; anything else around it is an error, so a file holding two
// keys never signs with a surprising one.
func singleKeyBlock(data []byte, kind string) (*pem.Block, error) {
	var found *pem.Block
	rest := data
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(next)) > 0 && found == nil && bytes.Contains(next, []byte("-----BEGIN")) {
				return nil, badKey("the %s key file has a damaged PEM block (a broken header, footer or base64 body)", kind)
			}
			break
		}
		rest = next
		if block.Type == "EC PARAMETERS" {
			continue
		}
		if found != nil {
			return nil, badKey("the %s key file holds more than one PEM block (%q and %q); give it exactly one key", kind, found.Type, block.Type)
		}
		found = block
	}
	if found == nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, badKey("the %s key file is empty", kind)
		}
		return nil, badKey("the %s key file is not PEM (no -----BEGIN ...----- block)", kind)
	}
	return found, nil
}

func requireP256Private(key any) (*ecdsa.PrivateKey, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, badKey("the key is on curve %s; Breakwater signs with P-256 (prime256v1) keys only", k.Curve.Params().Name)
		}
		return k, nil
	case *rsa.PrivateKey:
		return nil, badKey("the key is an RSA key; Breakwater signs with ECDSA P-256 keys only")
	case ed25519.PrivateKey:
		return nil, badKey("the key is an Ed25519 key; Breakwater signs with ECDSA P-256 keys only")
	default:
		return nil, badKey("the key is a %T; Breakwater signs with ECDSA P-256 keys only", key)
	}
}

func requireP256Public(key any) (*ecdsa.PublicKey, error) {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, badKey("the public key is on curve %s; Breakwater verifies P-256 (prime256v1) keys only", k.Curve.Params().Name)
		}
		return k, nil
	case *rsa.PublicKey:
		return nil, badKey("the public key is an RSA key; Breakwater verifies ECDSA P-256 keys only")
	case ed25519.PublicKey:
		return nil, badKey("the public key is an Ed25519 key; Breakwater verifies ECDSA P-256 keys only")
	default:
		return nil, badKey("the public key is a %T; Breakwater verifies ECDSA P-256 keys only", key)
	}
}

// keyParseReason turns the standard library's parse errors into words,
// naming the unsupported-curve case a person can act on.
func keyParseReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unknown elliptic curve"), strings.Contains(msg, "unsupported elliptic curve"):
		return "the key is on a curve other than P-256 (prime256v1), which is the only one Breakwater accepts"
	case strings.Contains(msg, "unknown public key algorithm"), strings.Contains(msg, "PKCS#8 wrapping contained private key with unknown algorithm"):
		return "the key's algorithm is not supported; Breakwater accepts ECDSA P-256 keys only"
	}
	return strings.TrimPrefix(msg, "x509: ")
}

// KeyHint is the public key's hint in a bundle: base64 of the SHA-256 of
// its PKIX DER form (what sigstore-go and cosign use).
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", badKey("the public key cannot be encoded: %v", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// MarshalPublicKeyPEM writes pub as a "PUBLIC KEY" PEM block, the form
// ParsePublicKeyPEM reads.
func MarshalPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, badKey("the public key cannot be encoded: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

var errNoSigner = errors.New("no key given")

// keyPublic checks a KeySigner's public key before anything is signed.
func keyPublic(k KeySigner) (*ecdsa.PublicKey, error) {
	if k == nil {
		return nil, badKey("%v", errNoSigner)
	}
	return requireP256Public(k.Public())
}

// String forms of keys never include key material: a KeySigner printed by
// mistake (%v of a struct holding it) shows only its kind.
func (c cryptoSigner) String() string   { return fmt.Sprintf("signing.KeySigner(%T)", c.s) }
func (c cryptoSigner) GoString() string { return c.String() }
