// Package release is the release face: it turns a release tag into an
// ordered list of steps, goreleaser-style — resolve the version and the
// previous release, compute the change record, package, sign, verify,
// publish, attach the bundle to the GitHub release and store the
// attestation, deploy to each environment in promotion order (a vNext
// runtime, with automatic rollback, or a Tray project) tracked as GitHub
// Deployments, and write the job summary.
//
// Every step is idempotent and says "skipped, because…" as a typed value
// (Skip); Run records every outcome, and a step after a failure is
// recorded as skipped because of it, so a failed release is reported as
// completely as a good one. Nothing reaches an environment unless the
// bundle verified against the configured policy (Release.Verified), and
// nothing is rolled back across an auth-breaking change without a person
// (rules.CheckRollback).
//
// The face has two entry points, as the pull request run (prrun.Run) has
// one: the commands (commands.go: BuildTarball, SignTarball, VerifyTarball,
// PublishTarball, DeployTarball, RollBack, ReleaseTag), which the CLI calls
// with the options its flags fill in, and RunAction, the Action's release
// side. Both wire the adapters from the configuration and Env (wire.go);
// the steps reach them through small interfaces declared where they are
// used (Registry, Assets, Deployments, RuntimeClient, TrayClient,
// Manifests). Secrets are never part of a Release's output: every record,
// error and summary is scrubbed of Release.Secrets.
package release

import (
	"errors"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

// Release is one release in progress: what the steps are given and what
// they found and made. Steps fill the later fields in order.
type Release struct {
	// Repo and ServerURL say where the source lives (github.com by default).
	Repo      githubapi.Repo
	ServerURL string
	// Tag is the release tag ("v1.17.0") and Commit the commit it names.
	Tag    string
	Commit string
	// CommitTime stamps the manifest: the commit's, never the clock's, so
	// two builds of the same tag are byte-identical.
	CommitTime time.Time
	// Package is the package released.
	Package Package
	// Registry is the npm registry URL (publishConfig.registry).
	Registry string

	// Rollback marks a rollback to Version rather than a release of it.
	Rollback bool
	// Version is the tag without "v"; Previous the release before it, nil
	// for the first release.
	Version  string
	Previous *Previous
	// Record is the change record from the previous release to this one;
	// nil for the first release.
	Record *change.Report
	// Manifest is breakwater.json inside the tarball.
	Manifest *Manifest
	// Files are the package's files (paths relative to the package root).
	Files []File
	// PackageJSON is the package.json in the tarball.
	PackageJSON []byte
	// Tarball is the package; TarballName its file name.
	Tarball     []byte
	TarballName string
	// Signature is what signing made; Bundle the Sigstore bundle (also set
	// when a bundle made elsewhere is verified), BundleDigest "sha256:…" of it.
	Signature    *signing.Result
	Bundle       []byte
	BundleDigest string
	// Verified is set only by a verification against the configured
	// policy; deploy steps refuse to run without it.
	Verified *signing.Verified
	// Published says what the registry did.
	Published string
	// Deploys are the outcomes per environment, in order.
	Deploys []DeployResult
	// Warnings are for the person running the release (e.g. the public log
	// of keyless signing in a private repository).
	Warnings []string

	// Records are the steps' outcomes, in order.
	Records []Record
	// Secrets are scrubbed from every record, error and summary.
	Secrets []string
	// Now is the clock for step durations only (never for the artifact);
	// nil means time.Now.
	Now func() time.Time
}

// Package names a released package.
type Package struct {
	// Runtime is the runtime's own name ("vNext.Account").
	Runtime string
	// NPM is the scoped npm name ("@owner/vnext.account").
	NPM string
	// Paths are the globs of the package's files; empty means every export.
	Paths []string
}

// Previous is the release before this one.
type Previous struct {
	Tag, Version, Commit string
}

// PreviousVersion is the previous release's version, "" for none.
func (r *Release) PreviousVersion() string {
	if r.Previous == nil {
		return ""
	}
	return r.Previous.Version
}

func (r *Release) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// changes is the change record of the release's manifest; nil without a
// manifest, and for a first release.
func (r *Release) changes() *change.Record {
	if r.Manifest == nil {
		return nil
	}
	return r.Manifest.Changes
}

// Warn adds a warning for the summary.
func (r *Release) Warn(msg string) { r.Warnings = append(r.Warnings, r.redact(msg)) }

// redact replaces every secret in s.
func (r *Release) redact(s string) string { return redact(s, r.Secrets) }

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 { // a tiny "secret" would mangle ordinary words
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// redactErr returns err with every secret replaced; the chain is dropped
// when a secret was in it (an Unwrap would hand it back), the Skip and
// partial classes kept.
func redactErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := redact(msg, secrets); clean != msg {
		return errors.New(clean)
	}
	return err
}
