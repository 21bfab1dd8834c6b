package githubapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/google/go-github/v88/github"
)

// The release path's operations: tags, releases and their assets,
// deployments and their statuses, artifact attestations.

// UploadURL is the base URL of release asset uploads for the REST API at
// apiURL: uploads.github.com for GitHub.com, uploads.SUB.ghe.com for
// GHE.com, HOST/api/uploads for GitHub Enterprise Server (HOST/api/v3).
// ok is false for any other layout; WithUploadURL names it then.
func UploadURL(apiURL string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(apiURL))
	if err != nil || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "api.github.com":
		return "https://uploads.github.com/", true
	case gheComAPI.MatchString(host):
		return "https://uploads." + strings.TrimPrefix(host, "api.") + "/", true
	}
	if p, ok := strings.CutSuffix(strings.TrimRight(u.Path, "/"), "/api/v3"); ok {
		return u.Scheme + "://" + u.Host + p + "/api/uploads/", true
	}
	return "", false
}

var gheComAPI = regexp.MustCompile(`^api\.[a-z0-9-]+\.ghe\.com$`)

// Tag is a tag and the commit it points at.
type Tag struct {
	Name string
	// SHA is the commit's, annotated tags peeled.
	SHA string
}

// Tags lists every tag of the repository, following pagination, in
// GitHub's order (not SemVer's: the caller orders and picks the previous
// release).
func (c *Client) Tags(ctx context.Context, r Repo) ([]Tag, error) {
	opts := &github.ListOptions{PerPage: perPage}
	return listAll(ctx, c, fmt.Sprintf("list the tags of %s", r), opts,
		func() ([]*github.RepositoryTag, *github.Response, error) {
			return c.gh.Repositories.ListTags(ctx, r.Owner, r.Name, opts)
		},
		func(t *github.RepositoryTag) (Tag, bool) {
			return Tag{Name: t.GetName(), SHA: t.GetCommit().GetSHA()}, true
		})
}

// CommitTime is the committer date of commit sha: what a reproducible
// build stamps instead of the clock.
func (c *Client) CommitTime(ctx context.Context, r Repo, sha string) (time.Time, error) {
	var at time.Time
	err := c.call(ctx, fmt.Sprintf("get commit %s of %s", shortSHA(sha), r), func() (*github.Response, error) {
		cm, resp, err := c.gh.Git.GetCommit(ctx, r.Owner, r.Name, sha)
		if err == nil {
			at = cm.GetCommitter().GetDate().Time
		}
		return resp, err
	})
	if err != nil {
		return time.Time{}, err
	}
	if at.IsZero() {
		return time.Time{}, &Error{Op: "get commit " + shortSHA(sha) + " of " + r.String(), Message: "the commit has no committer date"}
	}
	return at.UTC(), nil
}

// Release is a GitHub release.
type Release struct {
	ID         int64
	TagName    string
	Name       string
	Draft      bool
	Prerelease bool
	HTMLURL    string
	Assets     []ReleaseAsset
}

// ReleaseAsset is a file attached to a release.
type ReleaseAsset struct {
	ID          int64
	Name        string
	Label       string
	ContentType string
	// State is "uploaded", or "starter" for an upload that broke off.
	State string
	Size  int
	// Digest is GitHub's "sha256:…" of the content.
	Digest      string
	DownloadURL string
}

func convertAsset(a *github.ReleaseAsset) ReleaseAsset {
	return ReleaseAsset{
		ID: a.GetID(), Name: a.GetName(), Label: a.GetLabel(), ContentType: a.GetContentType(), State: a.GetState(),
		Size: a.GetSize(), Digest: a.GetDigest(), DownloadURL: a.GetBrowserDownloadURL(),
	}
}

