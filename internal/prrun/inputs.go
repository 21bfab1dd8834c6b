package prrun

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
)

// Input names, as in action.yml.
const (
	InputToken      = "token"
	InputConfig     = "config"
	InputPaths      = "paths"
	InputFailOn     = "fail-on"
	InputComment    = "comment"
	InputLabelNames = "label-names"
	InputCheckRun   = "check-run"
	InputIdentity   = "identity"
)

// inputs are the action's inputs; empty ones leave the configuration alone.
type inputs struct {
	configPath string
	configSet  bool
	paths      []string
	failOn     change.FailOn
	comment    *bool
	checkRun   bool
	labelNames map[string]string // label-names key → name
	// identity is the account the token acts as, when the user says so.
	identity string
}

// loginPattern is a GitHub login, or an app's bot account (slug[bot]).
var loginPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[bot\])?$`)

func readInputs(rn *actions.Runner) (inputs, error) {
	in := inputs{configPath: rn.Input(InputConfig), paths: rn.ListInput(InputPaths)}
	in.configSet = in.configPath != "" && in.configPath != config.DefaultPath
	if s := rn.Input(InputFailOn); s != "" {
		var err error
		if in.failOn, err = change.ParseFailOn(s); err != nil {
			return in, fmt.Errorf("input %w", err)
		}
	}
	if rn.Input(InputComment) != "" {
		c, err := rn.BoolInput(InputComment, true)
		if err != nil {
			return in, err
		}
		in.comment = &c
	}
	var err error
	if in.checkRun, err = rn.BoolInput(InputCheckRun, true); err != nil {
		return in, err
	}
	if in.identity = rn.Input(InputIdentity); in.identity != "" && !loginPattern.MatchString(in.identity) {
		return in, fmt.Errorf("input identity is %q: want the login the token acts as, e.g. github-actions[bot], my-app[bot] or octocat", in.identity)
	}
	in.labelNames, err = parseLabelNames(rn.Input(InputLabelNames))
	return in, err
}

// parseLabelNames reads lines of key=name (or key: name); the names are
// checked once applied, with the configuration's (see apply).
func parseLabelNames(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("input label-names: %q is not key=name", line)
		}
		key, name := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		if new(config.Labels).Name(key) == nil {
			return nil, fmt.Errorf("input label-names: unknown key %q (known: %s)", key, strings.Join(config.LabelKeys(), ", "))
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("input label-names: %q is given twice", key)
		}
		out[key] = name
	}
	return out, nil
}

// apply lets the inputs override the configuration. The label names that
// result are checked exactly as the configuration file's are: a name the
// input gives must not clash with any other, so the acceptance label can
// never be one that Breakwater applies itself.
func (in inputs) apply(c *config.Config) error {
	if len(in.paths) > 0 {
		c.Artifacts = []config.Artifact{{Paths: in.paths, Format: config.FormatAuto}}
	}
	if in.failOn != "" {
		c.FailOn = in.failOn
	}
	if in.comment != nil {
		c.Comment = *in.comment
	}
	for k, v := range in.labelNames {
		*c.Labels.Name(k) = v
	}
	source := func(key string) (string, bool) {
		if _, ok := in.labelNames[key]; ok {
			return "input label-names " + key, true
		}
		return "labels." + key, false
	}
	var msgs []string
	for _, p := range config.CheckLabels(c.Labels, source) {
		msgs = append(msgs, p.Message)
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}
