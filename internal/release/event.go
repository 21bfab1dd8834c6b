package release

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The Action's inputs and outputs of the release side (action.yml).
const (
	// InputToken and InputConfig are the inputs the pull request run reads
	// too.
	InputToken  = "token"
	InputConfig = "config"

	InputPackage     = "package"     // the runtime package to release, of several configured
	InputEnvironment = "environment" // the environments to deploy to, or the one to roll back
	InputSigningKey  = "signing-key" // a PEM key, as env://VARIABLE, for key-based signing
	// InputAllowAuthBreak is the workflow_dispatch input (a boolean) by
	// which a person rolls back across an auth-breaking change, after
	// reading the findings a refused rollback listed.
	InputAllowAuthBreak = "allow-auth-break"

	OutputVersion      = "version"
	OutputPackage      = "package"
	OutputIntegrity    = "integrity"
	OutputBundleDigest = "bundle-digest"
	OutputPublished    = "published"
	OutputDeployed     = "deployed"
)

// AllowAuthBreakFlag is the rollback command's flag with the meaning of
// InputAllowAuthBreak.
const AllowAuthBreakFlag = "--allow-auth-break"

// Kinds of Action runs the release face handles.
const (
	EventRelease  = "release"  // a published GitHub release, or a pushed v-tag
	EventRollback = "rollback" // workflow_dispatch with a version input
)

// Event is what the release face reads of the webhook payload that started
// the run.
type Event struct {
	Kind string
	// Tag is the release tag ("v1.17.0"); Commit its commit when the
	// payload says (a tag push), else "" (looked up from the tag).
	Tag    string
	Commit string
	// Version and Environment are the rollback inputs, and AllowAuthBreak
	// a person's decision to roll back across auth-breaking changes.
	Version, Environment string
	AllowAuthBreak       bool
	// Visibility is the repository's: public, private or internal ("" when
	// the payload does not say); keyless signing warns for non-public ones.
	Visibility string
}

// ParseEvent reads the payload of a release (published), push (of a v-tag)
// or workflow_dispatch (with inputs version and, optionally, environment)
// event. Anything else is an error saying which events it runs on.
func ParseEvent(name string, payload []byte) (*Event, error) {
	var p struct {
		Action  string `json:"action"`
		Ref     string `json:"ref"`
		After   string `json:"after"`
		Deleted bool   `json:"deleted"`
		Release *struct {
			TagName string `json:"tag_name"`
			Draft   bool   `json:"draft"`
		} `json:"release"`
		Inputs     map[string]any `json:"inputs"`
		Repository *struct {
			Private    bool   `json:"private"`
			Visibility string `json:"visibility"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("decoding the %s event payload: %w", name, err)
	}
	ev := &Event{}
	if p.Repository != nil {
		ev.Visibility = p.Repository.Visibility
		if ev.Visibility == "" && p.Repository.Private {
			ev.Visibility = "private"
		}
	}
	switch name {
	case "release":
		if p.Action != "published" {
			return nil, fmt.Errorf("the release event's action is %q: breakwater releases on `release: types: [published]`", p.Action)
		}
		if p.Release == nil || p.Release.TagName == "" {
			return nil, fmt.Errorf("the release event payload names no tag")
		}
		ev.Kind, ev.Tag = EventRelease, p.Release.TagName
	case "push":
		tag, ok := strings.CutPrefix(p.Ref, "refs/tags/")
		switch {
		case !ok || !strings.HasPrefix(tag, "v"):
			return nil, fmt.Errorf("the push is of %q: breakwater releases on pushed tags v* (`push: tags: [\"v*\"]`)", p.Ref)
		case p.Deleted:
			return nil, fmt.Errorf("the push deletes tag %s: nothing to release", tag)
		}
		ev.Kind, ev.Tag, ev.Commit = EventRelease, tag, p.After
	case "workflow_dispatch":
		v, _ := p.Inputs["version"].(string)
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("the workflow_dispatch run has no version input: breakwater rolls back to the version given (inputs: version, environment)")
		}
		env, _ := p.Inputs["environment"].(string)
		ev.Kind, ev.Version, ev.Environment = EventRollback, strings.TrimPrefix(v, "v"), strings.TrimSpace(env)
		// A boolean input arrives as true, or as "true" from older runners
		// and the REST API.
		switch allow := p.Inputs[InputAllowAuthBreak].(type) {
		case bool:
			ev.AllowAuthBreak = allow
		case string:
			ev.AllowAuthBreak = strings.EqualFold(strings.TrimSpace(allow), "true")
		}
		ev.Tag = "v" + ev.Version
	default:
		return nil, fmt.Errorf("breakwater's release runs on release (published), push of v* tags and workflow_dispatch events, not %q", name)
	}
	return ev, nil
}
