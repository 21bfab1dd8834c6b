package engine

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// selector decides, from paths alone, which files are candidates for a
// comparison and which format a file is forced to.
type selector struct {
	reg      *formats.Registry
	cfg      *config.Config
	pair     bool
	explicit bool // a file of no known format is an error, not passed over
	forced   []forcedFormat
}

// forcedFormat is an artifacts entry with a format other than auto.
type forcedFormat struct {
	glob   string
	format formats.Format
}

func (e *Engine) newSelector(cfg *config.Config, req Request) (*selector, error) {
	s := &selector{reg: e.formats, cfg: cfg, pair: req.Pair, explicit: req.Pair || cfg.ArtifactsSet}
	for i, a := range cfg.Artifacts {
		if a.Format == "" || a.Format == config.FormatAuto {
			continue
		}
		f, ok := e.formats.Lookup(a.Format)
		if !ok {
			return nil, fmt.Errorf("artifacts[%d].format is %q: want %s", i, a.Format, strings.Join(config.Formats(), ", "))
		}
		for _, g := range a.Paths {
			s.forced = append(s.forced, forcedFormat{g, f})
		}
	}
	return s, nil
}

// matches reports whether p matches the artifacts globs.
func (s *selector) matches(p string) bool {
	for _, a := range s.cfg.Artifacts {
		for _, g := range a.Paths {
			if rules.MatchGlob(g, p) {
				return true
			}
		}
	}
	return false
}

// forcedFormat is the format the configuration forces on p (the last entry
// that matches wins), nil for detection from the content.
func (s *selector) forcedFormat(p string) formats.Format {
	var f formats.Format
	for _, o := range s.forced {
		if rules.MatchGlob(o.glob, p) {
			f = o.format
		}
	}
	return f
}

// mayTouch reports whether any of the paths could belong to an artifact:
// it matches the globs, or could be a package's file.
func (s *selector) mayTouch(paths []string) bool {
	for _, p := range paths {
		if s.matches(p) || s.reg.Readable(p) || s.isMarker(p) {
			return true
		}
	}
	return false
}

func (s *selector) isMarker(p string) bool {
	for _, pk := range s.reg.Packagers() {
		if path.Base(p) == pk.Marker() {
			return true
		}
	}
	return false
}

// isManifest: package.json and the version file are read beside exports,
// never compared as exports.
func (s *selector) isManifest(p string) bool {
	return path.Base(p) == "package.json" || p == s.versionFile()
}

func (s *selector) versionFile() string {
	if s.cfg.Version.File == "" {
		return "package.json"
	}
	return s.cfg.Version.File
}

// pairKey is the key of the one unit of a side in a comparison of two
// named files.
const pairKey = "\x00file"

// unit is one artifact candidate of one side: a single file, or a package
// directory with its member files.
type unit struct {
	// key pairs the units of the two sides: the file's path, or the path of
	// a package's marker file.
	key   string
	pkg   formats.Packager // nil for a single file
	root  string           // a package's directory
	files []Entry          // sorted by path
}

// rel is a file's path relative to its unit: the package root for a
// member, "" for a single file (the two sides of a moved file differ in
// path, not in place).
func (u *unit) rel(e Entry) string {
	if u.pkg == nil {
		return ""
	}
	if u.root == "." {
		return e.Path
	}
	return strings.TrimPrefix(e.Path, u.root+"/")
}

// name is the unit's file for messages: the file, or the package's marker.
func (u *unit) name() string {
	for _, f := range u.files {
		if u.pkg == nil || u.rel(f) == u.pkg.Marker() {
			return f.Name
		}
	}
	return u.files[0].Name
}

// listing is one side: its units by key, and its version file.
type listing struct {
	tree    Tree
	entries []Entry
	units   map[string]*unit
	version *Entry
	matched int // files the globs matched
}

