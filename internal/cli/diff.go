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
)

type diffOptions struct {
	format  string
	config  string
	baseRef string
	output  string
	verbose bool
	failOn  string
}

func newDiffCmd() *command {
	o := &diffOptions{}
	c := &command{
		name:    "diff",
		usage:   "BASE HEAD | --base-ref REF HEAD",
		summary: "Compare two versions of exports and report what breaks deployed instances",
		help: `BASE and HEAD are files or directories. A directory is searched for
supported files (Tray.io exports, .ckbk templates, vNext packages) and a
package.json holding the declared version; files are paired by their path
relative to the directory. With --base-ref, the base is read from git at
that ref (a branch, tag or commit) and HEAD is the working tree path.

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
	c.flags.StringVar(&o.failOn, "fail-on", "", "override the configuration's fail-on: breaking, warning or never")
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
	cfg, err := loadConfig(ctx, o.config)
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
	opts, globs := engineOptions(cfg)

	headPath := args[len(args)-1]
	var base, head []engine.File
	if o.baseRef != "" {
		base, err = loadGitRef(ctx, o.baseRef, headPath, globs)
	} else {
		base, err = loadPath(ctx, args[0], globs)
	}
	if err != nil {
		return err
	}
	if head, err = loadPath(ctx, headPath, globs); err != nil {
		return err
	}
	// Files named one by one are meant to be exports: an unknown format is
	// an error rather than something a directory scan passes over.
	opts.Explicit = opts.Explicit || (isFile(headPath) && (o.baseRef != "" || isFile(args[0])))

	rep, err := eng.Compare(base, head, opts)
	if err != nil {
		return err
	}

	w := env.Stdout
	if o.output != "" {
		f, err := os.Create(o.output)
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

type renderFunc func(w io.Writer, r *change.Report, book report.RuleBook, env Env, o *diffOptions) error

func renderer(format string) (renderFunc, error) {
	switch format {
	case "text":
		return func(w io.Writer, r *change.Report, book report.RuleBook, env Env, o *diffOptions) error {
			return report.Text(w, r, book, report.TextOptions{Verbose: o.verbose, Color: o.output == "" && isTerminal(env.Stdout)})
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
func loadConfig(ctx context.Context, path string) (*config.Config, error) {
	if path == "" {
		path = config.DefaultPath
	}
	return config.Load(ctx, path)
}

// engineOptions maps the configuration onto a comparison, and returns the
// globs a directory scan keeps.
func engineOptions(cfg *config.Config) (engine.Options, []string) {
	opts := engine.Options{
		Policy:         cfg.Policy(false),
		Explicit:       cfg.ArtifactsSet,
		VersionFile:    cfg.Version.File,
		VersionPointer: cfg.Version.Pointer,
	}
	var globs []string
	for _, a := range cfg.Artifacts {
		for _, p := range a.Paths {
			globs = append(globs, p)
			opts.Formats = append(opts.Formats, engine.FormatOverride{Glob: p, Format: a.Format})
		}
	}
	return opts, globs
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
