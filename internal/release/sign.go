package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
}

func (SignStep) Name() string { return "sign" }

func (s SignStep) Run(ctx context.Context, r *Release) (string, error) {
	if len(r.Tarball) == 0 {
		return "", errors.New("there is no tarball to sign")
	}
	req := signing.Request{Package: r.signingPackage(), Tarball: r.Tarball, Provenance: s.Provenance}
	var res *signing.Result
	var err error
	switch {
	case s.Key != nil:
		res, err = signing.SignWithKey(ctx, req, s.Key)
	case s.Keyless != nil:
		res, err = signing.SignKeyless(ctx, req, *s.Keyless)
	default:
		return "", Skip("signing.mode is none: the tarball is not signed, so nothing will be deployed")
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

// SetBundle keeps a bundle and its digest.
func (r *Release) SetBundle(b []byte) {
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
