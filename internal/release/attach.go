package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// Assets is what attaching the bundle needs from GitHub; *githubapi.Client
// implements it.
type Assets interface {
	ReleaseByTag(ctx context.Context, r githubapi.Repo, tag string) (*githubapi.Release, error)
	UploadReleaseAsset(ctx context.Context, r githubapi.Repo, releaseID int64, a githubapi.AssetUpload) (githubapi.ReleaseAsset, githubapi.UploadOutcome, error)
	StoreAttestation(ctx context.Context, r githubapi.Repo, subjectDigest string, bundle []byte) (int64, bool, error)
}

// AttachStep stores the bundle as an artifact attestation (so that `gh
// attestation verify` finds it by the tarball's sha256) and attaches it to
// the tag's GitHub release. A pushed tag without a release gets the
// attestation only.
type AttachStep struct {
	GitHub Assets
}

func (AttachStep) Name() string { return "attach bundle and attestation" }

func (a AttachStep) Run(ctx context.Context, r *Release) (string, error) {
	if a.GitHub == nil {
		return "", Skip("no GitHub repository to attach the bundle to (outside GitHub Actions); keep %s with the tarball", r.BundleName())
	}
	if len(r.Bundle) == 0 || r.Verified == nil {
		return "", errors.New("no verified bundle to attach: the bundle must verify first")
	}
	_, stored, err := a.GitHub.StoreAttestation(ctx, r.Repo, "sha256:"+r.Verified.Digests.SHA256, r.Bundle)
	if err != nil {
		return "", err
	}
	att := "attestation stored"
	if !stored {
		att = "attestation already stored"
	}
	rel, err := a.GitHub.ReleaseByTag(ctx, r.Repo, r.Tag)
	if githubapi.IsNotFound(err) {
		return att + "; no published GitHub release for " + r.Tag + ", so the bundle is not attached", nil
	}
	if err != nil {
		return "", err
	}
	_, outcome, err := a.GitHub.UploadReleaseAsset(ctx, r.Repo, rel.ID, githubapi.AssetUpload{
		Name: r.BundleName(), ContentType: "application/json", Label: "Sigstore bundle", Data: r.Bundle,
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %s %s on release %s", att, r.BundleName(), outcome, r.Tag), nil
}
