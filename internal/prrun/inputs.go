package prrun

import (
	"fmt"
	"sort"
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
}

// labelKeys are the keys of the label-names input, as in the configuration.
var labelKeys = map[string]func(*config.Labels) *string{
	"breaking":        func(l *config.Labels) *string { return &l.Breaking },
	"auth":            func(l *config.Labels) *string { return &l.Auth },
	"config":          func(l *config.Labels) *string { return &l.Config },
	"collection-role": func(l *config.Labels) *string { return &l.CollectionRole },
	"workflow":        func(l *config.Labels) *string { return &l.Workflow },
	"accepted":        func(l *config.Labels) *string { return &l.Accepted },
	"semver-major":    func(l *config.Labels) *string { return &l.SemverMajor },
	"semver-minor":    func(l *config.Labels) *string { return &l.SemverMinor },
	"semver-patch":    func(l *config.Labels) *string { return &l.SemverPatch },
}

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
	in.labelNames, err = parseLabelNames(rn.Input(InputLabelNames))
	return in, err
}

// parseLabelNames reads lines of key=name (or key: name).
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
		if labelKeys[key] == nil {
			keys := make([]string, 0, len(labelKeys))
			for k := range labelKeys {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return nil, fmt.Errorf("input label-names: unknown key %q (known: %s)", key, strings.Join(keys, ", "))
		}
		if name == "" || len(name) > 50 {
			return nil, fmt.Errorf("input label-names: the name for %q must be 1 to 50 characters", key)
		}
		out[key] = name
	}
	return out, nil
}

// apply lets the inputs override the configuration.
func (in inputs) apply(c *config.Config) {
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
		*labelKeys[k](&c.Labels) = v
	}
}
