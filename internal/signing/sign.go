package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

// The public-good Sigstore instance, the default for keyless signing.
const (
	PublicGoodFulcioURL = "https://fulcio.sigstore.dev"
	PublicGoodRekorURL  = "https://rekor.sigstore.dev"
	// PublicGoodTSAURL is the public-good timestamp authority; keyless
	// signing uses one only when KeylessOptions.TSAURL names it.
	PublicGoodTSAURL = "https://timestamp.sigstore.dev/api/v1/timestamp"
)

// BundleMediaType is the media type of the bundles written (protobuf-specs
// bundle v0.3).
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Request is what to sign.
type Request struct {
	Package Package
	Tarball []byte // the exact bytes published
	// Provenance is the GitHub Actions run that built the tarball; nil
	// outside Actions (the statement then carries the release predicate).
	Provenance *Provenance
}

// Result is a signed tarball's bundle and what it says.
type Result struct {
	Bundle        []byte // Sigstore bundle JSON (BundleMediaType)
	Subject       string // the statement's subject name, the package URL
	Digests       Digests
	PredicateType string
	// KeyHint names the key of a key-based signature.
	KeyHint string
	// Certificate identity of a keyless signature.
	SAN, Issuer string
	// LogIndex is the Rekor entry of a keyless signature, -1 without one.
	LogIndex int64
	// Warnings for the caller to print (see WarningPublicLog).
	Warnings []Warning
}

// Warning is something the caller must show the person running the
// release; signing went ahead.
type Warning struct {
	Code    string
	Message string
}

// WarningPublicLog: keyless signing for a repository that is not known to
// be public put its names into public logs.
const WarningPublicLog = "public-transparency-log"

func (w Warning) String() string { return w.Message }

// SignWithKey signs req with a long-lived key, offline: no certificate, no
// transparency log; the bundle names the key by its hint. The bundle is
// verified with the key's public half before it is returned.
func SignWithKey(ctx context.Context, req Request, key KeySigner) (*Result, error) {
	pub, err := keyPublic(key)
	if err != nil {
		return nil, err
	}
	content, res, err := prepare(req)
	if err != nil {
		return nil, err
	}
	kp, err := newKeyPair(key, pub)
	if err != nil {
		return nil, err
	}
	pb, err := bundleSafely(content, kp, sign.BundleOptions{Context: ctx})
	if err != nil {
		return nil, cannotRun("signing with the key: %w", err)
	}
	if err := finish(pb, res); err != nil {
		return nil, err
	}
	res.KeyHint = string(kp.hint)
	if _, err := Verify(req.Tarball, res.Bundle, Policy{PublicKey: pub, Package: &req.Package}); err != nil {
		return nil, cannotRun("the new bundle does not verify with the key's public half (is the KMS key the one named?): %w", err)
	}
	return res, nil
}

// KeylessOptions configure keyless signing. URLs default to the
// public-good instance.
type KeylessOptions struct {
	Token     TokenSource // required: the OIDC token (see ActionsToken)
	FulcioURL string
	RekorURL  string
	TSAURL    string // optional timestamp authority; empty: none
	// Transport for the Fulcio and timestamp requests (tests, proxies).
	Transport http.RoundTripper
	Timeout   time.Duration // per request; default 30 s
	// RepositoryVisibility is "public", "private" or "internal" when the
	// caller knows it (from the event payload); empty takes the token's
	// repository_visibility claim.
	RepositoryVisibility string
	// TrustedRoot, when given, verifies the new bundle (certificate chain,
	// SCT, log entry) before it is returned.
	TrustedRoot *TrustedRoot
}

// SignKeyless signs req with a short-lived certificate: an ephemeral key,
// Fulcio's certificate for the OIDC identity, a Rekor entry and, when
// configured, a signed timestamp.
func SignKeyless(ctx context.Context, req Request, opts KeylessOptions) (*Result, error) {
	if opts.Token == nil {
		return nil, cannotRun("keyless signing needs an OIDC token source")
	}
	token, err := opts.Token.Token(ctx)
	if err != nil {
		return nil, err
	}
	res, err := signKeyless(ctx, req, opts, token)
	return res, redact(err, token)
}

func signKeyless(ctx context.Context, req Request, opts KeylessOptions, token string) (*Result, error) {
	cl, err := parseClaims(token)
	if err != nil {
		return nil, cannotRun("the OIDC token is not a JWT: %w", err)
	}
	fulcioURL, err := serviceURL(opts.FulcioURL, PublicGoodFulcioURL, "Fulcio")
	if err != nil {
		return nil, err
	}
	rekorURL, err := serviceURL(opts.RekorURL, PublicGoodRekorURL, "Rekor")
	if err != nil {
		return nil, err
	}
	content, res, err := prepare(req)
	if err != nil {
		return nil, err
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, cannotRun("creating the ephemeral key: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	bo := sign.BundleOptions{
		Context:                    ctx,
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: fulcioURL, Timeout: timeout, Retries: 2, Transport: opts.Transport}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token},
		TransparencyLogs:           []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: rekorURL, Timeout: timeout, Retries: 2})},
	}
	if opts.TSAURL != "" {
		tsaURL, err := serviceURL(opts.TSAURL, "", "timestamp authority")
		if err != nil {
			return nil, err
		}
		bo.TimestampAuthorities = []*sign.TimestampAuthority{sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
			URL: tsaURL, Timeout: timeout, Retries: 2, Transport: opts.Transport,
		})}
	}
	res.Warnings = publicLogWarnings(fulcioURL, rekorURL, opts.RepositoryVisibility, cl, req.Provenance)

	pb, err := bundleSafely(content, kp, bo)
	if err != nil {
		return nil, cannotRun("keyless signing (Fulcio %s, Rekor %s): %w", fulcioURL, rekorURL, err)
	}
	if err := finish(pb, res); err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(pb.GetVerificationMaterial().GetCertificate().GetRawBytes())
	if err != nil {
		return nil, cannotRun("Fulcio's certificate cannot be parsed: %w", err)
	}
	sum, err := certificate.SummarizeCertificate(leaf)
	if err != nil {
		return nil, cannotRun("Fulcio's certificate has unreadable extensions: %w", err)
	}
	res.SAN, res.Issuer = sum.SubjectAlternativeName, sum.Issuer
	if entries := pb.GetVerificationMaterial().GetTlogEntries(); len(entries) > 0 {
		res.LogIndex = entries[0].GetLogIndex()
	}
	if opts.TrustedRoot != nil {
		policy := Policy{
			Identity:    &Identity{SANRegexp: regexp.QuoteMeta(res.SAN), Issuer: res.Issuer},
			TrustedRoot: opts.TrustedRoot,
			Package:     &req.Package,
		}
		if _, err := Verify(req.Tarball, res.Bundle, policy); err != nil {
			return nil, cannotRun("the new bundle does not verify against the trusted root: %w", err)
		}
	}
	return res, nil
}

