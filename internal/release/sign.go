package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/signing"
)

// SignStep signs the tarball: with Key when it is set, else keyless with
// Keyless, else it is skipped (signing.mode none) — and then nothing can be
// deployed, because verification fails closed.
type SignStep struct {
	Key     signing.KeySigner
	Keyless *signing.KeylessOptions
	// Provenance is the GitHub Actions run, nil outside Actions.
	Provenance *signing.Provenance
	// Earlier, when set, lists bundles made before for the tarball with
	// this sha256 (GitHub's attestation store): a re-run of the same tag
	// builds the same bytes, and reuses a bundle that still verifies under
	// ReusePolicy instead of signing (and logging) again.
	Earlier     func(ctx context.Context, sha256 string) ([][]byte, error)
	ReusePolicy signing.Policy
}

func (SignStep) Name() string { return "sign" }

func (s SignStep) Run(ctx context.Context, r *Release) (string, error) {
	if len(r.Tarball) == 0 {
		return "", errors.New("there is no tarball to sign")
	}
	if s.Key == nil && s.Keyless == nil {
		return "", Skip("signing.mode is none: the tarball is not signed, so nothing will be deployed")
	}
	if detail, ok := s.reuse(ctx, r); ok {
		return detail, nil
	}
	req := signing.Request{Package: r.signingPackage(), Tarball: r.Tarball, Provenance: s.Provenance}
	var res *signing.Result
	var err error
	switch {
	case s.Key != nil:
		res, err = signing.SignWithKey(ctx, req, s.Key)
	default:
		res, err = signing.SignKeyless(ctx, req, *s.Keyless)
	}
	if err != nil {
		return "", err
	}
	r.Signature = res
	r.SetBundle(res.Bundle)
	for _, w := range res.Warnings {
		r.Warn(w.Message)
	}
	if res.KeyHint != "" {
		return fmt.Sprintf("signed with key %s (%s)", res.KeyHint, r.BundleName()), nil
	}
	return fmt.Sprintf("signed keyless as %s (Rekor entry %d) (%s)", res.SAN, res.LogIndex, r.BundleName()), nil
}

// reuse looks for a bundle made for these exact bytes by an earlier run
// that verifies under the policy. Lookup failures only mean signing anew.
func (s SignStep) reuse(ctx context.Context, r *Release) (string, bool) {
	if s.Earlier == nil {
		return "", false
	}
	d := signing.DigestsOf(r.Tarball)
	bundles, err := s.Earlier(ctx, d.SHA256)
	if err != nil {
		r.Warn("looking for an earlier signature of this tarball failed, so it is signed again: " + err.Error())
		return "", false
	}
	p := s.ReusePolicy
	pkg := r.signingPackage()
	p.Package = &pkg
	for _, b := range bundles {
		if v, err := signing.Verify(r.Tarball, b, p); err == nil {
			r.SetBundle(b)
			who := v.KeyHint
			if who == "" {
				who = v.SAN
			}
			return fmt.Sprintf("already signed by %s: reusing the bundle of an earlier run of this tag (%s)", who, r.BundleName()), true
		}
	}
	return "", false
}

// SetBundle keeps a bundle and its digest. The bundle is kept compact:
// protojson varies its whitespace from run to run and GitHub's attestation
// store hands bundles back compacted, and the same bundle must keep the
// same digest (a deployment's identity) and the same release asset bytes.
func (r *Release) SetBundle(b []byte) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err == nil {
		b = buf.Bytes()
	}
	sum := sha256.Sum256(b)
	r.Bundle, r.BundleDigest = b, "sha256:"+hex.EncodeToString(sum[:])
}

// BundleName is the bundle's file name: the tarball's + ".sigstore.json".
func (r *Release) BundleName() string { return r.signingPackage().TarballName() + ".sigstore.json" }

// signingPackage names the package version as signatures do; its
// TarballName is the npm name without the scope, "-", the version, ".tgz".
func (r *Release) signingPackage() signing.Package {
	return signing.Package{Name: r.Package.NPM, Version: r.Version}
}

// VerifyStep verifies the bundle against the configured policy. It is the
// gate of every deploy: Release.Verified is set here and nowhere else.
type VerifyStep struct {
	Policy signing.Policy
}

func (VerifyStep) Name() string { return "verify" }

func (v VerifyStep) Run(ctx context.Context, r *Release) (string, error) {
	if len(r.Bundle) == 0 {
		return "", errors.New("there is no signature bundle to verify (signing.mode none?): nothing unverified is published or deployed")
	}
	p := v.Policy
	pkg := r.signingPackage()
	p.Package = &pkg
	got, err := signing.Verify(r.Tarball, r.Bundle, p)
	if err != nil {
		return "", err
	}
	r.Verified = got
	if got.KeyHint != "" {
		return "verified against the public key " + got.KeyHint, nil
	}
	return fmt.Sprintf("verified: %s, issuer %s", got.SAN, got.Issuer), nil
}
