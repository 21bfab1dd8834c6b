// Package coverage checks that a comparison accounts for every change: it
// computes the normalised structural difference of each pair of files
// (internal/structdiff) and says which changed paths the findings of the
// format's differ cover, and which they leave unmentioned.
//
// A finding covers the value at its pointer, on its side, and everything
// beneath it. A format widens that for rules whose findings speak about a
// whole element but point at one part of it (tray/workflow-changed points
// at the first changed step and covers the workflow) by declaring Extents.
// A finding that speaks for values elsewhere lists them in its Covers
// (change.Finding.Covers): a service-version change counted over many
// steps, a renamed recipe's base side. A finding beneath a change never
// covers the change: a finding about one scope of a removed slot does not
// account for the slot.
//
// What no finding covers is classified as text shown to people (a declared
// list of paths per format) or as anything else, and Findings reports it
// with the format's own two rules (TextRule and OtherRule): nothing
// changes silently.
package coverage

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Spec is one format's declaration of how its changes are accounted for.
type Spec struct {
	// Structure is the normalisation the structural diff uses.
	Structure structdiff.Spec
	// Files give other files of a format their own normalisation (a vNext
	// package's vnext.config.json beside its definitions).
	Files []FileStructure
	// Text lists the values that are text shown to people (titles,
	// descriptions, labels): patterns relative to the compared value.
	Text []structdiff.Field
	// Extents widen what a rule's findings cover.
	Extents []Extent
	// Links relate values to the element they are about.
	Links []Link
	// TextRule and OtherRule report the changes no finding covers: text,
	// and everything else.
	TextRule, OtherRule change.Rule
}

// FileStructure is the normalisation of the files whose base name matches
// Name (a path.Match pattern).
type FileStructure struct {
	Name      string
	Structure structdiff.Spec
}

// Extent says that a finding of Rule covers the whole value matching Path
// that encloses its pointer, or, with Members, those members of it.
type Extent struct {
	Rule    string
	Path    string // a structdiff pattern
	Members []string
	Why     string
}

// Link says that a value matching Path is about the element of Array
// whose Key equals the value at Via inside it: a public-URL item of the
// Config Wizard (Via "workflowId") is about a workflow, a project's list of
// workflow ids about each workflow. A change at or beneath such a value is
// covered by whatever mentions that element (a finding at, above or beneath
// it), on the same side, including the format's own TextRule and OtherRule
// when they report the element's change: a copy changed with its original
// is reported once.
type Link struct {
	Path  string // pattern of the linked value (the changed value or one enclosing it)
	Via   string // member path inside it that holds the key; "" for the value itself
	Array string // pointer of the array of elements, relative to the compared value
	Key   string // the member of those elements that the key matches
	Why   string
}

type link struct {
	Link
	pattern structdiff.Pattern
	via     []string
}

type extent struct {
	pattern structdiff.Pattern
	members []string
}

// Checker checks comparisons of one format. It is safe for concurrent use.
type Checker struct {
	spec    Spec
	differ  *structdiff.Differ
	files   []fileDiffer
	text    []structdiff.Pattern
	extents map[string][]extent
	links   []link
}

type fileDiffer struct {
	name   string
	differ *structdiff.Differ
}

