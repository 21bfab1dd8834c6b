package githubtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The release side of the fake: tags, releases and their assets (uploaded to
// a second server, as GitHub's go to uploads.github.com), deployments and
// their statuses, and artifact attestations.

// releaseHandlers serve the release side; serve looks here after handlers.
var releaseHandlers = map[string]func(*call){
	"repos/list-tags":                listTags,
	"repos/get-release-by-tag":       getReleaseByTag,
	"repos/list-release-assets":      listReleaseAssets,
	"repos/delete-release-asset":     deleteReleaseAsset,
	"repos/upload-release-asset":     uploadReleaseAsset,
	"repos/create-deployment":        createDeployment,
	"repos/list-deployments":         listDeployments,
	"repos/create-deployment-status": createDeploymentStatus,
	"repos/list-deployment-statuses": listDeploymentStatuses,
	"repos/create-attestation":       createAttestation,
	"repos/list-attestations":        listAttestations,
}

type releaseState struct {
	tags         []Tag
	releases     []*Release
	deployments  []*Deployment
	attestations []*Attestation
	// brokenUploads is how many uploads leave a "starter" asset and answer
	// 502, as GitHub's do when an upstream fails.
	brokenUploads int
}

// Tag is a lightweight tag.
type Tag struct {
	Name, SHA string
}

// Release is a GitHub release.
type Release struct {
	ID         int64
	TagName    string
	Name       string
	Draft      bool
	Prerelease bool
	Assets     []Asset
}

// Asset is a release asset.
type Asset struct {
	ID          int64
	Name        string
	Label       string
	ContentType string
	// State is "uploaded", or "starter" for an upload that broke off.
	State string
	Data  []byte
}

// Deployment is a deployment with its statuses, oldest status first.
type Deployment struct {
	ID               int64
	Ref, SHA, Task   string
	Environment      string
	Description      string
	Payload          json.RawMessage
	AutoMerge        bool
	RequiredContexts []string // nil when the request left them out
	Transient        bool
	Production       bool
	Statuses         []DeploymentStatus
}

// State is the state of the latest status, "" for none.
func (d Deployment) State() string {
	if len(d.Statuses) == 0 {
		return ""
	}
	return d.Statuses[len(d.Statuses)-1].State
}

// DeploymentStatus is a deployment status.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	Environment    string
	LogURL         string
	EnvironmentURL string
	// Auto is true for an inactive status GitHub added itself
	// (auto_inactive) when a later deployment succeeded.
	Auto bool
}

// Attestation is a stored artifact attestation.
type Attestation struct {
	ID     int64
	Bundle json.RawMessage
	// Subjects are the statement's subject digests, "alg:hex".
	Subjects      []string
	PredicateType string
}

func (r *Repository) release() *releaseState {
	if r.rel == nil {
		r.rel = &releaseState{}
	}
	return r.rel
}

// Tag adds a tag pointing at commit sha.
func (r *Repository) Tag(name, sha string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.release().tags = append(r.release().tags, Tag{Name: name, SHA: sha})
}

// AddRelease adds a release of tag and returns its ID.
func (r *Repository) AddRelease(tag, name string, draft bool) int64 {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.nextID++
	r.release().releases = append(r.release().releases, &Release{ID: r.f.nextID, TagName: tag, Name: name, Draft: draft})
	return r.f.nextID
}

// Release is the release of tag, drafts included; ok is false without one.
func (r *Repository) Release(tag string) (rel Release, ok bool) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	for _, x := range r.release().releases {
		if x.TagName == tag {
			cp := *x
			cp.Assets = slices.Clone(x.Assets)
			return cp, true
		}
	}
	return Release{}, false
}

// SetCommitTime sets the author and committer date of commit sha.
func (r *Repository) SetCommitTime(sha string, at time.Time) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if c := r.commits[sha]; c != nil {
		c.at = at.UTC()
	}
}

