package signing

import (
	"context"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// TrustedRoot is the trust material of keyless verification: Fulcio CAs,
// Rekor and CT log keys, timestamp authorities. It comes from a
// trusted_root.json file (offline, air-gapped, a private instance) or from
// the Sigstore TUF repository (online, public good); the caller chooses,
// nothing is fetched behind its back.
type TrustedRoot struct {
	material root.TrustedMaterial
}

// ParseTrustedRoot reads a trusted_root.json (the form `cosign trusted-root
// create` and Sigstore's TUF repository publish).
func ParseTrustedRoot(data []byte) (*TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, cannotRun("the trusted root is not a Sigstore trusted_root.json: %v", err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		return nil, cannotRun("the trusted root names no certificate authority, so no certificate can verify against it")
	}
	return &TrustedRoot{material: tr}, nil
}

// TUFOptions say where the trusted root is fetched from. The zero value is
// the public-good instance with the cache in the user's ~/.sigstore/root.
type TUFOptions struct {
	MirrorURL string // default: the public-good TUF mirror
	RootJSON  []byte // the TUF root to start from; default: public good's, embedded in sigstore-go
	CacheDir  string // default: ~/.sigstore/root
	// Offline uses the cached metadata without contacting the mirror while
	// it is still valid.
	Offline bool
}

// FetchTrustedRoot gets trusted_root.json through the TUF client (verified
// against the TUF root) — network access unless Offline and cached.
func FetchTrustedRoot(ctx context.Context, o TUFOptions) (*TrustedRoot, error) {
	opts := tuf.DefaultOptions().WithContext(ctx)
	if o.MirrorURL != "" {
		opts.RepositoryBaseURL = o.MirrorURL
	}
	if o.RootJSON != nil {
		opts.Root = o.RootJSON
	}
	if o.CacheDir != "" {
		opts.CachePath = o.CacheDir
	} else if opts.CachePath == "" || !filepath.IsAbs(opts.CachePath) {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, cannotRun("no directory for the TUF cache (set one): %v", err)
		}
		opts.CachePath = filepath.Join(dir, "sigstore", "root")
	}
	if o.Offline {
		opts.ForceCache = true
	}
	client, err := tuf.New(opts)
	if err != nil {
		return nil, cannotRun("the Sigstore TUF repository %s cannot be read (use a trusted_root.json file offline): %v", opts.RepositoryBaseURL, err)
	}
	data, err := client.GetTarget("trusted_root.json")
	if err != nil {
		return nil, cannotRun("the TUF repository %s has no usable trusted_root.json: %v", opts.RepositoryBaseURL, err)
	}
	return ParseTrustedRoot(data)
}