// New compiles spec.
func New(spec Spec) (*Checker, error) {
	d, err := structdiff.New(spec.Structure)
	if err != nil {
		return nil, err
	}
	c := &Checker{spec: spec, differ: d, extents: map[string][]extent{}}
	for _, f := range spec.Files {
		if _, err := path.Match(f.Name, ""); err != nil {
			return nil, fmt.Errorf("file pattern %q: %w", f.Name, err)
		}
		fd, err := structdiff.New(f.Structure)
		if err != nil {
			return nil, fmt.Errorf("files %q: %w", f.Name, err)
		}
		c.files = append(c.files, fileDiffer{f.Name, fd})
	}
	for _, f := range spec.Text {
		p, err := structdiff.ParsePattern(f.Path)
		if err != nil {
			return nil, err
		}
		c.text = append(c.text, p)
	}
	for _, e := range spec.Extents {
		p, err := structdiff.ParsePattern(e.Path)
		if err != nil {
			return nil, err
		}
		if e.Rule == "" || strings.TrimSpace(e.Why) == "" {
			return nil, fmt.Errorf("extent %q: name the rule and say why", e.Path)
		}
		c.extents[e.Rule] = append(c.extents[e.Rule], extent{p, e.Members})
	}
	for _, l := range spec.Links {
		p, err := structdiff.ParsePattern(l.Path)
		if err != nil {
			return nil, err
		}
		if l.Key == "" || strings.Contains(l.Array, "*") || strings.TrimSpace(l.Why) == "" {
			return nil, fmt.Errorf("link %q: name the key and the array (no wildcards), and say why", l.Path)
		}
		var via []string
		if l.Via != "" {
			via = strings.Split(l.Via, "/")
		}
		c.links = append(c.links, link{Link: l, pattern: p, via: via})
	}
	for _, r := range []change.Rule{spec.TextRule, spec.OtherRule} {
		if r.ID == "" {
			return nil, fmt.Errorf("the spec needs a TextRule and an OtherRule")
		}
	}
	return c, nil
}

// Differ is the structural differ of the spec.
func (c *Checker) Differ() *structdiff.Differ { return c.differ }

// DifferFor is the structural differ for the file called name: the first
// of Files whose pattern matches its base name, else Differ.
func (c *Checker) DifferFor(name string) *structdiff.Differ {
	for _, f := range c.files {
		if ok, _ := path.Match(f.name, path.Base(name)); ok {
			return f.differ
		}
	}
	return c.differ
}

// Spec is the spec the checker was built from.
func (c *Checker) Spec() Spec { return c.spec }

// Pair is one file of a comparison on both sides; either Doc may be nil
// (the file was added or removed).
type Pair struct {
	Base, Head structdiff.Input
	// Path is the file's path in its artifact (a package member's path),
	// which the subjects of generic findings start with; "" for the one
	// file of a single-file artifact.
	Path string
}

func (p Pair) file(side change.Side) string {
	in := p.Head
	if side == change.Base {
		in = p.Base
	}
	if in.Doc == nil {
		return ""
	}
	return in.Doc.File
}

// Class sorts the changes no finding covers.
type Class uint8

const (
	Other Class = iota // reported by the format's OtherRule
	Text               // text shown to people, reported by its TextRule
)

func (c Class) String() string {
	if c == Text {
		return "text"
	}
	return "other"
}

// Item is one changed path of one file.
type Item struct {
	// File is the name of the head file, or of the base file when the head
	// has none.
	File string
	structdiff.Change
	Class Class
	// CoveredBy are the IDs of the rules whose findings cover the change,
	// sorted; empty when none does.
	CoveredBy []string

	path       string // Pair.Path
	base, head *jsonpos.Doc
}

// Report is the coverage of one comparison.
type Report struct {
	// Items are every changed path, sorted by file, path and kind.
	Items []Item
	// Duplicates are the ambiguous identities met, by file.
	Duplicates map[string][]structdiff.Duplicate
}

// Uncovered are the items no finding covers, in the order of Items.
func (r Report) Uncovered() []Item {
	var out []Item
	for _, it := range r.Items {
		if len(it.CoveredBy) == 0 {
			out = append(out, it)
		}
	}
	return out
}

// claims are the concrete pointers findings cover (with all beneath them)
// in one file, and the rules of those findings.
type claims map[string][]string

type claim struct{ pointer, rule string }