// getGitCommit answers GET /repos/{owner}/{repo}/git/commits/{commit_sha}.
func getGitCommit(c *call) {
	cm := c.repo.commits[c.op.Params["commit_sha"]]
	if cm == nil {
		c.notFound("No commit found for SHA: " + c.op.Params["commit_sha"])
		return
	}
	person := map[string]any{"name": "Octo Cat", "email": "octocat@example.com", "date": cm.at.Format(time.RFC3339)}
	parents := make([]map[string]any, len(cm.parents))
	for i, p := range cm.parents {
		parents[i] = map[string]any{"sha": p, "url": fmt.Sprintf("%s/repos/%s/git/commits/%s", c.f.URL, c.repo.fullName(), p)}
	}
	c.json(http.StatusOK, map[string]any{
		"sha": cm.sha, "node_id": "C_" + cm.sha, "url": fmt.Sprintf("%s/repos/%s/git/commits/%s", c.f.URL, c.repo.fullName(), cm.sha),
		"author": person, "committer": person, "message": "commit " + cm.sha[:7],
		"tree":    map[string]any{"sha": cm.sha, "url": fmt.Sprintf("%s/repos/%s/git/trees/%s", c.f.URL, c.repo.fullName(), cm.sha)},
		"parents": parents, "verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
	})
}

// BreakUploads makes the next n uploads fail as GitHub's do when an
// upstream fails: 502, leaving an empty asset in state "starter".
func (r *Repository) BreakUploads(n int) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.release().brokenUploads = n
}

// Deployments are the deployments, oldest first.
func (r *Repository) Deployments() []Deployment {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	out := make([]Deployment, len(r.release().deployments))
	for i, d := range r.release().deployments {
		out[i] = *d
		out[i].Statuses = slices.Clone(d.Statuses)
	}
	return out
}

// Attestations are the stored attestations, oldest first.
func (r *Repository) Attestations() []Attestation {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	out := make([]Attestation, len(r.release().attestations))
	for i, a := range r.release().attestations {
		out[i] = *a
	}
	return out
}

// serveUpload is the uploads server: it serves asset uploads and nothing
// else, and answers them through serve like the API.
func (f *Fake) serveUpload(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || !uploadPath.MatchString(req.URL.Path) {
		f.reject(w, http.StatusNotFound, "%s %s: the uploads host only serves POST /repos/{owner}/{repo}/releases/{release_id}/assets", req.Method, req.URL.Path)
		return
	}
	f.serve(w, req)
}

var uploadPath = regexp.MustCompile(`^/repos/[^/]+/[^/]+/releases/[0-9]+/assets$`)

func (c *call) onUploadHost() bool {
	u, err := url.Parse(c.f.UploadURL)
	return err == nil && c.req.Host == u.Host
}

func (c *call) validationFailed(resource, field, code string) {
	c.json(http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
		"errors": []any{map[string]string{"resource": resource, "field": field, "code": code}},
	})
}

// resolve finds the commit a ref names: a tag, or a commit SHA.
func (c *call) resolve(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/tags/")
	for _, t := range c.repo.release().tags {
		if t.Name == ref {
			return t.SHA
		}
	}
	if c.repo.commits[ref] != nil {
		return ref
	}
	return ""
}

func listTags(c *call) {
	tags := slices.Clone(c.repo.release().tags)
	// GitHub lists the newest tags first, by name.
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].Name > tags[j].Name })
	out := make([]map[string]any, len(tags))
	for i, t := range tags {
		out[i] = map[string]any{
			"name":        t.Name,
			"commit":      map[string]any{"sha": t.SHA, "url": fmt.Sprintf("%s/repos/%s/commits/%s", c.f.URL, c.repo.fullName(), t.SHA)},
			"zipball_url": fmt.Sprintf("%s/repos/%s/zipball/refs/tags/%s", c.f.URL, c.repo.fullName(), t.Name),
			"tarball_url": fmt.Sprintf("%s/repos/%s/tarball/refs/tags/%s", c.f.URL, c.repo.fullName(), t.Name),
			"node_id":     "REF_" + t.Name,
		}
	}
	page(c, out)
}

