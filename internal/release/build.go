package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/npmpkg"
)

// VersionStep reads the version from the tag and finds the previous
// release among the repository's tags.
type VersionStep struct {
	// Tags lists the repository's tags (git, or the GitHub API).
	Tags func(ctx context.Context) ([]Tag, error)
	// CommitTime, when set, looks up the release commit's time (the tag's
	// commit when Release.Commit is not known yet).
	CommitTime func(ctx context.Context, sha string) (time.Time, error)
}

func (VersionStep) Name() string { return "resolve version" }

func (s VersionStep) Run(ctx context.Context, r *Release) (string, error) {
	v, err := VersionOf(r.Tag)
	if err != nil {
		return "", err
	}
	r.Version = v
	tags, err := s.Tags(ctx)
	if err != nil {
		return "", fmt.Errorf("listing the tags to find the previous release: %w", err)
	}
	if r.Previous, err = PreviousRelease(tags, v); err != nil {
		return "", err
	}
	if r.Commit == "" {
		for _, t := range tags {
			if t.Name == r.Tag {
				r.Commit = t.Commit
			}
		}
		if r.Commit == "" {
			return "", fmt.Errorf("the repository has no tag %s: push it first (git push origin %s)", r.Tag, r.Tag)
		}
	}
	if s.CommitTime != nil {
		if r.CommitTime, err = s.CommitTime(ctx, r.Commit); err != nil {
			return "", err
		}
	}
	if r.Previous == nil {
		return fmt.Sprintf("%s from %s; first release (no earlier v-tag)", v, r.Tag), nil
	}
	return fmt.Sprintf("%s from %s; previous release %s", v, r.Tag, r.Previous.Tag), nil
}

// ChangeRecordStep compares the previous release tag with this one through
// the input pipeline, never with "the last commit".
type ChangeRecordStep struct {
	// Compare classifies the package's files at previous against the
	// release's commit.
	Compare func(ctx context.Context, previous Previous) (*change.Report, error)
}

func (ChangeRecordStep) Name() string { return "change record" }

