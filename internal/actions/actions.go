// Package actions is the GitHub Actions runner as a step sees it: inputs,
// outputs and environment files, the job summary, masks, annotations and
// log groups.
//
// It exists instead of go-githubactions because that library writes
// multi-line values with a fixed heredoc delimiter: a value containing the
// delimiter ends the heredoc early and the rest of the value becomes new
// outputs or environment variables. Here every value gets a fresh random
// delimiter, and a value that contains it is refused.
package actions

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/workflowcmd"
)

// Runner talks to the Actions runner through environment variables, files
// and workflow commands on standard output. The zero value is not usable:
// use New.
type Runner struct {
	getenv func(string) string
	out    io.Writer
	// rand supplies heredoc delimiters and stop-commands tokens.
	rand io.Reader

	mu    sync.Mutex
	shown map[Level]int // annotations printed, per level
	cut   map[Level]int // annotations withheld because of the caps
	total int
}

// New returns a Runner reading the environment through getenv and printing
// workflow commands to out (the step's standard output).
func New(getenv func(string) string, out io.Writer) *Runner {
	return &Runner{getenv: getenv, out: out, rand: rand.Reader, shown: map[Level]int{}, cut: map[Level]int{}}
}

// WithRand replaces the source of randomness (tests use it to force a
// delimiter collision). It returns r.
func (r *Runner) WithRand(src io.Reader) *Runner {
	r.rand = src
	return r
}

// Getenv reads an environment variable of the step.
func (r *Runner) Getenv(name string) string { return r.getenv(name) }

// InputEnvName is the environment variable the runner sets for an input:
// INPUT_ and the name upper-cased with spaces replaced by underscores
// (hyphens stay, e.g. INPUT_FAIL-ON).
func InputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Input is the value of an action input with surrounding white space
// removed; "" when it is not set.
func (r *Runner) Input(name string) string {
	return strings.TrimSpace(r.getenv(InputEnvName(name)))
}

// BoolInput reads a boolean input the way @actions/core does: true, True,
// TRUE, false, False or FALSE (YAML 1.2 core schema). An empty input is def.
func (r *Runner) BoolInput(name string, def bool) (bool, error) {
	switch v := r.Input(name); v {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, fmt.Errorf("input %q is %q: want true or false", name, v)
	}
}

// ListInput splits an input on newlines and commas and drops empty items,
// so both YAML block scalars and "a, b" work.
func (r *Runner) ListInput(name string) []string {
	var items []string
	for _, line := range strings.Split(r.Input(name), "\n") {
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
	}
	return items
}

// SetOutput sets a step output through the GITHUB_OUTPUT file.
func (r *Runner) SetOutput(name, value string) error {
	return r.appendKeyValue("GITHUB_OUTPUT", name, value)
}

// ExportVariable sets an environment variable for the following steps
// through the GITHUB_ENV file.
func (r *Runner) ExportVariable(name, value string) error {
	return r.appendKeyValue("GITHUB_ENV", name, value)
}

