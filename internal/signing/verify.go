package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// GitHubActionsIssuer is the OIDC issuer of GitHub Actions tokens, the
// default issuer of an identity policy.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// Policy says which signatures are accepted. Exactly one of PublicKey and
// Identity is set.
type Policy struct {
	// PublicKey accepts bundles signed by this key (key-based signing).
	PublicKey *ecdsa.PublicKey
	// Identity accepts bundles whose Fulcio certificate names this
	// identity; TrustedRoot then holds the CAs and logs to trust.
	Identity    *Identity
	TrustedRoot *TrustedRoot
	// Package, when set, must be the statement's subject: a bundle for
	// another package or version does not verify even if its digest
	// matched.
	Package *Package
	// For private Sigstore deployments only: without a CT log (no SCTs in
	// certificates) or without a transparency log (then a signed timestamp
	// must date the signature). The public-good instance needs neither.
	WithoutSCT, WithoutTransparencyLog bool
}

// Identity is an expected certificate identity, as cosign's
// --certificate-identity-regexp and --certificate-oidc-issuer.
type Identity struct {
	// SANRegexp must match the whole subject alternative name: it is
	// anchored as ^(?:SANRegexp)$ whatever it says.
	SANRegexp string
	// Issuer must equal the certificate's OIDC issuer; empty means
	// GitHubActionsIssuer.
	Issuer string
}

// ReleaseWorkflowSANRegexp is the SAN of a GitHub workflow file running for
// a tag v…: https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v….
func ReleaseWorkflowSANRegexp(serverURL, repository, workflowPath string) string {
	if serverURL == "" {
		serverURL = "https://github.com"
	}
	return regexp.QuoteMeta(strings.TrimSuffix(serverURL, "/")+"/"+repository+"/"+workflowPath) + `@refs/tags/v[^@]+`
}

// Verified is what a bundle that verified says.
type Verified struct {
	Subject       string // the statement's subject name (package URL); empty for a plain message signature
	PredicateType string
	Digests       Digests
	KeyHint       string // key-based signatures
	SAN, Issuer   string // keyless signatures
	// SignedAt are the verified times the signature existed at (log
	// integration, signed timestamps); empty for key-based bundles.
	SignedAt []time.Time
	LogIndex int64 // -1 without a log entry
}

// Verify checks tarball against bundleJSON under p. It does no I/O: the
// trusted root is loaded beforehand (ParseTrustedRoot, FetchTrustedRoot).
// A bundle that fails is ErrNotVerified with the reason; a policy that
// cannot be applied is ErrCannotRun.
func Verify(tarball, bundleJSON []byte, p Policy) (*Verified, error) {
	verifier, idPolicy, err := p.compile()
	if err != nil {
		return nil, err
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return nil, notVerified("the bundle is not a valid Sigstore bundle: %v", err)
	}
	env := b.GetDsseEnvelope()
	if env != nil && env.GetPayloadType() != PayloadType {
		return nil, notVerified("the bundle's envelope carries %q, not an in-toto statement (%s)", env.GetPayloadType(), PayloadType)
	}
	if env == nil && b.GetMessageSignature() == nil {
		return nil, notVerified("the bundle holds no signature")
	}
	if env == nil && p.Package != nil {
		return nil, notVerified("the bundle signs bare bytes, not a statement naming %s", p.Package.PURL())
	}
	// Say plainly when the bundle is of the other kind than the policy.
	vm := b.GetVerificationMaterial()
	if p.Identity != nil && vm.GetPublicKey() != nil {
		return nil, notVerified("the bundle is signed with a key (hint %q), not a Fulcio certificate; verify it with the public key", vm.GetPublicKey().GetHint())
	}
	if p.PublicKey != nil && vm.GetPublicKey() == nil {
		return nil, notVerified("the bundle is signed with a Fulcio certificate, not a key; verify it with a certificate identity and issuer")
	}

	res, err := verifier.Verify(&b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(tarball)), idPolicy))
	if err != nil {
		return nil, notVerified("%s", reason(err))
	}

	d := DigestsOf(tarball)
	out := &Verified{Digests: d, LogIndex: -1}
	if env != nil {
		if err := checkStatement(res, d, p.Package, out); err != nil {
			return nil, err
		}
	}
	if sig := res.Signature; sig != nil {
		if sig.Certificate != nil {
			out.SAN, out.Issuer = sig.Certificate.SubjectAlternativeName, sig.Certificate.Issuer
		} else if sig.PublicKeyID != nil {
			out.KeyHint = string(*sig.PublicKeyID)
		}
	}
	for _, ts := range res.VerifiedTimestamps {
		out.SignedAt = append(out.SignedAt, ts.Timestamp)
	}
	if entries := b.GetVerificationMaterial().GetTlogEntries(); len(entries) > 0 {
		out.LogIndex = entries[0].GetLogIndex()
	}
	return out, nil
}