// plan lists both trees, decides the units to compare and reads the
// declared versions. untouched reports that the trees differ in no file
// that could be an export (OnlyChanged): there is nothing to compare.
func (c *comparison) plan(ctx context.Context) (untouched bool, err error) {
	var base, head []Entry
	var berr, herr error
	var wg sync.WaitGroup
	wg.Go(func() { base, berr = c.req.Base.List(ctx) })
	head, herr = c.req.Head.List(ctx)
	wg.Wait()
	if err := errors.Join(berr, herr); err != nil {
		return false, err
	}
	if c.req.Pair && (len(base) != 1 || len(head) != 1) {
		return false, fmt.Errorf("comparing two files needs one file on each side, got %d in %s and %d in %s", len(base), c.req.Base, len(head), c.req.Head)
	}
	// Configured globs that match nothing are an error for every face: in
	// a pull request every change would otherwise touch "no export", and
	// pass, for as long as the mistake stays.
	if err := c.globsMatch(base, head); err != nil {
		return false, err
	}
	changed := c.req.Changed
	if c.req.OnlyChanged {
		if changed = differing(base, head); !c.sel.mayTouch(changed) {
			return true, nil
		}
	}
	c.sides[0] = c.units(c.req.Base, base)
	c.sides[1] = c.units(c.req.Head, head)
	if changed != nil {
		if err := c.keepChanged(changed); err != nil {
			return false, err
		}
	}
	if err := c.readAhead(ctx); err != nil {
		return false, err
	}
	return false, c.readVersions(ctx)
}

// differing are the paths whose content differs between two listings: in
// one only, or with Blobs that are not the same.
func differing(base, head []Entry) []string {
	blobs := make(map[string]string, len(base))
	for _, e := range base {
		blobs[e.Path] = e.Blob
	}
	out := []string{}
	for _, e := range head {
		b, ok := blobs[e.Path]
		if !ok || b == "" || b != e.Blob {
			out = append(out, e.Path)
		}
		delete(blobs, e.Path)
	}
	for p := range blobs {
		out = append(out, p)
	}
	return out
}

// readAhead tells each tree that reads better in bulk every file the
// comparison will read from it: the units' files and the version file.
func (c *comparison) readAhead(ctx context.Context) error {
	var errs [2]error
	var wg sync.WaitGroup
	for i, l := range c.sides {
		ra, ok := l.tree.(ReadAheader)
		if !ok {
			continue
		}
		var paths []string
		for _, u := range l.units {
			for _, f := range u.files {
				paths = append(paths, f.Path)
			}
		}
		if c.readsVersion(i) {
			paths = append(paths, l.version.Path)
		}
		slices.Sort(paths)
		wg.Go(func() { errs[i] = ra.ReadAhead(ctx, slices.Compact(paths)) })
	}
	wg.Wait()
	return errors.Join(errs[:]...)
}

// readsVersion reports whether side i's version file is read: it has one,
// and there is something to compare.
func (c *comparison) readsVersion(i int) bool {
	return c.sides[i].version != nil && (len(c.sides[i].units) > 0 || len(c.sides[1-i].units) > 0)
}

// units groups a listing into units: packages first (every member below a
// marker belongs to the innermost one), then single files that match the
// globs.
func (c *comparison) units(t Tree, entries []Entry) *listing {
	s := c.sel
	l := &listing{tree: t, entries: entries, units: map[string]*unit{}}
	if s.pair {
		// Two files the user named are one artifact, whatever their names.
		l.units[pairKey] = &unit{key: pairKey, files: entries}
		l.matched = len(entries)
		return l
	}
	type root struct {
		dir string
		pkg formats.Packager
	}
	var roots []root
	for _, e := range entries {
		for _, pk := range s.reg.Packagers() {
			if path.Base(e.Path) == pk.Marker() {
				roots = append(roots, root{path.Dir(e.Path), pk})
			}
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return len(roots[i].dir) > len(roots[j].dir) })
	packages := map[string]*unit{}
	globbed := map[string]bool{} // package keys with a file matching the globs
	for i, e := range entries {
		if e.Path == s.versionFile() {
			l.version = &entries[i]
		}
		if r := slices.IndexFunc(roots, func(r root) bool { return r.dir == "." || strings.HasPrefix(e.Path, r.dir+"/") }); r >= 0 {
			rt := roots[r]
			key := path.Join(rt.dir, rt.pkg.Marker())
			u := packages[key]
			if u == nil {
				u = &unit{key: key, pkg: rt.pkg, root: rt.dir}
				packages[key] = u
			}
			if rt.pkg.Member(u.rel(e)) {
				u.files = append(u.files, e)
				globbed[key] = globbed[key] || s.matches(e.Path)
			}
			continue
		}
		switch {
		case !s.matches(e.Path):
			continue
		case s.isManifest(e.Path):
			l.matched++
			continue
		case !s.explicit && !s.reg.Readable(e.Path):
			continue
		}
		l.matched++
		l.units[e.Path] = &unit{key: e.Path, files: []Entry{e}}
	}
	for key, u := range packages {
		if globbed[key] {
			l.units[key] = u
			l.matched += len(u.files)
		}
	}
	return l
}