// Check diffs every pair and matches the changes against findings. A
// finding is matched to the pair whose file on its side has the finding's
// File, and so is each value it Covers; findings in other files (a
// package.json version) claim nothing.
func (c *Checker) Check(pairs []Pair, findings []change.Finding) Report {
	r := Report{Duplicates: map[string][]structdiff.Duplicate{}}
	type key struct {
		file string
		side change.Side
	}
	byFile := map[key]claims{}
	for _, p := range pairs {
		for _, side := range []change.Side{change.Base, change.Head} {
			if f := p.file(side); f != "" {
				byFile[key{f, side}] = claims{}
			}
		}
	}
	type sideOf struct {
		pair int
		side change.Side
	}
	extended := map[sideOf][]claim{}
	claimAt := func(rule string, side change.Side, file, pointer string, widen bool) {
		if side != change.Base {
			side = change.Head
		}
		cl := byFile[key{file, side}]
		if cl == nil {
			return
		}
		for i, p := range pairs {
			if p.file(side) != file {
				continue
			}
			in := p.Head
			if side == change.Base {
				in = p.Base
			}
			ptrs := []string{pointer}
			if widen {
				ptrs = c.extend(rule, in.At, pointer)
			}
			for _, ptr := range ptrs {
				cl[ptr] = append(cl[ptr], rule)
				extended[sideOf{i, side}] = append(extended[sideOf{i, side}], claim{ptr, rule})
			}
		}
	}
	for _, f := range findings {
		claimAt(f.Rule, f.Side, f.File, f.Pointer, true)
		for _, r := range f.Covers {
			claimAt(f.Rule, r.Side, r.File, r.Pointer, false)
		}
	}
	// Findings also claim the identity path of what they point at, so a
	// finding on one side covers the same element's change on the other
	// (a head finding on a role list covers a role removed from base).
	// Identifying pointers costs a pass over the arrays they cross, so it
	// is done only for pairs with a change the pointers leave uncovered.
	byID := make([]map[string][]string, len(pairs))
	identities := func(i int) map[string][]string {
		if byID[i] == nil {
			byID[i] = map[string][]string{}
			for _, side := range []change.Side{change.Base, change.Head} {
				in := pairs[i].Head
				if side == change.Base {
					in = pairs[i].Base
				}
				cls := extended[sideOf{i, side}]
				if len(cls) == 0 {
					continue
				}
				ider := c.DifferFor(pairs[i].file(side)).NewIdentifier(in)
				for _, cl := range cls {
					id := ider.Identify(cl.pointer)
					byID[i][id] = append(byID[i][id], cl.rule)
				}
			}
		}
		return byID[i]
	}
	for pi, p := range pairs {
		file := p.file(change.Head)
		if file == "" {
			file = p.file(change.Base)
		}
		res := c.DifferFor(file).Diff(p.Base, p.Head)
		if len(res.Duplicates) > 0 {
			r.Duplicates[file] = res.Duplicates
		}
		bcl, hcl := byFile[key{p.file(change.Base), change.Base}], byFile[key{p.file(change.Head), change.Head}]
		items := make([]Item, len(res.Changes))
		for i, ch := range res.Changes {
			items[i] = Item{File: file, Change: ch, Class: c.classify(ch), path: p.Path, base: p.Base.Doc, head: p.Head.Doc}
			var by []string
			if ch.BaseValue != nil {
				by = append(by, covering(bcl, ch.Base)...)
			}
			if ch.HeadValue != nil {
				by = append(by, covering(hcl, ch.Head)...)
			}
			if len(by) == 0 {
				ids := identities(pi)
				for _, id := range append(ch.Ancestors(), ch.Path) {
					by = append(by, ids[id]...)
				}
			}
			items[i].CoveredBy = by
		}
		// What no finding covers falls to the generic rules, which then
		// mention it like any finding: links to it are covered by them.
		generic := map[change.Side]claims{change.Base: {}, change.Head: {}}
		for _, side := range []change.Side{change.Base, change.Head} {
			for ptr, rules := range map[change.Side]claims{change.Base: bcl, change.Head: hcl}[side] {
				generic[side][ptr] = rules
			}
		}
		for _, it := range items {
			if len(it.CoveredBy) > 0 {
				continue
			}
			rule := c.genericRule(it.Class)
			if it.BaseValue != nil {
				generic[change.Base][it.Base] = append(generic[change.Base][it.Base], rule)
			}
			if it.HeadValue != nil {
				generic[change.Head][it.Head] = append(generic[change.Head][it.Head], rule)
			}
		}
		for i := range items {
			if len(items[i].CoveredBy) == 0 {
				items[i].CoveredBy = c.linked(p, items[i].Change, generic)
			}
			slices.Sort(items[i].CoveredBy)
			items[i].CoveredBy = slices.Compact(items[i].CoveredBy)
		}
		r.Items = append(r.Items, items...)
	}
	slices.SortStableFunc(r.Items, func(a, b Item) int {
		return cmp.Or(strings.Compare(a.File, b.File), strings.Compare(a.Path, b.Path), cmp.Compare(a.Kind, b.Kind))
	})
	return r
}