// checkStatement holds the statement to what is signed: the subject that
// names this tarball must list no other digest for it (sigstore-go accepts
// any one matching algorithm), and name the expected package.
func checkStatement(res *verify.VerificationResult, d Digests, pkg *Package, out *Verified) error {
	st := res.Statement
	if st == nil {
		return notVerified("the envelope holds no in-toto statement")
	}
	if t := st.GetType(); t != StatementType && t != "https://in-toto.io/Statement/v0.1" {
		return notVerified("the envelope's statement type is %q, not an in-toto statement", t)
	}
	ours := map[string]string{"sha512": d.SHA512, "sha256": d.SHA256}
	for _, s := range st.GetSubject() {
		matched, mismatched := false, ""
		for alg, want := range ours {
			got, ok := s.GetDigest()[alg]
			switch {
			case !ok:
			case strings.EqualFold(got, want):
				matched = true
			default:
				mismatched = alg
			}
		}
		if !matched {
			continue
		}
		if mismatched != "" {
			return notVerified("the statement's subject %q lists a %s digest that does not match the tarball", s.GetName(), mismatched)
		}
		if pkg != nil && s.GetName() != pkg.PURL() {
			return notVerified("the bundle signs %s, not %s", s.GetName(), pkg.PURL())
		}
		out.Subject, out.PredicateType = s.GetName(), st.GetPredicateType()
		return nil
	}
	return notVerified("the tarball's digests are not a subject of the signed statement")
}

// compile turns the policy into sigstore-go's verifier and identity
// option, or says why it cannot be applied.
func (p Policy) compile() (*verify.Verifier, verify.PolicyOption, error) {
	switch {
	case p.PublicKey != nil && p.Identity != nil:
		return nil, nil, cannotRun("the policy names both a public key and a certificate identity; give one")
	case p.PublicKey != nil:
		pub, err := requireP256Public(crypto.PublicKey(p.PublicKey))
		if err != nil {
			return nil, nil, err
		}
		sv, err := signature.LoadECDSAVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, nil, badKey("the public key cannot verify: %v", err)
		}
		// Any hint maps to the one key given, as cosign --key: a bundle
		// whose hint names another key fails on its signature.
		material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
		})
		v, err := verify.NewVerifier(material, verify.WithNoObserverTimestamps())
		if err != nil {
			return nil, nil, cannotRun("configuring the verifier: %w", err)
		}
		return v, verify.WithKey(), nil
	case p.Identity != nil:
		if p.TrustedRoot == nil || p.TrustedRoot.material == nil {
			return nil, nil, cannotRun("a certificate identity policy needs a trusted root (a trusted_root.json, or the public-good root through TUF)")
		}
		id, err := p.Identity.compile()
		if err != nil {
			return nil, nil, err
		}
		opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
		if !p.WithoutSCT {
			opts = append(opts, verify.WithSignedCertificateTimestamps(1))
		}
		if !p.WithoutTransparencyLog {
			opts = append(opts, verify.WithTransparencyLog(1))
		}
		v, err := verify.NewVerifier(p.TrustedRoot.material, opts...)
		if err != nil {
			return nil, nil, cannotRun("configuring the verifier: %w", err)
		}
		return v, verify.WithCertificateIdentity(id), nil
	}
	return nil, nil, cannotRun("the policy names neither a public key nor a certificate identity")
}

func (id Identity) compile() (verify.CertificateIdentity, error) {
	if strings.TrimSpace(id.SANRegexp) == "" {
		return verify.CertificateIdentity{}, cannotRun("the certificate identity regexp is empty; give the workflow's SAN, e.g. %s",
			ReleaseWorkflowSANRegexp("", "owner/repo", ".github/workflows/release.yml"))
	}
	anchored := "^(?:" + id.SANRegexp + ")$"
	if _, err := regexp.Compile(anchored); err != nil {
		return verify.CertificateIdentity{}, cannotRun("the certificate identity regexp %q does not compile: %v", id.SANRegexp, err)
	}
	issuer := id.Issuer
	if issuer == "" {
		issuer = GitHubActionsIssuer
	}
	ci, err := verify.NewShortCertificateIdentity(issuer, "", "", anchored)
	if err != nil {
		return verify.CertificateIdentity{}, cannotRun("the certificate identity cannot be used: %v", err)
	}
	return ci, nil
}

// reason words sigstore-go's error chain for people: its errors read
// "failed to verify X: failed to Y: detail"; the chain is kept whole,
// since each link says which check failed.
func reason(err error) string {
	var mismatch *verify.ErrNoMatchingCertificateIdentity
	msg := err.Error()
	switch {
	case errors.As(err, &mismatch):
		return "the certificate identity does not match the policy: " + msg
	case strings.Contains(msg, "artifact digests do not match") || strings.Contains(msg, "artifact digest does not match"):
		return "the tarball is not the one that was signed (its digest differs from the signed statement's): " + msg
	case strings.Contains(msg, "accepted signatures do not match threshold"):
		return "the signature does not verify with the key or certificate (wrong key, or the bundle was altered): " + msg
	case strings.Contains(msg, "outside certificate validity") || strings.Contains(msg, "expired or is not yet valid"):
		return "the certificate was not valid when the signature was logged or timestamped: " + msg
	case strings.Contains(msg, "not enough verified log entries"):
		return "no transparency log entry verifies against the trusted root: " + msg
	}
	return msg
}