// ReleaseByTag gets the published release of tag; a missing one (or a
// draft) is an error for which IsNotFound is true.
func (c *Client) ReleaseByTag(ctx context.Context, r Repo, tag string) (*Release, error) {
	var rel *github.RepositoryRelease
	err := c.call(ctx, fmt.Sprintf("get the release of tag %s in %s", tag, r), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		rel, resp, err = c.gh.Repositories.GetReleaseByTag(ctx, r.Owner, r.Name, tag)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	out := &Release{ID: rel.GetID(), TagName: rel.GetTagName(), Name: rel.GetName(), Draft: rel.GetDraft(), Prerelease: rel.GetPrerelease(), HTMLURL: rel.GetHTMLURL()}
	for _, a := range rel.Assets {
		out.Assets = append(out.Assets, convertAsset(a))
	}
	return out, nil
}

// ReleaseAssets lists every asset of release id.
func (c *Client) ReleaseAssets(ctx context.Context, r Repo, releaseID int64) ([]ReleaseAsset, error) {
	opts := &github.ListOptions{PerPage: perPage}
	return listAll(ctx, c, fmt.Sprintf("list the assets of release %d in %s", releaseID, r), opts,
		func() ([]*github.ReleaseAsset, *github.Response, error) {
			return c.gh.Repositories.ListReleaseAssets(ctx, r.Owner, r.Name, releaseID, opts)
		},
		func(a *github.ReleaseAsset) (ReleaseAsset, bool) { return convertAsset(a), true })
}

// AssetUpload is a file to attach to a release.
type AssetUpload struct {
	// Name is the file name; GitHub would rename one with other characters
	// than letters, digits, '.', '_' and '-' (or with a leading or trailing
	// '.'), so such names are refused.
	Name string
	// ContentType is the media type, e.g. "application/json".
	ContentType string
	Label       string
	Data        []byte
}

// UploadOutcome says what UploadReleaseAsset did.
type UploadOutcome string

// Upload outcomes.
const (
	AssetUploaded  UploadOutcome = "uploaded"  // there was no asset of that name
	AssetUnchanged UploadOutcome = "unchanged" // an identical asset was there already
	AssetReplaced  UploadOutcome = "replaced"  // an asset of that name with other content was deleted first
)

var assetNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]([A-Za-z0-9._-]*[A-Za-z0-9_-])?$`)

// UploadReleaseAsset attaches a file to release id, idempotently: an
// identical asset of the same name is left as it is, one with other content
// (or a broken "starter" upload) is deleted and uploaded again. Uploads go
// to the uploads host (UploadURL).
func (c *Client) UploadReleaseAsset(ctx context.Context, r Repo, releaseID int64, a AssetUpload) (ReleaseAsset, UploadOutcome, error) {
	op := fmt.Sprintf("upload %s to release %d in %s", a.Name, releaseID, r)
	switch {
	case !assetNameRE.MatchString(a.Name):
		return ReleaseAsset{}, "", &Error{Op: op, Message: "GitHub would rename an asset called that; use letters, digits, '.', '_' and '-'"}
	case a.ContentType == "":
		return ReleaseAsset{}, "", &Error{Op: op, Message: "no content type"}
	case c.uploads == "":
		return ReleaseAsset{}, "", &Error{Op: op, Message: "the uploads URL of this GitHub is not known; configure it (WithUploadURL)"}
	}
	sum := sha256.Sum256(a.Data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	var asset ReleaseAsset
	outcome := AssetUploaded
	// One try lists, deletes what is in the way, and uploads; a retry after
	// a 502 starts over, since that may have left a "starter" asset behind.
	// The steps inside are not retried on their own.
	once := *c
	once.retry.Attempts = 1
	err := c.retry.run(ctx, func() error {
		existing, err := once.ReleaseAssets(ctx, r, releaseID)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if e.Name != a.Name {
				continue
			}
			if e.State == "uploaded" && e.Digest == digest && e.Size == len(a.Data) {
				asset, outcome = e, AssetUnchanged
				return nil
			}
			if err := c.deleteAsset(ctx, r, e.ID); err != nil {
				return err
			}
			if e.State == "uploaded" {
				outcome = AssetReplaced
			}
		}
		u := fmt.Sprintf("repos/%s/%s/releases/%d/assets?name=%s", url.PathEscape(r.Owner), url.PathEscape(r.Name), releaseID, url.QueryEscape(a.Name))
		if a.Label != "" {
			u += "&label=" + url.QueryEscape(a.Label)
		}
		req, err := c.gh.NewUploadRequest(ctx, u, bytes.NewReader(a.Data), int64(len(a.Data)), a.ContentType)
		if err != nil {
			return &Error{Op: op, Err: err}
		}
		var got *github.ReleaseAsset
		resp, err := c.gh.Do(req, &got)
		if err != nil {
			return wrap(op, resp, err)
		}
		asset = convertAsset(got)
		return nil
	})
	if err != nil {
		return ReleaseAsset{}, "", err
	}
	return asset, outcome, nil
}

func (c *Client) deleteAsset(ctx context.Context, r Repo, id int64) error {
	resp, err := c.gh.Repositories.DeleteReleaseAsset(ctx, r.Owner, r.Name, id)
	if IsNotFound(wrap("", resp, err)) {
		return nil // gone already
	}
	return wrap(fmt.Sprintf("delete release asset %d in %s", id, r), resp, err)
}

// Deployment states.
const (
	DeploymentQueued     = "queued"
	DeploymentInProgress = "in_progress"
	DeploymentSuccess    = "success"
	DeploymentFailure    = "failure"
	DeploymentError      = "error"
	DeploymentInactive   = "inactive"
)

// MaxDescription is the most characters GitHub keeps of a deployment
// status description.
const MaxDescription = 140

// TruncateDescription fits s into MaxDescription characters: invalid UTF-8
// replaced, cut on a rune boundary with "…" at the end.
func TruncateDescription(s string) string { return clip.Runes(s, MaxDescription) }

// DeploymentPayload is what a deployment records about the release; it is
// stored as the deployment's JSON payload.
type DeploymentPayload struct {
	Package         string `json:"package"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previousVersion,omitempty"`
	BundleDigest    string `json:"bundleDigest,omitempty"`
}

