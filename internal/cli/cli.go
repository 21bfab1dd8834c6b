// Package cli is the breakwater command line: a set of commands, each a
// flag set over an options struct and a run function. main only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ExitCode is the process exit status, as documented in the README.
type ExitCode int

const (
	// ExitOK: nothing fails the check.
	ExitOK ExitCode = 0
	// ExitFindings: unaccepted breaking findings, error findings or an
	// insufficient version bump.
	ExitFindings ExitCode = 1
	// ExitError: the tool could not do its job (bad input, bad config,
	// network or API failure). Never 1.
	ExitError ExitCode = 2
)

// exitError carries an exit code other than ExitError up to Run.
type exitError struct {
	code ExitCode
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errFindings says the check failed; the report has already been printed.
var errFindings = &exitError{code: ExitFindings, err: errors.New("the check failed")}

// Env is the process environment a command sees; tests fill it in.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Version is the binary's version, set at build time.
	Version string
	// Dir is the working directory relative paths are read from; empty
	// means the process's own.
	Dir string
	// IsTerminal says whether w is a terminal; nil checks the file.
	IsTerminal func(w io.Writer) bool
}

// path resolves a path from the command line against Dir.
func (e Env) path(p string) string {
	if e.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.Dir, p)
}

// OSEnv is the real process environment. stamped is the version set at
// build time, if any (see Version).
func OSEnv(stamped string) Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: Version(stamped)}
}

// color says whether a report to w may use colours: only on a terminal,
// and never when NO_COLOR is set (https://no-color.org).
func (e Env) color(w io.Writer) bool {
	if e.Getenv != nil && e.Getenv("NO_COLOR") != "" {
		return false
	}
	return e.terminal(w)
}

// terminal says whether w is a terminal.
func (e Env) terminal(w io.Writer) bool {
	if e.IsTerminal != nil {
		return e.IsTerminal(w)
	}
	return isTerminal(w)
}

func (e Env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// command is one subcommand.
type command struct {
	name    string
	usage   string // arguments after the name, e.g. "BASE HEAD"; none takes none
	summary string // one line for the command list
	help    string // paragraphs after the usage line
	flags   *flag.FlagSet
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []*command {
	return []*command{
		newDiffCmd(),
		newExplainCmd(),
		newRulesCmd(),
		newActionCmd(),
		newPackageCmd(),
		newSignCmd(),
		newVerifyCmd(),
		newPublishCmd(),
		newDeployCmd(),
		newRollbackCmd(),
		newReleaseCmd(),
		newPlanCmd(),
		newServeCmd(),
		newVersionCmd(),
		newRolloutStartCmd(),
		newRolloutWorkCmd(),
		newRolloutStatusCmd(),
		newRolloutControlCmd("pause"),
		newRolloutControlCmd("resume"),
		newRolloutControlCmd("retry"),
		newVersionsListCmd(),
		newVersionsGetCmd(),
		newVersionsRetireCmd(),
	}
}

// findCommand finds the command args name: one word ("diff") or two
// ("rollout start"). It returns the arguments after the name.
func findCommand(cmds []*command, args []string) (*command, []string) {
	for _, c := range cmds {
		if len(args) > 1 && c.name == args[0]+" "+args[1] {
			return c, args[2:]
		}
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c, args[1:]
		}
	}
	return nil, nil
}

// subcommands lists the names of the two-word commands under group.
func subcommands(cmds []*command, group string) []string {
	var subs []string
	for _, c := range cmds {
		if sub, ok := strings.CutPrefix(c.name, group+" "); ok {
			subs = append(subs, sub)
		}
	}
	return subs
}

// Run executes the command line args (without the program name).
func Run(ctx context.Context, args []string, env Env) ExitCode {
	cmds := commands()
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = []string{"version"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, _ := findCommand(cmds, args[1:]); c != nil {
				c.flags.SetOutput(env.Stdout)
				c.flags.Usage()
				return ExitOK
			}
			if subs := subcommands(cmds, args[1]); len(subs) == 0 && !strings.HasPrefix(args[1], "-") {
				fmt.Fprintf(env.Stderr, "breakwater: unknown command %q; see breakwater --help\n", args[1])
				return ExitError
			}
		}
		printMainUsage(env.Stdout, cmds)
		if len(args) == 0 {
			return ExitError
		}
		return ExitOK
	}
	if c, rest := findCommand(cmds, args); c != nil {
		// The flag package prints problems and usage itself; hold that back
		// so that --help goes to stdout and a flag error to stderr as one
		// line.
		c.flags.SetOutput(io.Discard)
		if err := c.flags.Parse(interspersed(c.flags, rest)); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.flags.SetOutput(env.Stdout)
				c.flags.Usage()
				return ExitOK
			}
			fmt.Fprintf(env.Stderr, "breakwater %s: %s; see breakwater %s --help\n", c.name, dashDash(err), c.name)
			return ExitError
		}
		if c.usage == "" && c.flags.NArg() > 0 {
			fmt.Fprintf(env.Stderr, "breakwater %s: takes no arguments, got %q; see breakwater %s --help\n", c.name, c.flags.Args(), c.name)
			return ExitError
		}
		c.flags.SetOutput(env.Stderr)
		return exit(env, c.run(ctx, env, c.flags.Args()))
	}
	if subs := subcommands(cmds, args[0]); len(subs) > 0 {
		fmt.Fprintf(env.Stderr, "breakwater: %s needs a subcommand: %s\n", args[0], strings.Join(subs, ", "))
		return ExitError
	}
	fmt.Fprintf(env.Stderr, "breakwater: unknown command %q; see breakwater --help\n", args[0])
	return ExitError
}

