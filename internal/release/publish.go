package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/npmregistry"
)

// Registry is an npm registry; *npmregistry.Client implements it.
type Registry interface {
	Publish(ctx context.Context, tarball, manifest []byte, opts npmregistry.PublishOptions) (*npmregistry.Result, error)
}

// PublishStep publishes the verified tarball. A re-run finds the same
// bytes published and goes on; other bytes under the version are a hard
// error (versions are immutable).
type PublishStep struct {
	Registry Registry
	// Tag is the dist-tag; empty means npm's rule ("latest" unless a
	// pre-release or lower than what is published).
	Tag string
}

func (PublishStep) Name() string { return "publish" }

func (s PublishStep) Run(ctx context.Context, r *Release) (string, error) {
	if r.Verified == nil {
		return "", errors.New("refused: the tarball's bundle did not verify against the configured policy")
	}
	if s.Registry == nil {
		return "", Skip("no registry is configured")
	}
	res, err := s.Registry.Publish(ctx, r.Tarball, r.PackageJSON, npmregistry.PublishOptions{Tag: s.Tag})
	if err != nil {
		r.Published = "failed"
		return "", err
	}
	r.Published = string(res.Status)
	return fmt.Sprintf("%s@%s %s (read back from %s, integrity matches)", res.Name, res.Version, res.Status, res.TarballURL), nil
}