func (c *call) releaseJSON(r *Release) map[string]any {
	base := fmt.Sprintf("%s/repos/%s/releases/%d", c.f.URL, c.repo.fullName(), r.ID)
	assets := []map[string]any{}
	for i := range r.Assets {
		assets = append(assets, c.assetJSON(&r.Assets[i]))
	}
	return map[string]any{
		"id": r.ID, "tag_name": r.TagName, "name": r.Name, "draft": r.Draft, "prerelease": r.Prerelease,
		"url": base, "assets_url": base + "/assets",
		"upload_url": fmt.Sprintf("%s/repos/%s/releases/%d/assets{?name,label}", c.f.UploadURL, c.repo.fullName(), r.ID),
		"html_url":   fmt.Sprintf("https://github.com/%s/releases/tag/%s", c.repo.fullName(), r.TagName),
		"assets":     assets,
	}
}

func (c *call) assetJSON(a *Asset) map[string]any {
	sum := sha256.Sum256(a.Data)
	return map[string]any{
		"id": a.ID, "name": a.Name, "label": a.Label, "content_type": a.ContentType, "state": a.State,
		"size": len(a.Data), "digest": "sha256:" + hex.EncodeToString(sum[:]), "download_count": 0,
		"url":                  fmt.Sprintf("%s/repos/%s/releases/assets/%d", c.f.URL, c.repo.fullName(), a.ID),
		"browser_download_url": fmt.Sprintf("https://github.com/%s/releases/download/%s", c.repo.fullName(), url.PathEscape(a.Name)),
	}
}

func getReleaseByTag(c *call) {
	for _, r := range c.repo.release().releases {
		// Drafts have no tag yet as far as this endpoint is concerned.
		if r.TagName == c.op.Params["tag"] && !r.Draft {
			c.json(http.StatusOK, c.releaseJSON(r))
			return
		}
	}
	c.notFound("Not Found")
}

