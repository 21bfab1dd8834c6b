package prrun

import (
	"context"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// vnextConfig marks the root directory of a vNext package.
const vnextConfig = "vnext.config.json"

// fetchWorkers bounds the concurrent content requests.
const fetchWorkers = 8

// sideFiles are the two sides of the comparison, read from GitHub at the
// merge base and at the head: nothing depends on how deep the checkout is.
type sideFiles struct {
	base, head []engine.File
	// headData is the head content by repository path, to place
	// annotations of removals on the head file.
	headData map[string][]byte
}

// pairing is one changed export file: where it is on each side ("" where it
// does not exist) and the path that pairs the two.
type pairing struct {
	key, base, head string
}

func pairingOf(f githubapi.ChangedFile) (pairing, bool) {
	switch f.Status {
	case "added", "copied":
		return pairing{key: f.Path, head: f.Path}, true
	case "removed":
		return pairing{key: f.Path, base: f.Path}, true
	case "renamed":
		return pairing{key: f.Path, base: f.PreviousPath, head: f.Path}, true
	case "unchanged":
		return pairing{}, false
	}
	return pairing{key: f.Path, base: f.Path, head: f.Path}, true
}

// collect decides which files to compare and reads them: the changed files
// that match the configured globs; every file of a vNext package any of
// whose files changed (a package is compared whole); and the version file.
// It returns nil when the pull request changes no export file.
func (r *run) collect(ctx context.Context, changed []githubapi.ChangedFile, headSHA string) (*sideFiles, error) {
	var pairs []pairing
	for _, f := range changed {
		p, ok := pairingOf(f)
		if !ok || !(r.matches(p.base) || r.matches(p.head)) {
			continue
		}
		pairs = append(pairs, p)
	}
	if len(pairs) == 0 {
		return nil, nil
	}

	var baseTree, headTree []githubapi.TreeEntry
	var baseTrunc, headTrunc bool
	var baseErr, headErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		baseTree, baseTrunc, baseErr = r.gh.Tree(ctx, r.repo, r.mergeBase)
	}()
	headTree, headTrunc, headErr = r.gh.Tree(ctx, r.repo, headSHA)
	wg.Wait()
	if baseErr != nil {
		return nil, baseErr
	}
	if headErr != nil {
		return nil, headErr
	}
	if baseTrunc || headTrunc {
		r.rn.Warning("GitHub cut the repository's file listing short (too many files): vNext packages may be compared only in part.")
	}
	base, head := newSide(baseTree, r.mergeBase), newSide(headTree, headSHA)

	// A change anywhere in a package pulls in the whole package, on both
	// sides, under the same root.
	roots := map[string]bool{}
	for _, p := range pairs {
		if root, ok := base.packageRoot(p.base); ok {
			roots[root] = true
		}
		if root, ok := head.packageRoot(p.head); ok {
			roots[root] = true
		}
	}
	for _, p := range pairs {
		if p.base != "" && !underAny(roots, p.base) {
			base.want(p.key, p.base)
		}
		if p.head != "" && !underAny(roots, p.head) {
			head.want(p.key, p.head)
		}
	}
	for root := range roots {
		base.wantDir(root)
		head.wantDir(root)
	}
	versionFile := r.cfg.Version.File
	if versionFile == "" {
		versionFile = "package.json"
	}
	base.want(versionFile, versionFile)
	head.want(versionFile, versionFile)

	if err := r.fetch(ctx, base, head); err != nil {
		return nil, err
	}
	out := &sideFiles{base: base.files(), head: head.files(), headData: map[string][]byte{}}
	for _, f := range out.head {
		out.headData[f.Name] = f.Data
	}
	return out, nil
}

// matches reports whether a repository path is an export file by the
// configured globs.
func (r *run) matches(p string) bool {
	if p == "" {
		return false
	}
	for _, a := range r.cfg.Artifacts {
		for _, g := range a.Paths {
			if rules.MatchGlob(g, p) {
				return true
			}
		}
	}
	return false
}

func underAny(roots map[string]bool, p string) bool {
	for root := range roots {
		if root == "." || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// side is one commit's tree and the files wanted from it.
type side struct {
	ref    string
	blobs  map[string]string // path → blob SHA
	roots  []string          // vNext package roots, longest first
	wanted map[string]string // repository path → pairing path
	data   map[string][]byte // repository path → content
}

func newSide(tree []githubapi.TreeEntry, ref string) *side {
	s := &side{ref: ref, blobs: map[string]string{}, wanted: map[string]string{}, data: map[string][]byte{}}
	for _, e := range tree {
		s.blobs[e.Path] = e.SHA
		if path.Base(e.Path) == vnextConfig {
			s.roots = append(s.roots, path.Dir(e.Path))
		}
	}
	sort.Slice(s.roots, func(i, j int) bool { return len(s.roots[i]) > len(s.roots[j]) })
	return s
}

// packageRoot is the innermost vNext package holding p.
func (s *side) packageRoot(p string) (string, bool) {
	if p == "" {
		return "", false
	}
	for _, root := range s.roots {
		if root == "." || strings.HasPrefix(p, root+"/") {
			return root, true
		}
	}
	return "", false
}

// want asks for the file at repository path p, paired under key, if it
// exists on this side.
func (s *side) want(key, p string) {
	if _, ok := s.blobs[p]; ok {
		s.wanted[p] = key
	}
}

// wantDir asks for every JSON file under root: the engine reads nothing
// else of a package, and a package at the repository root must not pull in
// every image and document of the repository.
func (s *side) wantDir(root string) {
	for p := range s.blobs {
		if (root == "." || strings.HasPrefix(p, root+"/")) && strings.EqualFold(path.Ext(p), ".json") {
			s.wanted[p] = p
		}
	}
}

func (s *side) files() []engine.File {
	paths := make([]string, 0, len(s.wanted))
	for p := range s.wanted {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]engine.File, 0, len(paths))
	for _, p := range paths {
		out = append(out, engine.File{Path: s.wanted[p], Name: p, Data: s.data[p]})
	}
	return out
}

// fetch reads the wanted files of both sides, each distinct blob once (a
// package's unchanged files are the same blob on both sides), with a few
// requests in flight.
func (r *run) fetch(ctx context.Context, sides ...*side) error {
	type job struct {
		s    *side
		path string
	}
	var jobs []job
	firstOf := map[string]job{} // blob → the job that reads it
	var copies []job
	for _, s := range sides {
		paths := make([]string, 0, len(s.wanted))
		for p := range s.wanted {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			j := job{s, p}
			if _, seen := firstOf[s.blobs[p]]; seen {
				copies = append(copies, j)
				continue
			}
			firstOf[s.blobs[p]] = j
			jobs = append(jobs, j)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan job)
	for range min(fetchWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				data, err := r.gh.FileContent(ctx, r.repo, j.path, j.s.ref)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				j.s.data[j.path] = data
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for _, c := range copies {
		src := firstOf[c.s.blobs[c.path]]
		c.s.data[c.path] = src.s.data[src.path]
	}
	return nil
}