// NewDeployment is a deployment to record.
type NewDeployment struct {
	// Ref is the release tag.
	Ref         string
	Environment string
	Description string
	// Production marks an environment end users use; GitHub never marks
	// such deployments inactive by itself.
	Production bool
	// Transient marks an environment that will be torn down.
	Transient bool
	Payload   DeploymentPayload
}

// Deployment is a recorded deployment.
type Deployment struct {
	ID          int64
	Ref         string
	SHA         string
	Environment string
	Description string
	// Payload is zero when the deployment was not made by this client.
	Payload   DeploymentPayload
	CreatedAt time.Time
}

func convertDeployment(d *github.Deployment) Deployment {
	return Deployment{
		ID: d.GetID(), Ref: d.GetRef(), SHA: d.GetSHA(), Environment: d.GetEnvironment(), Description: d.GetDescription(),
		CreatedAt: d.GetCreatedAt().Time, Payload: decodePayload(d.Payload),
	}
}

// decodePayload reads a payload written as an object or, by other tools,
// as a string holding JSON; anything else is the zero payload.
func decodePayload(raw json.RawMessage) DeploymentPayload {
	var p DeploymentPayload
	if json.Unmarshal(raw, &p) == nil {
		return p
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && json.Unmarshal([]byte(s), &p) == nil {
		return p
	}
	return DeploymentPayload{}
}

// DeploymentQuery selects deployments.
type DeploymentQuery struct {
	Environment string
	Ref         string
	// Limit stops after this many (newest first); 0 lists them all.
	Limit int
}

// Deployments lists deployments, newest first.
func (c *Client) Deployments(ctx context.Context, r Repo, q DeploymentQuery) ([]Deployment, error) {
	var out []Deployment
	opts := &github.DeploymentsListOptions{Environment: q.Environment, Ref: q.Ref, ListOptions: github.ListOptions{PerPage: perPage}}
	if q.Limit > 0 {
		opts.PerPage = min(q.Limit, perPage)
	}
	for {
		var page []*github.Deployment
		var resp *github.Response
		err := c.call(ctx, fmt.Sprintf("list the deployments of %s to %q", r, q.Environment), func() (*github.Response, error) {
			var err error
			page, resp, err = c.gh.Repositories.ListDeployments(ctx, r.Owner, r.Name, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			out = append(out, convertDeployment(d))
			if q.Limit > 0 && len(out) == q.Limit {
				return out, nil
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// EnsureDeployment records the deployment of a release to an environment,
// once: a re-run finds the deployment of the same tag, environment,
// package, version and bundle and returns it with created false.
func (c *Client) EnsureDeployment(ctx context.Context, r Repo, d NewDeployment) (dep Deployment, created bool, err error) {
	if d.Ref == "" || d.Environment == "" || d.Payload.Package == "" || d.Payload.Version == "" {
		return Deployment{}, false, &Error{Op: "create a deployment", Message: "the ref, environment, package and version must not be empty"}
	}
	existing, err := c.Deployments(ctx, r, DeploymentQuery{Environment: d.Environment, Ref: d.Ref, Limit: perPage})
	if err != nil {
		return Deployment{}, false, err
	}
	for _, e := range existing {
		p := e.Payload
		if p.Package == d.Payload.Package && p.Version == d.Payload.Version && p.BundleDigest == d.Payload.BundleDigest {
			return e, false, nil
		}
	}
	err = c.call(ctx, fmt.Sprintf("create a deployment of %s to %q", d.Ref, d.Environment), func() (*github.Response, error) {
		got, resp, err := c.gh.Repositories.CreateDeployment(ctx, r.Owner, r.Name, &github.DeploymentRequest{
			Ref:                   github.Ptr(d.Ref),
			Task:                  github.Ptr("deploy"),
			AutoMerge:             github.Ptr(false),
			RequiredContexts:      &[]string{},
			Payload:               d.Payload,
			Environment:           github.Ptr(d.Environment),
			Description:           github.Ptr(TruncateDescription(d.Description)),
			TransientEnvironment:  github.Ptr(d.Transient),
			ProductionEnvironment: github.Ptr(d.Production),
		})
		if err == nil {
			dep = convertDeployment(got)
		}
		return resp, err
	})
	if err != nil {
		return Deployment{}, false, err
	}
	return dep, true, nil
}

// DeploymentStatus is a deployment's status.
type DeploymentStatus struct {
	ID int64
	// State is one of the Deployment… constants.
	State string
	// Description is cut to MaxDescription characters.
	Description string
	// LogURL is where the run's output is (the workflow run).
	LogURL string
	// EnvironmentURL is where the deployed environment is.
	EnvironmentURL string
}

// SetDeploymentStatus adds a status to deployment id. A success also makes
// GitHub mark earlier successful deployments of non-production environments
// inactive; DeactivateSuperseded does it for the others.
func (c *Client) SetDeploymentStatus(ctx context.Context, r Repo, id int64, s DeploymentStatus) error {
	return c.call(ctx, fmt.Sprintf("set deployment %d of %s to %s", id, r, s.State), func() (*github.Response, error) {
		_, resp, err := c.gh.Repositories.CreateDeploymentStatus(ctx, r.Owner, r.Name, id, &github.DeploymentStatusRequest{
			State:          github.Ptr(s.State),
			Description:    github.Ptr(TruncateDescription(s.Description)),
			LogURL:         nonEmpty(s.LogURL),
			EnvironmentURL: nonEmpty(s.EnvironmentURL),
		})
		return resp, err
	})
}

// LatestDeploymentStatus is the newest status of deployment id; State is
// "" when it has none.
func (c *Client) LatestDeploymentStatus(ctx context.Context, r Repo, id int64) (DeploymentStatus, error) {
	var page []*github.DeploymentStatus
	err := c.call(ctx, fmt.Sprintf("get the status of deployment %d of %s", id, r), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		page, resp, err = c.gh.Repositories.ListDeploymentStatuses(ctx, r.Owner, r.Name, id, &github.ListOptions{PerPage: 1})
		return resp, err
	})
	if err != nil || len(page) == 0 {
		return DeploymentStatus{}, err
	}
	s := page[0]
	return DeploymentStatus{ID: s.GetID(), State: s.GetState(), Description: s.GetDescription(), LogURL: s.GetLogURL(), EnvironmentURL: s.GetEnvironmentURL()}, nil
}

// SupersededScan is how many of an environment's newest deployments
// DeactivateSuperseded looks at: each run marks its predecessors, so older
// ones are inactive already.
const SupersededScan = 20

// DeactivateSuperseded marks inactive the deployments to environment older
// than current whose latest status is success, as GitHub does by itself
// only for non-production environments, and returns their IDs.
func (c *Client) DeactivateSuperseded(ctx context.Context, r Repo, environment string, current int64, description string) ([]int64, error) {
	deps, err := c.Deployments(ctx, r, DeploymentQuery{Environment: environment, Limit: SupersededScan})
	if err != nil {
		return nil, err
	}
	var marked []int64
	for _, d := range deps {
		// IDs grow: a newer deployment is someone else's, not superseded.
		if d.ID >= current {
			continue
		}
		s, err := c.LatestDeploymentStatus(ctx, r, d.ID)
		if err != nil {
			return marked, err
		}
		if s.State != DeploymentSuccess {
			continue
		}
		if err := c.SetDeploymentStatus(ctx, r, d.ID, DeploymentStatus{State: DeploymentInactive, Description: description}); err != nil {
			return marked, err
		}
		marked = append(marked, d.ID)
	}
	return marked, nil
}

// Attestation is an artifact attestation stored with GitHub.
type Attestation struct {
	// Bundle is the Sigstore bundle; GitHub may leave it out for large
	// ones and give BundleURL instead.
	Bundle       json.RawMessage
	BundleURL    string
	RepositoryID int64
}

var subjectDigestRE = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$`)

// Attestations lists the attestations of the artifact with subjectDigest
// ("sha256:HEX", as `gh attestation verify` looks them up, or "sha512:HEX").
func (c *Client) Attestations(ctx context.Context, r Repo, subjectDigest string) ([]Attestation, error) {
	op := fmt.Sprintf("list the attestations of %s in %s", subjectDigest, r)
	if !subjectDigestRE.MatchString(subjectDigest) {
		return nil, &Error{Op: op, Message: "the subject digest must be sha256:HEX or sha512:HEX, lower-case"}
	}
	var out []Attestation
	after := ""
	for {
		u := fmt.Sprintf("repos/%s/%s/attestations/%s?per_page=%d", url.PathEscape(r.Owner), url.PathEscape(r.Name), subjectDigest, perPage)
		if after != "" {
			u += "&after=" + url.QueryEscape(after)
		}
		var page struct {
			Attestations []struct {
				Bundle       json.RawMessage `json:"bundle"`
				BundleURL    string          `json:"bundle_url"`
				RepositoryID int64           `json:"repository_id"`
			} `json:"attestations"`
		}
		var resp *github.Response
		err := c.call(ctx, op, func() (*github.Response, error) {
			req, err := c.gh.NewRequest(ctx, "GET", u, nil)
			if err != nil {
				return nil, err
			}
			resp, err = c.gh.Do(req, &page)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, a := range page.Attestations {
			b := a.Bundle
			if string(bytes.TrimSpace(b)) == "null" {
				b = nil
			}
			out = append(out, Attestation{Bundle: b, BundleURL: a.BundleURL, RepositoryID: a.RepositoryID})
		}
		if resp.After == "" || resp.After == after {
			return out, nil
		}
		after = resp.After
	}
}

// dsse is the part of a bundle that identifies an attestation: the signed
// statement and its signatures.
type dsse struct {
	DSSEEnvelope *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
	MediaType string `json:"mediaType"`
}

func (d dsse) same(o dsse) bool {
	if d.DSSEEnvelope == nil || o.DSSEEnvelope == nil {
		return false
	}
	a, b := d.DSSEEnvelope, o.DSSEEnvelope
	return a.Payload == b.Payload && a.PayloadType == b.PayloadType && slices.Equal(a.Signatures, b.Signatures)
}

// StoreAttestation stores a Sigstore bundle as an artifact attestation of
// the artifact with subjectDigest, unless the same signed statement is
// stored already (a re-run): then stored is false and id 0 (GitHub's list
// does not give IDs). The bundle must hold a DSSE envelope with an in-toto
// statement whose subjects include subjectDigest; that is what GitHub
// indexes and `gh attestation verify` checks.
func (c *Client) StoreAttestation(ctx context.Context, r Repo, subjectDigest string, bundle []byte) (id int64, stored bool, err error) {
	op := fmt.Sprintf("store the attestation of %s in %s", subjectDigest, r)
	var mine dsse
	if err := json.Unmarshal(bundle, &mine); err != nil {
		return 0, false, &Error{Op: op, Message: "the bundle is not JSON", Err: err}
	}
	if mine.DSSEEnvelope == nil || !strings.HasPrefix(mine.MediaType, "application/vnd.dev.sigstore.bundle") {
		return 0, false, &Error{Op: op, Message: "the bundle is not a Sigstore bundle with a DSSE envelope (GitHub stores in-toto attestations, not bare signatures)"}
	}
	existing, err := c.Attestations(ctx, r, subjectDigest)
	if err != nil {
		return 0, false, err
	}
	for _, e := range existing {
		var theirs dsse
		if e.Bundle != nil && json.Unmarshal(e.Bundle, &theirs) == nil && theirs.same(mine) {
			return 0, false, nil
		}
	}
	u := fmt.Sprintf("repos/%s/%s/attestations", url.PathEscape(r.Owner), url.PathEscape(r.Name))
	err = c.call(ctx, op, func() (*github.Response, error) {
		req, err := c.gh.NewRequest(ctx, "POST", u, struct {
			Bundle json.RawMessage `json:"bundle"`
		}{bundle})
		if err != nil {
			return nil, err
		}
		var got struct {
			ID int64 `json:"id"`
		}
		resp, err := c.gh.Do(req, &got)
		id = got.ID
		return resp, err
	})
	if err != nil {
		return 0, false, err
	}
	return id, true, nil
}
