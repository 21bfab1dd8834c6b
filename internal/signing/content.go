package signing

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// The in-toto types of what is signed.
const (
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// StatementType is the in-toto statement version written.
	StatementType = "https://in-toto.io/Statement/v1"
	// SLSAProvenancePredicate is written when the GitHub Actions run is
	// known; it is also what `gh attestation verify` expects by default.
	SLSAProvenancePredicate = "https://slsa.dev/provenance/v1"
	// ReleasePredicate (in-toto's release predicate) is written otherwise:
	// it binds the package URL to the tarball digests and claims nothing
	// about how the tarball was built.
	ReleasePredicate = "https://in-toto.io/attestation/release/v0.1"
	// GitHubWorkflowBuildType is the SLSA build type GitHub's own artifact
	// attestations use for a workflow run.
	GitHubWorkflowBuildType = "https://actions.github.io/buildtypes/workflow/v1"
)

// Package names the npm package a tarball is a version of.
type Package struct {
	Name    string // "@owner/name" (or an unscoped "name")
	Version string // SemVer, without "v"
}

// npm's rule for a (lower-case, URL-safe) package name.
var npmName = regexp.MustCompile(`^(?:@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$`)

// Validate checks the name against npm's rules and the version as SemVer.
func (p Package) Validate() error {
	if len(p.Name) > 214 || !npmName.MatchString(p.Name) {
		return cannotRun("the package name %q is not a valid npm name (lower case, \"@scope/name\")", p.Name)
	}
	if _, err := semver.StrictNewVersion(p.Version); err != nil {
		return cannotRun("the package version %q is not SemVer (MAJOR.MINOR.PATCH, no \"v\"): %v", p.Version, err)
	}
	return nil
}

// PURL is the package URL of this version: pkg:npm/%40owner/name@1.2.3,
// the form npm's provenance statements use as the subject name.
func (p Package) PURL() string {
	scope, name, scoped := strings.Cut(p.Name, "/")
	if !scoped {
		return "pkg:npm/" + purlEscape(p.Name) + "@" + purlEscape(p.Version)
	}
	return "pkg:npm/" + purlEscape(scope) + "/" + purlEscape(name) + "@" + purlEscape(p.Version)
}

// TarballName is the file name npm gives the tarball: name-1.2.3.tgz
// without the scope. The bundle goes next to it as TarballName()+".sigstore.json".
func (p Package) TarballName() string {
	name := p.Name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name + "-" + p.Version + ".tgz"
}

// purlEscape percent-encodes all but the unreserved characters, as the
// purl spec asks for names and versions ("@" → %40, "+" → %2B).
func purlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// Digests of a tarball.
type Digests struct {
	SHA512 string // hex
	SHA256 string // hex
}

// DigestsOf hashes the tarball bytes.
func DigestsOf(tarball []byte) Digests {
	s512 := sha512.Sum512(tarball)
	s256 := sha256.Sum256(tarball)
	return Digests{SHA512: hex.EncodeToString(s512[:]), SHA256: hex.EncodeToString(s256[:])}
}

// Integrity is the npm dist.integrity value of the same digest
// ("sha512-" + base64).
func (d Digests) Integrity() string {
	raw, err := hex.DecodeString(d.SHA512)
	if err != nil {
		return ""
	}
	return "sha512-" + base64.StdEncoding.EncodeToString(raw)
}

// Provenance describes the GitHub Actions run that built the tarball. The
// caller fills it (ProvenanceFromEnv reads the runner's variables through a
// lookup function); nothing here reads the environment.
type Provenance struct {
	ServerURL         string // GITHUB_SERVER_URL, e.g. https://github.com
	Repository        string // GITHUB_REPOSITORY, owner/repo
	RepositoryID      string // GITHUB_REPOSITORY_ID
	RepositoryOwnerID string // GITHUB_REPOSITORY_OWNER_ID
	WorkflowRef       string // GITHUB_WORKFLOW_REF, owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3
	Ref               string // GITHUB_REF, refs/tags/v1.2.3
	SHA               string // GITHUB_SHA
	EventName         string // GITHUB_EVENT_NAME
	RunID             string // GITHUB_RUN_ID
	RunAttempt        string // GITHUB_RUN_ATTEMPT
	RunnerEnvironment string // RUNNER_ENVIRONMENT: github-hosted or self-hosted
}