// extend widens a finding's pointer to the outermost enclosing value an
// extent of its rule names, or to the members of it the extent lists.
func (c *Checker) extend(rule, at, pointer string) []string {
	exts := c.extents[rule]
	if len(exts) == 0 || !strings.HasPrefix(pointer, at) {
		return []string{pointer}
	}
	toks := structdiff.PointerTokens(strings.TrimPrefix(pointer, at))
	for n := 0; n <= len(toks); n++ {
		for _, e := range exts {
			if !e.pattern.Match(toks[:n]) {
				continue
			}
			ptr := at
			for _, t := range toks[:n] {
				ptr += "/" + jsonpos.EscapeToken(t.Name)
			}
			if len(e.members) == 0 {
				return []string{ptr}
			}
			out := []string{pointer}
			for _, m := range e.members {
				out = append(out, ptr+"/"+jsonpos.EscapeToken(m))
			}
			return out
		}
	}
	return []string{pointer}
}

// covering returns the rules that claim ptr or one of its ancestors.
func covering(cl claims, ptr string) []string {
	var out []string
	for {
		out = append(out, cl[ptr]...)
		if ptr == "" {
			return out
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return out
		}
		ptr = ptr[:i]
	}
}

func (c *Checker) genericRule(cl Class) string {
	if cl == Text {
		return c.spec.TextRule.ID
	}
	return c.spec.OtherRule.ID
}

// linked returns the rules that mention an element a link relates ch to.
func (c *Checker) linked(p Pair, ch structdiff.Change, cl map[change.Side]claims) []string {
	var out []string
	for _, l := range c.links {
		for _, s := range []struct {
			side change.Side
			in   structdiff.Input
			ptr  string
			has  bool
		}{{change.Base, p.Base, ch.Base, ch.BaseValue != nil}, {change.Head, p.Head, ch.Head, ch.HeadValue != nil}} {
			if !s.has || s.in.Doc == nil {
				continue
			}
			for _, el := range l.elements(s.in, ch, s.ptr) {
				out = append(out, mentions(cl[s.side], el)...)
			}
		}
	}
	return out
}

// elements are the pointers of the elements l relates the change at ptr
// to, in the document of in.
func (l link) elements(in structdiff.Input, ch structdiff.Change, ptr string) []string {
	shape := ch.Shape()
	rel := structdiff.PointerTokens(strings.TrimPrefix(ptr, in.At))
	if len(rel) != len(shape) {
		return nil
	}
	root := in.Doc.Root.Find(in.At)
	for n := len(shape); n >= 0; n-- {
		if !l.pattern.Match(shape[:n]) {
			continue
		}
		enclosing := in.At
		for _, t := range rel[:n] {
			enclosing += "/" + jsonpos.EscapeToken(t.Name)
		}
		v := in.Doc.Root.Find(enclosing).Path(l.via...)
		arr := root.Find(l.Array)
		if v == nil || !arr.Is(jsonpos.Array) || v.Kind == jsonpos.Array || v.Kind == jsonpos.Object {
			return nil
		}
		want := jsonpos.Canonical(v)
		var out []string
		for i := range arr.Kids {
			if k := arr.Kids[i].Get(l.Key); k != nil && jsonpos.Canonical(k) == want {
				out = append(out, in.At+l.Array+"/"+fmt.Sprint(i))
			}
		}
		return out
	}
	return nil
}

// mentions returns the rules of the claims at, above or beneath ptr.
func mentions(cl claims, ptr string) []string {
	out := covering(cl, ptr)
	for p, rules := range cl {
		if strings.HasPrefix(p, ptr+"/") {
			out = append(out, rules...)
		}
	}
	return out
}

func (c *Checker) classify(ch structdiff.Change) Class {
	for _, p := range c.text {
		if p.Match(ch.Shape()) {
			return Text
		}
	}
	return Other
}