// flagName is a flag as the flag package names it in its errors ("-name").
var flagName = regexp.MustCompile(`(: |for |flag )-([A-Za-z0-9][A-Za-z0-9_.-]*)`)

// dashDash is a flag parsing error naming flags as users type them,
// "--name" (the flag package says "-name").
func dashDash(err error) string {
	return flagName.ReplaceAllString(err.Error(), "$1--$2")
}

func exit(env Env, err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee != errFindings {
			fmt.Fprintf(env.Stderr, "breakwater: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(env.Stderr, "breakwater: %v\n", err)
	return ExitError
}

// interspersed moves flags after positional arguments to the front, so that
// `breakwater diff a b --format json` works as users expect.
func interspersed(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) {
			if i+1 == len(args) {
				// Its value is missing: Parse says so, rather than take a
				// positional argument moved behind it as the value.
				return flags
			}
			i++
			flags = append(flags, args[i])
		}
	}
	return append(flags, pos...)
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("breakwater "+c.name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: breakwater %s [flags] %s\n\n%s\n", c.name, c.usage, c.summary)
		if c.help != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(w, "\nFlags:\n")
			printFlags(w, fs)
		}
	}
	return fs
}

// printFlags is flag.PrintDefaults with the "--name" users type (the flag
// package accepts both, and prints "-name").
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

func printMainUsage(w io.Writer, cmds []*command) {
	fmt.Fprint(w, `breakwater finds the changes in exported low-code integrations (Tray.io
solutions, FrontlineCloud recipe templates, vNext packages) that break deployed
instances, and says what each one forces on them.

Usage: breakwater <command> [flags] [arguments]

Commands:
`)
	sorted := append([]*command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	width := 0
	for _, c := range sorted {
		width = max(width, len(c.name))
	}
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "breakwater <command> --help" for a command's flags.

Exit codes: 0 nothing fails the check; 1 breaking findings that are not
accepted, error findings or an insufficient version bump (with fail-on
never, nothing fails the check); 2 the tool could not do its job (bad input
or configuration, network or API failure, nothing to compare).
`)
}