// keepChanged keeps the units a change touches, on both sides: a unit with
// a changed file, and the unit at the same key on the other side.
func (c *comparison) keepChanged(paths []string) error {
	changed := map[string]bool{}
	for _, p := range paths {
		changed[p] = true
	}
	touched := map[string]bool{}
	for _, l := range c.sides {
		for key, u := range l.units {
			for _, f := range u.files {
				if changed[f.Path] {
					touched[key] = true
				}
			}
		}
	}
	for _, l := range c.sides {
		for key := range l.units {
			if !touched[key] {
				delete(l.units, key)
			}
		}
	}
	// A changed export that neither tree lists (a submodule, a file the
	// listing cannot show) would silently escape the check.
	listed := map[string]bool{}
	for _, l := range c.sides {
		for _, e := range l.entries {
			listed[e.Path] = true
		}
	}
	for _, p := range paths {
		if !listed[p] && c.sel.matches(p) {
			return fmt.Errorf("%s is changed, and matches the artifacts globs, but neither %s nor %s lists it as a file: Breakwater cannot compare it", p, c.req.Base, c.req.Head)
		}
	}
	return nil
}

// globsMatch: configured artifacts globs that match no file on either side
// are a mistake in the configuration (or the wrong directories), not a
// clean result.
func (c *comparison) globsMatch(base, head []Entry) error {
	if !c.sel.cfg.ArtifactsSet || c.req.Pair {
		return nil
	}
	var globs []string
	for _, a := range c.sel.cfg.Artifacts {
		globs = append(globs, a.Paths...)
	}
	for _, e := range slices.Concat(base, head) {
		if c.sel.matches(e.Path) {
			return nil
		}
	}
	return fmt.Errorf("the artifacts globs of %s (%s, relative to the compared directories) match no file in %s or %s",
		configName(c.sel.cfg), strings.Join(globs, ", "), c.req.Base, c.req.Head)
}

// requireArtifacts: a side without any export compares nothing.
func (c *comparison) requireArtifacts() error {
	if !c.req.RequireArtifacts {
		return nil
	}
	for i, l := range c.sides {
		if c.exports[i] > 0 {
			continue
		}
		var globs []string
		for _, a := range c.sel.cfg.Artifacts {
			globs = append(globs, a.Paths...)
		}
		return fmt.Errorf("no export found in %s: searched %s (%d of its %d files matched), none is %s",
			l.tree, strings.Join(globs, ", "), l.matched, len(l.entries), c.e.formats.Nouns())
	}
	return nil
}

func configName(cfg *config.Config) string {
	if cfg.Path == "" {
		return "the configuration"
	}
	return cfg.Path
}

// readVersions reads the declared version of both sides from the version
// file, where it exists.
func (c *comparison) readVersions(ctx context.Context) error {
	for i, l := range c.sides {
		if !c.readsVersion(i) {
			continue
		}
		data, err := l.tree.Read(ctx, l.version.Path)
		if err != nil {
			return err
		}
		c.named(*l.version)
		d, err := DeclaredVersion(l.version.Name, data, c.sel.cfg.Version.Pointer)
		var ie *change.InputError
		switch {
		case err == nil:
			c.version[i] = d
		case i == 0 && errors.As(err, &ie):
			// A pull request that fixes the base's version file can pass.
			c.extra = append(c.extra, change.Comparison{Findings: []change.Finding{c.baseInvalid(ie, "the declared version is read from the head only", l.version.Name)}})
		default:
			return err
		}
	}
	return nil
}
