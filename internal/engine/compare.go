package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// comparison is one Run in progress.
type comparison struct {
	e     *Engine
	req   Request
	sel   *selector
	sides [2]*listing // base, head
	// version is the declared version of each side from the version file.
	version [2]*change.Declared
	// extra are comparisons that belong to no artifact (a base version
	// file that cannot be read).
	extra []change.Comparison

	mu       sync.Mutex
	compared change.Compared
	exports  [2]int // artifacts found on each side
	// paths maps the names of the files read to their paths in the tree.
	paths map[string]string
}

// candidate is an artifact of one side that did not pair up by path with
// the same identity: it may have moved, or stand alone.
type candidate struct {
	side     int
	unit     *unit
	format   formats.Format
	identity string
	files    int
	// alone is its comparison if nothing pairs with it: a removal, or an
	// addition with the head's own checks.
	alone change.Comparison
}

// outcome is what one job produced: final comparisons, and candidates for
// pairing by identity.
type outcome struct {
	comps      []change.Comparison
	candidates []*candidate
}

// compare pairs the units of both sides and diffs each pair, holding at
// most e.workers pairs' documents in memory at once:
//
//  1. units at the same path whose artifacts have the same identity (or
//     either has none) are compared as they are;
//  2. the rest are paired by identity when it is unique on each side, and
//     reported as moved;
//  3. what is left at the same path on both sides is compared by path;
//  4. what is left alone was removed or added.
func (c *comparison) compare(ctx context.Context) ([]change.Comparison, error) {
	base, head := c.sides[0].units, c.sides[1].units
	keys := slices.Sorted(maps.Keys(base))
	for k := range head {
		if base[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	first, err := parallel(ctx, c.e.workers, keys, func(ctx context.Context, key string) (outcome, error) {
		o, err := c.byPath(ctx, base[key], head[key])
		o.detach()
		return o, err
	})
	if err != nil {
		return nil, err
	}
	if err := c.requireArtifacts(); err != nil {
		return nil, err
	}
	var comps []change.Comparison
	var cands [2][]*candidate
	for _, o := range first {
		comps = append(comps, o.comps...)
		for _, cd := range o.candidates {
			cands[cd.side] = append(cands[cd.side], cd)
		}
	}

	moves := pairByIdentity(cands)
	samePath := pairByPath(cands)
	pairs := append(moves, samePath...)
	second, err := parallel(ctx, c.e.workers, pairs, func(ctx context.Context, p [2]*candidate) (change.Comparison, error) {
		// Pairs by identity are at different paths: moves.
		comp, err := c.repair(ctx, p[0], p[1], p[0].unit.key != p[1].unit.key)
		comp.Detach()
		return comp, err
	})
	if err != nil {
		return nil, err
	}
	comps = append(comps, second...)
	for _, side := range cands {
		for _, cd := range side {
			if cd == nil {
				continue
			}
			comps = append(comps, cd.alone)
			if cd.side == 0 {
				c.count(cd.files, 0)
			} else {
				c.count(0, cd.files)
			}
		}
	}
	return comps, nil
}

// detach lets go of the pair's files: what is kept of a pair once it is
// diffed — findings, and the identity of an artifact still to pair — must
// not point into the bytes it was parsed from, so memory stays bounded by
// the pairs in flight, not by the number compared.
func (o *outcome) detach() {
	for i := range o.comps {
		o.comps[i].Detach()
	}
	for _, cd := range o.candidates {
		cd.identity = strings.Clone(cd.identity)
		cd.alone.Detach()
	}
}

// byPath compares the units at one key (either may be nil).
func (c *comparison) byPath(ctx context.Context, bu, hu *unit) (outcome, error) {
	b, h, err := c.load(ctx, bu, hu)
	if err != nil {
		return outcome{}, err
	}
	var o outcome
	switch {
	case b.invalid != nil && h.art != nil:
		// The change fixes a base that could not be read: the head stands
		// as a new artifact.
		comp := h.format.Diff(nil, h.art)
		comp.Findings = append(comp.Findings, c.baseInvalid(b.invalid, "the head is compared as a new artifact", bu.name()))
		c.count(0, h.files)
		o.comps = append(o.comps, comp)
	case b.invalid != nil:
		o.comps = append(o.comps, change.Comparison{Findings: []change.Finding{c.baseInvalid(b.invalid, "the head has no such artifact", bu.name())}})
	case b.art != nil && h.art != nil && b.format.Name() == h.format.Name() &&
		(b.identity == h.identity || b.identity == "" || h.identity == ""):
		c.count(b.files, h.files)
		o.comps = append(o.comps, c.diff(b, h))
	default:
		for _, x := range []*loaded{b, h} {
			if x.art != nil {
				o.candidates = append(o.candidates, c.candidateOf(x))
			}
		}
	}
	return o, nil
}

// repair compares two candidates paired after the first pass: reading them
// again keeps memory flat, and only moved or re-identified artifacts pay
// for it.
func (c *comparison) repair(ctx context.Context, bc, hc *candidate, moved bool) (change.Comparison, error) {
	b, h, err := c.load(ctx, bc.unit, hc.unit)
	if err != nil {
		return change.Comparison{}, err
	}
	if b.art == nil || h.art == nil {
		return change.Comparison{}, fmt.Errorf("%s or %s changed while it was being compared", bc.unit.name(), hc.unit.name())
	}
	c.count(b.files, h.files)
	comp := c.diff(b, h)
	if moved {
		r, _ := c.e.rules.Rule(rules.ArtifactMoved)
		from, to := bc.unit.name(), hc.unit.name()
		f := r.New(h.identity, "", h.where, change.Head,
			fmt.Sprintf("%s moved from %s to %s; it is compared with its old version as one artifact", capitalize(h.format.Noun()), from, to)).
			With(bc.unit.key, hc.unit.key)
		comp.Findings = append(comp.Findings, f)
	}
	return comp, nil
}

// pairByIdentity pairs base and head candidates whose identity is unique
// on each side and whose format is the same; it takes them out of cands.
func pairByIdentity(cands [2][]*candidate) [][2]*candidate {
	index := func(cs []*candidate) map[string]int {
		m := map[string]int{}
		for i, cd := range cs {
			if cd.identity == "" {
				continue
			}
			if _, dup := m[cd.identity]; dup {
				m[cd.identity] = -1
				continue
			}
			m[cd.identity] = i
		}
		return m
	}
	bi, hi := index(cands[0]), index(cands[1])
	var out [][2]*candidate
	for _, id := range slices.Sorted(maps.Keys(bi)) {
		i, j := bi[id], -1
		if k, ok := hi[id]; ok {
			j = k
		}
		if i < 0 || j < 0 || cands[0][i].format.Name() != cands[1][j].format.Name() {
			continue
		}
		out = append(out, [2]*candidate{cands[0][i], cands[1][j]})
		cands[0][i], cands[1][j] = nil, nil
	}
	return out
}

// pairByPath pairs what is left at the same key on both sides, when the
// format is the same; it takes them out of cands.
func pairByPath(cands [2][]*candidate) [][2]*candidate {
	heads := map[string]int{}
	for j, hc := range cands[1] {
		if hc != nil {
			heads[hc.unit.key] = j
		}
	}
	var out [][2]*candidate
	for i, bc := range cands[0] {
		if bc == nil {
			continue
		}
		j, ok := heads[bc.unit.key]
		if !ok || cands[1][j].format.Name() != bc.format.Name() {
			continue
		}
		out = append(out, [2]*candidate{bc, cands[1][j]})
		cands[0][i], cands[1][j] = nil, nil
	}
	return out
}

// candidateOf records an artifact that did not pair by path, with the
// comparison it gets if it stays alone.
func (c *comparison) candidateOf(x *loaded) *candidate {
	cd := &candidate{side: x.side, unit: x.unit, format: x.format, identity: x.identity, files: x.files}
	if x.side == 1 {
		cd.alone = x.format.Diff(nil, x.art)
		return cd
	}
	// A removed artifact is one finding, whatever its format: what it held
	// is gone with it. Its comparison keeps the declared version.
	cd.alone = x.format.Diff(x.art, nil)
	r, _ := c.e.rules.Rule(rules.ArtifactRemoved)
	what := x.identity
	if what == "" {
		what = x.format.Name() + ":" + x.unit.key
	}
	cd.alone.Findings = []change.Finding{r.New(what, "", x.where, change.Base,
		fmt.Sprintf("Removed %s, %s: whatever was deployed from it is left without the definition it was released from", x.format.Noun(), what))}
	return cd
}

// diff compares a loaded pair, accounts for every change in it (what no
// rule covers falls to the format's generic rules) and anchors the base
// side's findings in the head file, where a pull request can show them.
func (c *comparison) diff(b, h *loaded) change.Comparison {
	comp := h.format.Diff(b.art, h.art)
	formats.Account(c.e.checkers[h.format.Name()], b.art, h.art, &comp)
	for i := range comp.Findings {
		f := &comp.Findings[i]
		if f.Side != change.Base {
			continue
		}
		rel, ok := b.rels[f.File]
		if !ok {
			continue
		}
		if doc := h.docs[rel]; doc != nil {
			loc := formats.Locate(doc, f.Pointer)
			f.HeadAnchor = &loc
		}
	}
	return comp
}

// baseInvalid is the finding for a base file the change replaces or
// removes and that could not be read.
func (c *comparison) baseInvalid(ie *change.InputError, consequence, name string) change.Finding {
	r, _ := c.e.rules.Rule(rules.ArtifactBaseInvalid)
	loc := ie.Location
	if loc.File == "" {
		loc.File = name
	}
	return r.New("file:"+name, "", loc, change.Base,
		fmt.Sprintf("The base version of %s cannot be read (%s: %s), so %s", name, ie.Rule, ie.Msg, consequence))
}

// count records one artifact compared, made of these files on each side.
func (c *comparison) count(baseFiles, headFiles int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compared.Artifacts++
	c.compared.BaseFiles += baseFiles
	c.compared.HeadFiles += headFiles
}

// parallel runs fn over items with at most n in flight and returns the
// results in item order; the first error cancels the rest.
func parallel[T, R any](ctx context.Context, n int, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]R, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, max(n, 1))
	var wg sync.WaitGroup
	for i, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if out[i], errs[i] = fn(ctx, it); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The first error in item order that is not the cancellation another
	// item's error caused: "context canceled" names no file.
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return out, ctx.Err()
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
