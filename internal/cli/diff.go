package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/source"
)

type diffOptions struct {
	format  string
	config  string
	baseRef string
	output  string
	verbose bool
	failOn  change.FailOn
}

func newDiffCmd() *command {
	o := &diffOptions{}
	c := &command{
		name:    "diff",
		usage:   "BASE HEAD | --base-ref REF HEAD",
		summary: "Compare two versions of exports and report what breaks deployed instances",
		help: `BASE and HEAD are two files, or two directories. Two files are compared as
one artifact, whatever their names. A directory is searched (following
symbolic links) for the files the configuration's artifacts globs match,
relative to the directory; their format is detected from the content, and
files of no known format are counted and passed over. Artifacts are paired
by identity (Tray solution or project id, .ckbk name, vNext package name),
then by path, so a moved file is compared with its old version. With
--base-ref, the base is read from git at that ref (a branch, tag or commit)
and HEAD is the working tree path. A side without any export is an error.

Formats: text (terminal), markdown (PR comment), json (see
schema/report.schema.json), sarif (GitHub code scanning), github (workflow
command annotations).`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.format, "format", "text", "report `format`: text, markdown, json, sarif or github")
	c.flags.StringVar(&o.config, "config", "", "configuration `file` (default "+config.DefaultPath+" when it exists)")
	c.flags.StringVar(&o.baseRef, "base-ref", "", "read the base from git at this `ref` instead of a BASE path")
	c.flags.StringVar(&o.output, "output", "", "write the report to this `file` instead of standard output")
	c.flags.BoolVar(&o.verbose, "verbose", false, "list info findings in the text report too")
	c.flags.Var(&o.failOn, "fail-on", "what fails the check (`level`), overriding the configuration: breaking (unaccepted breaking\nand error findings; the default), warning (warnings too) or never (nothing: exit code 0\nunless the tool itself fails, 2)")
	c.run = func(ctx context.Context, env Env, args []string) error { return runDiff(ctx, env, o, args) }
	return c
}

func runDiff(ctx context.Context, env Env, o *diffOptions, args []string) error {
	if o.baseRef != "" && len(args) != 1 || o.baseRef == "" && len(args) != 2 {
		return errors.New("diff needs BASE and HEAD (or --base-ref REF and HEAD); see breakwater diff --help")
	}
	render, err := renderer(o.format)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	if o.failOn != "" {
		cfg.FailOn = o.failOn
	}
	eng, err := engine.New()
	if err != nil {
		return err
	}
	if err := cfg.CheckRules(eng.Rules().Has); err != nil {
		return err
	}
	base, head, pair, err := trees(ctx, env, o, args)
	if err != nil {
		return err
	}
	res, err := eng.Run(ctx, engine.Request{Base: base, Head: head, Config: cfg, Pair: pair, RequireArtifacts: true})
	for _, t := range []engine.Tree{base, head} {
		if n, ok := t.(interface{ Notes() []string }); ok {
			for _, note := range n.Notes() {
				fmt.Fprintf(env.Stderr, "breakwater: note: %s\n", note)
			}
		}
	}
	if err != nil {
		return err
	}
	rep := res.Report

	w := env.Stdout
	if o.output != "" {
		f, err := os.Create(env.path(o.output))
		if err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		defer f.Close()
		w = f
	}
	if err := render(w, rep, eng.Rules(), env, o); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if !rep.Summary.OK {
		return errFindings
	}
	return nil
}

// trees opens the two sides: BASE and HEAD as files or directories, or the
// base from git at --base-ref. Two files are one pair, whatever their names.
func trees(ctx context.Context, env Env, o *diffOptions, args []string) (base, head engine.Tree, pair bool, err error) {
	headArg := args[len(args)-1]
	h, err := source.NewDir(env.path(headArg), headArg)
	if err != nil {
		return nil, nil, false, err
	}
	if o.baseRef != "" {
		g, err := source.NewGit(ctx, env.path(headArg), headArg, o.baseRef)
		if err != nil {
			return nil, nil, false, err
		}
		return g, h, h.IsFile(), nil
	}
	b, err := source.NewDir(env.path(args[0]), args[0])
	if err != nil {
		return nil, nil, false, err
	}
	if b.IsFile() != h.IsFile() {
		return nil, nil, false, fmt.Errorf("%s and %s are a file and a directory: compare two files or two directories", args[0], headArg)
	}
	return b, h, h.IsFile(), nil
}

type renderFunc func(w io.Writer, r *change.Report, book report.RuleBook, env Env, o *diffOptions) error

func renderer(format string) (renderFunc, error) {
	switch format {
	case "text":
		return func(w io.Writer, r *change.Report, book report.RuleBook, env Env, o *diffOptions) error {
			return report.Text(w, r, book, report.TextOptions{Verbose: o.verbose, Color: o.output == "" && env.color(env.Stdout)})
		}, nil
	case "markdown":
		return func(w io.Writer, r *change.Report, book report.RuleBook, _ Env, _ *diffOptions) error {
			_, err := io.WriteString(w, report.Markdown(r, book, report.MarkdownOptions{}))
			return err
		}, nil
	case "json":
		return func(w io.Writer, r *change.Report, _ report.RuleBook, _ Env, _ *diffOptions) error {
			return report.JSON(w, r)
		}, nil
	case "sarif":
		return func(w io.Writer, r *change.Report, book report.RuleBook, env Env, _ *diffOptions) error {
			return report.SARIF(w, r, book, toolInfo(env))
		}, nil
	case "github":
		return func(w io.Writer, r *change.Report, book report.RuleBook, _ Env, _ *diffOptions) error {
			return report.WorkflowCommands(w, r)
		}, nil
	}
	return nil, fmt.Errorf("unknown --format %q: want text, markdown, json, sarif or github", format)
}

func toolInfo(env Env) report.ToolInfo {
	return report.ToolInfo{Name: "breakwater", Version: env.Version, InformationURI: "https://github.com/breakwater-dev/breakwater"}
}

// loadConfig reads the configuration: the named file, else the default path
// when it exists, else the defaults.
func loadConfig(ctx context.Context, env Env, path string) (*config.Config, error) {
	if path == "" {
		path = config.DefaultPath
	}
	return config.Load(ctx, env.path(path))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