// ProvenanceFromEnv reads the GitHub Actions default variables through
// getenv (os.Getenv in the binary, a map in tests). It returns nil outside
// a workflow run (no GITHUB_ACTIONS=true or no workflow ref).
func ProvenanceFromEnv(getenv func(string) string) *Provenance {
	if getenv("GITHUB_ACTIONS") != "true" || getenv("GITHUB_WORKFLOW_REF") == "" || getenv("GITHUB_REPOSITORY") == "" {
		return nil
	}
	p := &Provenance{
		ServerURL:         getenv("GITHUB_SERVER_URL"),
		Repository:        getenv("GITHUB_REPOSITORY"),
		RepositoryID:      getenv("GITHUB_REPOSITORY_ID"),
		RepositoryOwnerID: getenv("GITHUB_REPOSITORY_OWNER_ID"),
		WorkflowRef:       getenv("GITHUB_WORKFLOW_REF"),
		Ref:               getenv("GITHUB_REF"),
		SHA:               getenv("GITHUB_SHA"),
		EventName:         getenv("GITHUB_EVENT_NAME"),
		RunID:             getenv("GITHUB_RUN_ID"),
		RunAttempt:        getenv("GITHUB_RUN_ATTEMPT"),
		RunnerEnvironment: getenv("RUNNER_ENVIRONMENT"),
	}
	if p.ServerURL == "" {
		p.ServerURL = "https://github.com"
	}
	return p
}

// workflowPath is the workflow file of WorkflowRef:
// owner/repo/.github/workflows/release.yml@ref → .github/workflows/release.yml.
func (p *Provenance) workflowPath() string {
	ref, _, _ := strings.Cut(p.WorkflowRef, "@")
	return strings.TrimPrefix(ref, p.Repository+"/")
}

type statement struct {
	Type          string    `json:"_type"`
	Subject       []subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     any       `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// The SLSA provenance v1 predicate, in the shape GitHub's artifact
// attestations (actions/attest-build-provenance) give a workflow run.
type slsaProvenance struct {
	BuildDefinition struct {
		BuildType          string `json:"buildType"`
		ExternalParameters struct {
			Workflow struct {
				Ref        string `json:"ref"`
				Repository string `json:"repository"`
				Path       string `json:"path"`
			} `json:"workflow"`
		} `json:"externalParameters"`
		InternalParameters struct {
			GitHub struct {
				EventName         string `json:"event_name"`
				RepositoryID      string `json:"repository_id"`
				RepositoryOwnerID string `json:"repository_owner_id"`
				RunnerEnvironment string `json:"runner_environment,omitempty"`
			} `json:"github"`
		} `json:"internalParameters"`
		ResolvedDependencies []resourceDescriptor `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		Metadata struct {
			InvocationID string `json:"invocationId"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

type resourceDescriptor struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

type releasePredicate struct {
	PURL string `json:"purl"`
}

// buildStatement is the in-toto statement signed for a tarball.
func buildStatement(pkg Package, d Digests, prov *Provenance) ([]byte, string, error) {
	st := statement{
		Type: StatementType,
		Subject: []subject{{
			Name:   pkg.PURL(),
			Digest: map[string]string{"sha512": d.SHA512, "sha256": d.SHA256},
		}},
	}
	if prov == nil {
		st.PredicateType = ReleasePredicate
		st.Predicate = releasePredicate{PURL: pkg.PURL()}
	} else {
		if prov.Repository == "" || prov.WorkflowRef == "" || prov.SHA == "" || prov.Ref == "" {
			return nil, "", cannotRun("the GitHub Actions provenance needs the repository, workflow ref, ref and commit SHA (GITHUB_REPOSITORY, GITHUB_WORKFLOW_REF, GITHUB_REF, GITHUB_SHA)")
		}
		server := strings.TrimSuffix(prov.ServerURL, "/")
		if server == "" {
			server = "https://github.com"
		}
		repoURL := server + "/" + prov.Repository
		var pr slsaProvenance
		pr.BuildDefinition.BuildType = GitHubWorkflowBuildType
		pr.BuildDefinition.ExternalParameters.Workflow.Ref = prov.Ref
		pr.BuildDefinition.ExternalParameters.Workflow.Repository = repoURL
		pr.BuildDefinition.ExternalParameters.Workflow.Path = prov.workflowPath()
		gh := &pr.BuildDefinition.InternalParameters.GitHub
		gh.EventName, gh.RepositoryID, gh.RepositoryOwnerID, gh.RunnerEnvironment = prov.EventName, prov.RepositoryID, prov.RepositoryOwnerID, prov.RunnerEnvironment
		pr.BuildDefinition.ResolvedDependencies = []resourceDescriptor{{
			URI:    "git+" + repoURL + "@" + prov.Ref,
			Digest: map[string]string{"gitCommit": prov.SHA},
		}}
		pr.RunDetails.Builder.ID = server + "/" + prov.WorkflowRef
		attempt := prov.RunAttempt
		if attempt == "" {
			attempt = "1"
		}
		pr.RunDetails.Metadata.InvocationID = repoURL + "/actions/runs/" + prov.RunID + "/attempts/" + attempt
		st.PredicateType = SLSAProvenancePredicate
		st.Predicate = pr
	}
	out, err := json.Marshal(st)
	if err != nil {
		return nil, "", cannotRun("encoding the in-toto statement: %w", err)
	}
	return out, st.PredicateType, nil
}
