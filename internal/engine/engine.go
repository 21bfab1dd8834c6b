// Package engine is the input pipeline every face shares: from two trees
// (directories, a git ref, a commit read through the GitHub API) and the
// configuration it resolves what to compare — which files are exports, of
// which format, how base and head pair up (by identity, then by path), where
// the declared versions live — then parses, diffs and classifies one
// artifact at a time under the policy. Faces provide trees and render the
// result; they never build the comparison themselves.
package engine

import (
	"context"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/registry"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// Engine holds what is expensive to build once: the formats (with their
// compiled schemas) and the rule catalogue. It is safe for concurrent use.
type Engine struct {
	formats *formats.Registry
	rules   *rules.Catalogue
	// checkers account for every change of each format's pairs, by format
	// name (internal/coverage).
	checkers map[string]*coverage.Checker
	// workers bounds the artifacts in flight at once, and so the parsed
	// documents held in memory.
	workers int
}

// preparer is a format with set-up that can fail (compiling schemas).
type preparer interface{ Prepare() error }

// New builds an engine over the registry's formats.
func New() (*Engine, error) {
	reg := registry.Default()
	checkers := map[string]*coverage.Checker{}
	for _, f := range reg.All() {
		if p, ok := f.(preparer); ok {
			if err := p.Prepare(); err != nil {
				return nil, fmt.Errorf("preparing the %s format: %w", f.Name(), err)
			}
		}
		c, err := coverage.New(f.Coverage())
		if err != nil {
			return nil, fmt.Errorf("the %s format's coverage declaration: %w", f.Name(), err)
		}
		checkers[f.Name()] = c
	}
	return &Engine{formats: reg, rules: rules.ForFormats(reg), checkers: checkers, workers: 4}, nil
}

// Rules is the engine's rule catalogue.
func (e *Engine) Rules() *rules.Catalogue { return e.rules }

// Formats is the engine's format registry.
func (e *Engine) Formats() *formats.Registry { return e.formats }

// Request is one comparison.
type Request struct {
	Base, Head Tree
	// Config says which files are exports (artifacts globs, relative to the
	// trees' roots), their formats, where the declared version lives and
	// the policy. Nil means config.Default().
	Config *config.Config
	// Changed, when not nil, limits the comparison to the artifacts with a
	// file at one of these paths: a pull request's changed files, with both
	// paths of a rename. A changed path that matches the globs must be in
	// one of the trees.
	Changed []string
	// OnlyChanged limits the comparison, as Changed does, to the artifacts
	// with a file whose content differs between the trees, as their
	// entries' Blobs say (an entry without one counts as changed): a pull
	// request's changed files, known without asking for them. Changed must
	// then be nil.
	OnlyChanged bool
	// Pair says that Base and Head each hold one file the user named: they
	// are one artifact whatever their names, and must be of a known format.
	Pair bool
	// RequireArtifacts makes it an error, naming what was searched, when a
	// side holds no artifact: a comparison of nothing must not pass.
	// Configured artifacts globs that match no file on either side are an
	// error in every request.
	RequireArtifacts bool
	// Accept accepts every breaking finding (the pull request carries the
	// acceptance label); nil accepts only what the configuration records.
	Accept *change.Acceptance
}

// Result is a comparison's outcome.
type Result struct {
	// Report is the classified comparison; Report.Summary.Compared says
	// what was compared.
	Report *change.Report
}

// Compared is what was compared.
func (r *Result) Compared() change.Compared { return r.Report.Summary.Compared }

// Run compares the request's trees. An error means the tool could not do
// its job (exit code 2): an input it cannot read (*change.InputError, with
// file, line and column), a tree it cannot list or read, a configuration the
// engine cannot apply, or nothing to compare where something was required.
func (e *Engine) Run(ctx context.Context, req Request) (*Result, error) {
	cfg := req.Config
	if cfg == nil {
		cfg = config.Default()
	}
	sel, err := e.newSelector(cfg, req)
	if err != nil {
		return nil, err
	}
	if req.OnlyChanged && req.Changed != nil {
		return nil, fmt.Errorf("a comparison of only the changed files takes them from the trees, not from a list")
	}
	c := &comparison{e: e, req: req, sel: sel}
	c.compared.Base, c.compared.Head = req.Base.String(), req.Head.String()
	if req.Changed != nil && !sel.mayTouch(req.Changed) {
		// Nothing the pull request changes can be an export: no listing.
		return c.result(nil), nil
	}
	untouched, err := c.plan(ctx)
	switch {
	case err != nil:
		return nil, err
	case untouched:
		return c.result(nil), nil
	}
	comps, err := c.compare(ctx)
	if err != nil {
		return nil, err
	}
	return c.result(comps), nil
}

// result classifies the comparisons under the policy.
func (c *comparison) result(comps []change.Comparison) *Result {
	policy := c.sel.cfg.Policy(false)
	policy.AcceptAll = c.req.Accept
	// Override globs match paths in the tree, as the artifacts globs do,
	// whatever the names reports show.
	policy.PathOf = func(name string) string {
		if p, ok := c.paths[name]; ok {
			return p
		}
		return name
	}
	comps = append(comps, c.extra...)
	rep := c.e.rules.Classify(comps, c.version[0], c.version[1], policy)
	rep.Summary.Compared = c.compared
	return &Result{Report: rep}
}