func (s ChangeRecordStep) Run(ctx context.Context, r *Release) (string, error) {
	if r.Previous == nil {
		return "", Skip("this is the first release: there is no previous release tag to compare with")
	}
	rep, err := s.Compare(ctx, *r.Previous)
	if err != nil {
		return "", fmt.Errorf("comparing %s with %s: %w", r.Previous.Tag, r.Tag, err)
	}
	var bad []string
	for _, f := range rep.Changes {
		if f.Severity == change.Error {
			bad = append(bad, fmt.Sprintf("%s (%s)", f.Rule, f.Location))
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("%s cannot be released: %d error finding(s) against %s: %s", r.Tag, len(bad), r.Previous.Tag, strings.Join(bad, "; "))
	}
	if hv := rep.Summary.HeadVersion; hv != "" && hv != r.Version {
		return "", fmt.Errorf("the tag %s says %s, but the exports declare version %s; tag the declared version", r.Tag, r.Version, hv)
	}
	r.Record = rep
	cr := change.NewRecord(rep)
	return fmt.Sprintf("%d finding(s) since %s; breaking: %s, auth changes: %s; required bump %s, declared %s",
		len(cr.Findings), r.Previous.Tag, yesNo(cr.Breaking), yesNo(cr.AuthChanges), cr.RequiredBump, cr.DeclaredBump), nil
}

// PackageStep builds the reproducible npm tarball: package.json, the
// breakwater.json manifest and the package's files as they are at the
// release commit. The same tag gives the same bytes: nothing depends on the
// clock or the machine.
type PackageStep struct {
	// Files are the package's files at the release commit.
	Files func(ctx context.Context) ([]File, error)
	// OutDir, when set, is where the tarball is written.
	OutDir string
}

func (PackageStep) Name() string { return "package" }

func (s PackageStep) Run(ctx context.Context, r *Release) (string, error) {
	files, err := s.Files(ctx)
	if err != nil {
		return "", err
	}
	if err := Build(r, files); err != nil {
		return "", err
	}
	where := r.TarballName
	if s.OutDir != "" {
		if where, err = WriteTarball(s.OutDir, r.TarballName, r.Tarball); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%s, %d files, %s", where, len(r.Files)+2, npmpkg.Integrity(r.Tarball)), nil
}

// Build makes r's manifest and tarball from files. package.json and
// breakwater.json at the root of the files are left out: the package's own
// take their place (a root package.json declares the exports' version,
// which the tag repeats).
func Build(r *Release, files []File) error {
	if r.Version == "" {
		return errors.New("the version is not resolved: the resolve version step (or --version) comes first")
	}
	var kept []File
	for _, f := range files {
		if f.Path == "package.json" || f.Path == ManifestFile {
			continue
		}
		kept = append(kept, f)
	}
	if len(kept) == 0 {
		return fmt.Errorf("package %s has no files: check packages[].paths and artifacts in the configuration", r.Package.NPM)
	}
	if r.CommitTime.IsZero() {
		return errors.New("the commit time is unknown: the manifest takes its time from the commit, never the clock")
	}
	server := strings.TrimSuffix(r.ServerURL, "/")
	if server == "" {
		server = "https://github.com"
	}
	m := &Manifest{
		SchemaVersion: ManifestSchemaVersion, Package: r.Package.Runtime, NPM: r.Package.NPM,
		Version: r.Version, PreviousVersion: r.PreviousVersion(),
		Source:    Source{Repository: server + "/" + r.Repo.String(), Commit: r.Commit, Tag: r.Tag},
		CreatedAt: r.CommitTime.UTC(),
	}
	if r.Previous != nil {
		m.Source.PreviousTag = r.Previous.Tag
	}
	if r.Record != nil {
		m.Changes = change.NewRecord(r.Record)
	}
	manifest, err := m.JSON()
	if err != nil {
		return err
	}
	pj, err := npmpkg.Manifest{
		Name: r.Package.NPM, Version: r.Version, RuntimeName: r.Package.Runtime,
		Description: fmt.Sprintf("%s %s, released by Breakwater from %s", r.Package.Runtime, r.Version, r.Tag),
		Repository:  m.Source.Repository, Registry: r.Registry,
	}.JSON()
	if err != nil {
		return err
	}
	in := make([]npmpkg.File, 0, len(kept)+1)
	for _, f := range kept {
		in = append(in, npmpkg.File{Path: f.Path, Data: f.Data})
	}
	in = append(in, npmpkg.File{Path: ManifestFile, Data: manifest})
	tb, err := npmpkg.Build(pj, in)
	if err != nil {
		return err
	}
	r.Manifest, r.Files, r.PackageJSON, r.Tarball = m, kept, pj, tb.Data
	r.TarballName = r.signingPackage().TarballName()
	return nil
}

// WriteTarball writes data as dir/name and returns the path.
func WriteTarball(dir, name string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("writing the tarball: %w", err)
	}
	return p, nil
}

// FromTarball fills r from a package tarball made by Build: its package.json,
// manifest and files. The signature and verification are not part of it.
func FromTarball(r *Release, tarball []byte) error {
	c, err := npmpkg.ReadBytes(tarball, npmpkg.Limits{})
	if err != nil {
		return err
	}
	var manifest []byte
	var files []File
	for _, f := range c.Files {
		if f.Path == ManifestFile {
			manifest = f.Data
			continue
		}
		files = append(files, File{Path: f.Path, Data: f.Data})
	}
	if manifest == nil {
		return fmt.Errorf("the tarball of %s@%s holds no %s: it was not made by breakwater package", c.Manifest.Name, c.Manifest.Version, ManifestFile)
	}
	m, err := ParseManifest(manifest)
	if err != nil {
		return err
	}
	if m.Version != c.Manifest.Version || m.NPM != c.Manifest.Name || m.Package != c.Manifest.RuntimeName {
		return fmt.Errorf("the tarball's package.json (%s@%s, runtime %q) and %s (%s@%s, runtime %q) disagree",
			c.Manifest.Name, c.Manifest.Version, c.Manifest.RuntimeName, ManifestFile, m.NPM, m.Version, m.Package)
	}
	r.Package.Runtime, r.Package.NPM, r.Version = m.Package, m.NPM, m.Version
	r.Tag, r.Commit, r.CommitTime = m.Source.Tag, m.Source.Commit, m.CreatedAt
	if m.PreviousVersion != "" {
		r.Previous = &Previous{Tag: m.Source.PreviousTag, Version: m.PreviousVersion}
	}
	r.Manifest, r.Files, r.PackageJSON, r.Tarball = m, files, c.PackageJSON, tarball
	r.TarballName = r.signingPackage().TarballName()
	return nil
}