// appendKeyValue appends name=value to the file the environment variable
// fileVar names.
func (r *Runner) appendKeyValue(fileVar, name, value string) error {
	entry, err := r.keyValue(name, value)
	if err != nil {
		return fmt.Errorf("%s: %w", fileVar, err)
	}
	return r.appendFile(fileVar, entry)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// keyValue is the file command name<<delimiter / value / delimiter. The
// delimiter is random per value, so no value can close the heredoc early and
// smuggle in other keys.
func (r *Runner) keyValue(name, value string) (string, error) {
	// The runner splits "name<<delimiter" at the first "<<" and
	// "name=value" at the first "=": a name must contain neither, nor end
	// in "<". Identifier characters are all outputs and variables need.
	if !validName.MatchString(name) {
		return "", fmt.Errorf("invalid name %q: use letters, digits, '_', '-' and '.'", name)
	}
	delim, err := r.token("ghadelimiter_")
	if err != nil {
		return "", err
	}
	if strings.Contains(value, delim) || strings.Contains(name, delim) {
		// A 128-bit random token appearing in a value is an attack or a broken
		// random source; either way, do not write it.
		return "", fmt.Errorf("the value of %q contains its heredoc delimiter; refusing to write it", name)
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n", nil
}

// StepSummaryLimit is the most the runner uploads as one step's summary
// (1 MiB); a larger summary is dropped whole.
const StepSummaryLimit = 1 << 20

// AddStepSummary appends Markdown to the job summary (GITHUB_STEP_SUMMARY).
// What would exceed the runner's 1 MiB limit is cut at a line boundary and
// replaced by a note, so the summary is shortened instead of lost.
func (r *Runner) AddStepSummary(markdown string) error {
	const note = "\n\n> The summary was cut here: GitHub shows at most 1 MiB per step.\n"
	var existing int64 // the runner gives every step a file of its own
	if p := r.getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if st, err := os.Stat(p); err == nil {
			existing = st.Size()
		}
	}
	if room := StepSummaryLimit - existing; int64(len(markdown)) > room {
		keep := room - int64(len(note))
		if keep < 0 {
			return errors.New("GITHUB_STEP_SUMMARY is full: GitHub shows at most 1 MiB per step")
		}
		markdown = cutAtLine(markdown, int(keep)) + note
	}
	return r.appendFile("GITHUB_STEP_SUMMARY", markdown)
}

// cutAtLine returns the longest prefix of s of at most n bytes that ends at
// a line break, or failing that at a rune boundary.
func cutAtLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndexByte(s[:n], '\n'); i >= 0 {
		return s[:i+1]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (r *Runner) appendFile(fileVar, content string) error {
	p := r.getenv(fileVar)
	if p == "" {
		return fmt.Errorf("%s is not set: not running in GitHub Actions?", fileVar)
	}
	// Like @actions/core, write only to a file the runner created.
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("writing %s: %w", fileVar, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", fileVar, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", fileVar, err)
	}
	return nil
}

// token is prefix plus 32 random hex digits.
func (r *Runner) token(prefix string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r.rand, b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// AddMask tells the runner to replace value with *** in the log from now
// on. Each line of a multi-line value is masked too, because the runner
// matches masks line by line. Call it before the value could be printed.
func (r *Runner) AddMask(value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	r.command("add-mask", nil, value)
	if strings.ContainsAny(value, "\r\n") {
		for _, line := range strings.FieldsFunc(value, func(c rune) bool { return c == '\n' || c == '\r' }) {
			if strings.TrimSpace(line) != "" {
				r.command("add-mask", nil, line)
			}
		}
	}
}

// Debug prints a message shown only when step debug logging is on.
func (r *Runner) Debug(msg string) { r.command("debug", nil, msg) }

// Group starts a collapsible group in the log; EndGroup closes it.
func (r *Runner) Group(title string) { r.command("group", nil, title) }

// EndGroup closes the group Group opened.
func (r *Runner) EndGroup() { r.command("endgroup", nil, "") }

// Print writes text to the log verbatim when it cannot contain a workflow
// command, and otherwise between stop-commands markers with a random token,
// so that untrusted text (titles from an export, a report) printed to the
// log can never run commands such as add-mask or set-env.
func (r *Runner) Print(text string) error {
	if !strings.Contains(text, "::") {
		_, err := io.WriteString(r.out, ensureNewline(text))
		return err
	}
	tok, err := r.token("breakwater-")
	if err != nil {
		return err
	}
	if strings.Contains(text, tok) {
		return errors.New("refusing to print text that contains its stop-commands token")
	}
	_, err = fmt.Fprintf(r.out, "::stop-commands::%s\n%s::%s::\n", tok, ensureNewline(text), tok)
	return err
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// command prints ::name props::data with data and properties escaped the way
// the runner unescapes them, so no message can start a second command.
func (r *Runner) command(name string, props []workflowcmd.Prop, data string) {
	line := workflowcmd.Format(name, props, data)
	r.mu.Lock()
	defer r.mu.Unlock()
	io.WriteString(r.out, line) //nolint:errcheck // the log is best effort
}