// prepare validates the request and builds the DSSE content.
func prepare(req Request) (*sign.DSSEData, *Result, error) {
	if err := req.Package.Validate(); err != nil {
		return nil, nil, err
	}
	if len(req.Tarball) == 0 {
		return nil, nil, cannotRun("the tarball is empty")
	}
	d := DigestsOf(req.Tarball)
	payload, predicate, err := buildStatement(req.Package, d, req.Provenance)
	if err != nil {
		return nil, nil, err
	}
	return &sign.DSSEData{Data: payload, PayloadType: PayloadType},
		&Result{Subject: req.Package.PURL(), Digests: d, PredicateType: predicate, LogIndex: -1}, nil
}

// bundleSafely runs sigstore-go's signing. Its clients dereference fields
// of the services' answers without checks, so a broken Fulcio or Rekor
// response is turned from a panic into an error.
func bundleSafely(content sign.Content, kp sign.Keypair, opts sign.BundleOptions) (pb *protobundle.Bundle, err error) {
	defer func() {
		if r := recover(); r != nil {
			pb, err = nil, fmt.Errorf("a signing service's response could not be processed (%v)", r)
		}
	}()
	return sign.Bundle(content, kp, opts)
}

func finish(pb *protobundle.Bundle, res *Result) error {
	out, err := protojson.Marshal(pb)
	if err != nil {
		return cannotRun("encoding the bundle: %w", err)
	}
	res.Bundle = out
	return nil
}

func serviceURL(given, def, what string) (string, error) {
	s := given
	if s == "" {
		s = def
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", cannotRun("the %s URL %q is not an http(s) URL", what, s)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// publicLogWarnings warns when a repository not known to be public signs
// through the public-good services: Fulcio's certificate (in its public CT
// log) and the Rekor entry name the repository and the workflow.
func publicLogWarnings(fulcioURL, rekorURL, visibility string, cl claims, prov *Provenance) []Warning {
	public := []string{}
	for _, u := range []struct{ url, def string }{{fulcioURL, PublicGoodFulcioURL}, {rekorURL, PublicGoodRekorURL}} {
		if sameHost(u.url, u.def) {
			public = append(public, u.url)
		}
	}
	if len(public) == 0 {
		return nil
	}
	if visibility == "" {
		visibility = cl.RepositoryVisibility
	}
	if visibility == "public" {
		return nil
	}
	repo := cl.Repository
	if repo == "" && prov != nil {
		repo = prov.Repository
	}
	workflow := cl.JobWorkflowRef
	if workflow == "" && prov != nil {
		workflow = prov.WorkflowRef
	}
	what := "the repository and workflow names"
	if repo != "" && workflow != "" {
		what = fmt.Sprintf("the repository name (%s) and workflow (%s)", repo, workflow)
	}
	state := "is " + visibility
	if visibility == "" {
		state = "may not be public (its visibility is unknown)"
	}
	return []Warning{{
		Code: WarningPublicLog,
		Message: fmt.Sprintf("keyless signing wrote %s to public transparency logs (%s), where anyone can read them for good, "+
			"but the repository %s; sign with a key (--key) or a private Sigstore instance to keep them private",
			what, strings.Join(public, ", "), state),
	}}
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Hostname(), ub.Hostname())
}

// keyPair adapts a KeySigner to sigstore-go's signing interface.
type keyPair struct {
	signer KeySigner
	pub    *ecdsa.PublicKey
	hint   []byte
	pem    string
}

func newKeyPair(k KeySigner, pub *ecdsa.PublicKey) (*keyPair, error) {
	hint, err := KeyHint(pub)
	if err != nil {
		return nil, err
	}
	p, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	return &keyPair{signer: k, pub: pub, hint: []byte(hint), pem: string(p)}, nil
}

func (k *keyPair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (k *keyPair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (k *keyPair) GetHint() []byte                  { return k.hint }
func (k *keyPair) GetKeyAlgorithm() string          { return "ECDSA" }
func (k *keyPair) GetPublicKey() crypto.PublicKey   { return k.pub }
func (k *keyPair) GetPublicKeyPem() (string, error) { return k.pem, nil }

// SignData signs SHA-256(data) and returns the signature and the digest.
func (k *keyPair) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	digest := sha256.Sum256(data)
	sig, err := k.signer.SignDigest(ctx, digest[:])
	if err != nil {
		return nil, nil, fmt.Errorf("the signing key failed: %w", err)
	}
	return sig, digest[:], nil
}