func (c *call) releaseByID() *Release {
	id, _ := strconv.ParseInt(c.op.Params["release_id"], 10, 64)
	for _, r := range c.repo.release().releases {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func listReleaseAssets(c *call) {
	r := c.releaseByID()
	if r == nil {
		c.notFound("Not Found")
		return
	}
	out := []map[string]any{}
	for i := range r.Assets {
		out = append(out, c.assetJSON(&r.Assets[i]))
	}
	page(c, out)
}

func deleteReleaseAsset(c *call) {
	id, _ := strconv.ParseInt(c.op.Params["asset_id"], 10, 64)
	for _, r := range c.repo.release().releases {
		for i, a := range r.Assets {
			if a.ID == id {
				r.Assets = slices.Delete(r.Assets, i, i+1)
				c.w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
	c.notFound("Not Found")
}

// assetName is a name GitHub keeps as it is; it renames others, which would
// defeat replacing an asset by name.
var assetName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*[A-Za-z0-9_-]$|^[A-Za-z0-9_-]$`)

func uploadReleaseAsset(c *call) {
	if !c.onUploadHost() {
		c.f.t.Errorf("fake GitHub: a release asset was uploaded to the API host %s; uploads go to the uploads host (upload_url)", c.req.Host)
		c.notFound("Not Found")
		return
	}
	r := c.releaseByID()
	if r == nil {
		c.notFound("Not Found")
		return
	}
	q := c.req.URL.Query()
	name := q.Get("name")
	switch {
	case c.req.Header.Get("Content-Type") == "":
		c.invalid("an asset upload needs a Content-Type header")
		return
	case c.req.ContentLength != int64(len(c.body)):
		c.invalid("Content-Length %d, body of %d bytes", c.req.ContentLength, len(c.body))
		return
	case !assetName.MatchString(name):
		c.invalid("asset name %q would be renamed by GitHub", name)
		return
	}
	for _, a := range r.Assets {
		if a.Name == name {
			// GitHub answers 422 already_exists: the caller must delete the
			// old asset first.
			c.f.t.Errorf("fake GitHub: asset %q already exists on release %s", name, r.TagName)
			c.validationFailed("ReleaseAsset", "name", "already_exists")
			return
		}
	}
	c.f.nextID++
	a := Asset{ID: c.f.nextID, Name: name, Label: q.Get("label"), ContentType: c.req.Header.Get("Content-Type"), State: "uploaded", Data: slices.Clone(c.body)}
	if st := c.repo.release(); st.brokenUploads > 0 {
		st.brokenUploads--
		a.State, a.Data = "starter", nil
		r.Assets = append(r.Assets, a)
		writeJSONRaw(c.w, http.StatusBadGateway, `{"message":"Bad Gateway"}`)
		return
	}
	r.Assets = append(r.Assets, a)
	c.json(http.StatusCreated, c.assetJSON(&r.Assets[len(r.Assets)-1]))
}

// MaxStatusDescription is the most characters of a deployment status
// description.
const MaxStatusDescription = 140

func (c *call) deploymentJSON(d *Deployment) map[string]any {
	base := fmt.Sprintf("%s/repos/%s/deployments/%d", c.f.URL, c.repo.fullName(), d.ID)
	var payload any = map[string]any{}
	if len(d.Payload) > 0 {
		payload = d.Payload
	}
	return map[string]any{
		"id": d.ID, "node_id": fmt.Sprintf("DE_%d", d.ID), "url": base, "statuses_url": base + "/statuses",
		"sha": d.SHA, "ref": d.Ref, "task": d.Task, "payload": payload,
		"environment": d.Environment, "original_environment": d.Environment, "description": d.Description,
		"transient_environment": d.Transient, "production_environment": d.Production,
		"creator":    map[string]any{"login": "github-actions[bot]", "type": "Bot"},
		"created_at": time.Unix(d.ID, 0).UTC().Format(time.RFC3339), "updated_at": time.Unix(d.ID, 0).UTC().Format(time.RFC3339),
	}
}

func createDeployment(c *call) {
	var b struct {
		Ref                   string          `json:"ref"`
		Task                  *string         `json:"task"`
		AutoMerge             *bool           `json:"auto_merge"`
		RequiredContexts      *[]string       `json:"required_contexts"`
		Payload               json.RawMessage `json:"payload"`
		Environment           *string         `json:"environment"`
		Description           *string         `json:"description"`
		TransientEnvironment  *bool           `json:"transient_environment"`
		ProductionEnvironment *bool           `json:"production_environment"`
	}
	if !c.decode(&b) {
		return
	}
	sha := c.resolve(b.Ref)
	if sha == "" {
		c.json(http.StatusUnprocessableEntity, map[string]any{"message": "No ref found for: " + b.Ref, "documentation_url": "https://docs.github.com/rest"})
		return
	}
	d := &Deployment{Ref: b.Ref, SHA: sha, Task: "deploy", Environment: "production", AutoMerge: true, Payload: b.Payload}
	if b.Task != nil {
		d.Task = *b.Task
	}
	if b.AutoMerge != nil {
		d.AutoMerge = *b.AutoMerge
	}
	if b.RequiredContexts != nil {
		d.RequiredContexts = slices.Clone(*b.RequiredContexts)
		if d.RequiredContexts == nil {
			d.RequiredContexts = []string{}
		}
	}
	if b.Environment != nil {
		d.Environment = *b.Environment
	}
	if b.Description != nil {
		d.Description = *b.Description
	}
	if b.TransientEnvironment != nil {
		d.Transient = *b.TransientEnvironment
	}
	d.Production = d.Environment == "production"
	if b.ProductionEnvironment != nil {
		d.Production = *b.ProductionEnvironment
	}
	if s := strings.TrimSpace(string(b.Payload)); s != "" && s[0] == '"' {
		// A string payload must hold JSON itself.
		var inner string
		json.Unmarshal(b.Payload, &inner)
		if !json.Valid([]byte(inner)) {
			c.invalid("payload is a string that is not JSON")
			return
		}
	}
	c.f.nextID++
	d.ID = c.f.nextID
	c.repo.release().deployments = append(c.repo.release().deployments, d)
	c.json(http.StatusCreated, c.deploymentJSON(d))
}

func listDeployments(c *call) {
	q := c.req.URL.Query()
	var out []map[string]any
	deps := c.repo.release().deployments
	// Newest first, as GitHub lists them.
	for i := len(deps) - 1; i >= 0; i-- {
		d := deps[i]
		if (q.Has("environment") && q.Get("environment") != d.Environment) || (q.Has("ref") && q.Get("ref") != d.Ref) ||
			(q.Has("sha") && q.Get("sha") != d.SHA) || (q.Has("task") && q.Get("task") != d.Task) {
			continue
		}
		out = append(out, c.deploymentJSON(d))
	}
	page(c, out)
}

func (c *call) deployment() *Deployment {
	id, _ := strconv.ParseInt(c.op.Params["deployment_id"], 10, 64)
	for _, d := range c.repo.release().deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (c *call) statusJSON(d *Deployment, s *DeploymentStatus) map[string]any {
	return map[string]any{
		"id": s.ID, "node_id": fmt.Sprintf("DES_%d", s.ID), "state": s.State, "description": s.Description,
		"environment": s.Environment, "log_url": s.LogURL, "target_url": s.LogURL, "environment_url": s.EnvironmentURL,
		"deployment_url": fmt.Sprintf("%s/repos/%s/deployments/%d", c.f.URL, c.repo.fullName(), d.ID),
		"creator":        map[string]any{"login": "github-actions[bot]", "type": "Bot"},
		"created_at":     time.Unix(s.ID, 0).UTC().Format(time.RFC3339),
	}
}

func createDeploymentStatus(c *call) {
	d := c.deployment()
	if d == nil {
		c.notFound("Not Found")
		return
	}
	var b struct {
		State          string  `json:"state"`
		Description    string  `json:"description"`
		LogURL         string  `json:"log_url"`
		TargetURL      string  `json:"target_url"`
		Environment    *string `json:"environment"`
		EnvironmentURL string  `json:"environment_url"`
		AutoInactive   *bool   `json:"auto_inactive"`
	}
	if !c.decode(&b) {
		return
	}
	if n := utf8.RuneCountInString(b.Description); n > MaxStatusDescription || !utf8.ValidString(b.Description) {
		c.invalid("description is too long (maximum is %d characters) or not UTF-8: %d characters", MaxStatusDescription, n)
		return
	}
	if b.Environment != nil {
		d.Environment = *b.Environment
	}
	logURL := b.LogURL
	if logURL == "" {
		logURL = b.TargetURL
	}
	c.f.nextID++
	s := DeploymentStatus{ID: c.f.nextID, State: b.State, Description: b.Description, Environment: d.Environment, LogURL: logURL, EnvironmentURL: b.EnvironmentURL}
	d.Statuses = append(d.Statuses, s)
	if b.State == "success" && (b.AutoInactive == nil || *b.AutoInactive) {
		// GitHub's documented rule: prior non-transient, non-production
		// deployments of the environment whose state is success.
		for _, p := range c.repo.release().deployments {
			if p.ID < d.ID && p.Environment == d.Environment && !p.Transient && !p.Production && p.State() == "success" {
				c.f.nextID++
				p.Statuses = append(p.Statuses, DeploymentStatus{ID: c.f.nextID, State: "inactive", Environment: p.Environment, Auto: true})
			}
		}
	}
	c.json(http.StatusCreated, c.statusJSON(d, &s))
}

func listDeploymentStatuses(c *call) {
	d := c.deployment()
	if d == nil {
		c.notFound("Not Found")
		return
	}
	var out []map[string]any
	for i := len(d.Statuses) - 1; i >= 0; i-- {
		out = append(out, c.statusJSON(d, &d.Statuses[i]))
	}
	page(c, out)
}

// Media types of what GitHub stores as attestations.
const (
	bundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle"
	inTotoPayloadType     = "application/vnd.in-toto+json"
)

var subjectDigest = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$`)

// checkBundle reads what GitHub needs of a bundle: a Sigstore bundle with a
// DSSE envelope holding an in-toto statement whose subjects have digests.
func checkBundle(raw json.RawMessage) (subjects []string, predicateType string, err error) {
	var b struct {
		MediaType            string          `json:"mediaType"`
		VerificationMaterial json.RawMessage `json:"verificationMaterial"`
		DSSEEnvelope         *struct {
			Payload     string            `json:"payload"`
			PayloadType string            `json:"payloadType"`
			Signatures  []json.RawMessage `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, "", fmt.Errorf("the bundle is not a JSON object: %v", err)
	}
	switch {
	case !strings.HasPrefix(b.MediaType, bundleMediaTypePrefix):
		return nil, "", fmt.Errorf("bundle mediaType %q is not a Sigstore bundle's", b.MediaType)
	case len(bytes.TrimSpace(b.VerificationMaterial)) == 0:
		return nil, "", fmt.Errorf("the bundle has no verificationMaterial")
	case b.DSSEEnvelope == nil:
		return nil, "", fmt.Errorf("the bundle has no dsseEnvelope: attestations are in-toto statements in DSSE, not message signatures")
	case b.DSSEEnvelope.PayloadType != inTotoPayloadType:
		return nil, "", fmt.Errorf("payloadType %q, want %s", b.DSSEEnvelope.PayloadType, inTotoPayloadType)
	case len(b.DSSEEnvelope.Signatures) == 0:
		return nil, "", fmt.Errorf("the envelope has no signatures")
	}
	payload, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	if err != nil {
		return nil, "", fmt.Errorf("the envelope's payload is not base64: %v", err)
	}
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, "", fmt.Errorf("the payload is not an in-toto statement: %v", err)
	}
	if !strings.HasPrefix(st.Type, "https://in-toto.io/Statement/") || st.PredicateType == "" || len(st.Subject) == 0 {
		return nil, "", fmt.Errorf("the payload is not an in-toto statement with subjects and a predicate type")
	}
	for _, s := range st.Subject {
		for alg, hexd := range s.Digest {
			d := alg + ":" + hexd
			if subjectDigest.MatchString(d) {
				subjects = append(subjects, d)
			}
		}
	}
	if len(subjects) == 0 {
		return nil, "", fmt.Errorf("no subject has a sha256 or sha512 digest")
	}
	sort.Strings(subjects)
	return subjects, st.PredicateType, nil
}

func createAttestation(c *call) {
	var b struct {
		Bundle json.RawMessage `json:"bundle"`
	}
	if !c.decode(&b) {
		return
	}
	subjects, pt, err := checkBundle(b.Bundle)
	if err != nil {
		c.invalid("%v", err)
		return
	}
	c.f.nextID++
	c.repo.release().attestations = append(c.repo.release().attestations, &Attestation{ID: c.f.nextID, Bundle: slices.Clone(b.Bundle), Subjects: subjects, PredicateType: pt})
	c.json(http.StatusCreated, map[string]any{"id": c.f.nextID})
}

// predicateTypes are the short names list-attestations accepts.
var predicateTypes = map[string]string{
	"provenance": "https://slsa.dev/provenance/v1",
	"sbom":       "https://spdx.dev/Document/v2.3",
	"release":    "https://in-toto.io/attestation/release/v0.1",
}

func listAttestations(c *call) {
	digest := c.op.Params["subject_digest"]
	if !subjectDigest.MatchString(digest) {
		c.invalid("subject_digest %q is not sha256:HEX or sha512:HEX", digest)
		return
	}
	q := c.req.URL.Query()
	if q.Has("before") {
		c.invalid("the fake does not page backwards")
		return
	}
	want := q.Get("predicate_type")
	if long, ok := predicateTypes[want]; ok {
		want = long
	}
	var match []*Attestation
	for _, a := range c.repo.release().attestations {
		if slices.Contains(a.Subjects, digest) && (want == "" || a.PredicateType == want) {
			match = append(match, a)
		}
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	// The cursor is opaque to clients; here it is the offset, encoded.
	start := 0
	if after := q.Get("after"); after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		n, aerr := strconv.Atoi(string(raw))
		if err != nil || aerr != nil || n < 0 || n > len(match) {
			c.invalid("after %q is not a cursor the fake gave", after)
			return
		}
		start = n
	}
	end := min(start+per, len(match))
	if end < len(match) {
		q.Set("after", base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))))
		q.Set("per_page", strconv.Itoa(per))
		c.w.Header().Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, c.f.URL, c.req.URL.EscapedPath(), q.Encode()))
	}
	items := []map[string]any{}
	for _, a := range match[start:end] {
		items = append(items, map[string]any{"bundle": a.Bundle, "repository_id": 4242, "bundle_url": fmt.Sprintf("https://attestations.example/%d.json", a.ID)})
	}
	c.json(http.StatusOK, map[string]any{"attestations": items})
}
