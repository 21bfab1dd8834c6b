package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/breakwater-dev/breakwater/internal/plan"
)

// The upgrade plan has one renderer per form, used by `breakwater plan` and
// by the bot's pull request comment alike.

// PlanJSONVersion is the version of the plan's JSON form
// (schema/plan.schema.json).
const PlanJSONVersion = 1

// PlanOptions say what the plan is about and how much room it has.
type PlanOptions struct {
	// SolutionID is the Tray solution planned for.
	SolutionID string
	// Budget is the most bytes the Markdown may take (0: DefaultBudget);
	// owner lists are cut to fit, never the counts.
	Budget int
	// Verbose lists every instance in the text form.
	Verbose bool
}

// planActions are the actions from most to least demanding: the order the
// renderings list them.
func planActions() []plan.Action {
	out := slices.Clone(plan.Actions[:])
	slices.Reverse(out)
	return out
}

// modeLine says what the plan is based on.
func modeLine(p *plan.Plan) string {
	if p.Mode == plan.ModePrediction {
		return "Prediction from the changes, applied to each instance's current values (the new version is not published yet)"
	}
	return "From Tray's version flags of each instance (the version is published)"
}

// ownerCounts counts the instances of each owner that need action a,
// most instances first.
type ownerCount struct {
	owner string
	n     int
}

func ownersOf(ips []plan.InstancePlan, a plan.Action) []ownerCount {
	m := map[string]int{}
	for _, ip := range ips {
		if ip.Action == a {
			m[ip.Owner]++
		}
	}
	out := make([]ownerCount, 0, len(m))
	for o, n := range m {
		out = append(out, ownerCount{o, n})
	}
	slices.SortFunc(out, func(x, y ownerCount) int { return cmp.Or(cmp.Compare(y.n, x.n), cmp.Compare(x.owner, y.owner)) })
	return out
}

// suppliedState says whether the owner supplied a slot's value.
func suppliedState(ov plan.OwnerValue) string {
	if ov.Supplied {
		return "supplied"
	}
	return "not supplied yet: those upgrades are refused until it is"
}

func total(counts map[plan.Action]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// PlanMarkdown renders the plan for a pull request comment: counts per
// action in a table, the owner-supplied values, then per action the owners
// of the instances folded in <details>. It never exceeds opts.Budget.
func PlanMarkdown(p *plan.Plan, opts PlanOptions) string {
	budget := cmp.Or(opts.Budget, DefaultBudget)
	var head strings.Builder
	n := total(p.Counts)
	head.WriteString("### Upgrade plan")
	if opts.SolutionID != "" {
		head.WriteString(" for Tray solution " + mdCode(opts.SolutionID))
	}
	fmt.Fprintf(&head, "\n\n%s: **%s**", modeLine(p), plural(n, "enabled instance", "enabled instances"))
	if d := total(p.DisabledCounts); d > 0 {
		fmt.Fprintf(&head, ", and %s listed apart", plural(d, "disabled instance", "disabled instances"))
	}
	head.WriteString(".\n\n| action | instances | what it means |\n|---|---:|---|\n")
	for _, a := range planActions() {
		fmt.Fprintf(&head, "| `%s` | %d | %s |\n", a, p.Counts[a], mdTrusted(a.Meaning()))
	}
	if len(p.OwnerValues) > 0 {
		head.WriteString("\n**Values the owner must supply:**\n\n")
		for _, ov := range p.OwnerValues {
			fmt.Fprintf(&head, "- %s slot %s, for %s (%s)\n", ov.Kind, mdCode(ov.ExternalID), plural(ov.Instances, "instance", "instances"), suppliedState(ov))
		}
	}
	if len(p.Disagreements) > 0 {
		fmt.Fprintf(&head, "\n⚠️ **%s** where Tray's flags and the findings disagree (a classifier miss or a Tray quirk, worth a look); the flags decide.\n",
			plural(len(p.Disagreements), "instance", "instances"))
	}
	out := head.String()
	for _, a := range planActions() {
		if a == plan.Nothing || p.Counts[a] == 0 {
			continue
		}
		owners := ownersOf(p.Instances, a)
		open := fmt.Sprintf("\n<details><summary>Owners of the %s <code>%s</code> (%s)</summary>\n\n",
			plural(p.Counts[a], "instance that needs", "instances that need"), a, plural(len(owners), "owner", "owners"))
		const closing = "\n</details>\n"
		if len(out)+len(open)+len(closing)+64 > budget {
			out += fmt.Sprintf("\n_Owners of `%s` instances left out: the comment is full._\n", a)
			continue
		}
		var b strings.Builder
		b.WriteString(open)
		for i, o := range owners {
			line := fmt.Sprintf("- %s: %s\n", mdCode(clip.Runes(o.owner, maxName)), plural(o.n, "instance", "instances"))
			more := fmt.Sprintf("- …and %s\n", plural(len(owners)-i, "more owner", "more owners"))
			if len(out)+b.Len()+len(line)+len(more)+len(closing) > budget {
				b.WriteString(more)
				break
			}
			b.WriteString(line)
		}
		b.WriteString(closing)
		out += b.String()
	}
	return out
}

// PlanText renders the plan for a terminal: counts per action, values the
// owner must supply, the owners per action, disagreements, and with
// Verbose every instance.
func PlanText(w io.Writer, p *plan.Plan, opts PlanOptions) error {
	var b strings.Builder
	b.WriteString("Upgrade plan")
	if opts.SolutionID != "" {
		b.WriteString(" for Tray solution " + termText(opts.SolutionID))
	}
	fmt.Fprintf(&b, "\n  %s\n  %s", modeLine(p), plural(total(p.Counts), "enabled instance", "enabled instances"))
	if d := total(p.DisabledCounts); d > 0 {
		fmt.Fprintf(&b, ", %s listed apart", plural(d, "disabled instance", "disabled instances"))
	}
	b.WriteString("\n\n")
	for _, a := range planActions() {
		fmt.Fprintf(&b, "  %-13s %6d  %s\n", a, p.Counts[a], a.Meaning())
	}
	if len(p.OwnerValues) > 0 {
		b.WriteString("\nVALUES THE OWNER MUST SUPPLY\n")
		for _, ov := range p.OwnerValues {
			fmt.Fprintf(&b, "  %s slot %s: %s, %s\n", ov.Kind, termText(ov.ExternalID), plural(ov.Instances, "instance", "instances"), suppliedState(ov))
		}
	}
	for _, a := range planActions() {
		if a == plan.Nothing || p.Counts[a] == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nOWNERS: %s\n", strings.ToUpper(string(a)))
		for _, o := range ownersOf(p.Instances, a) {
			fmt.Fprintf(&b, "  %s: %s\n", termText(o.owner), plural(o.n, "instance", "instances"))
		}
	}
	if len(p.Disagreements) > 0 {
		fmt.Fprintf(&b, "\nDISAGREEMENTS (%d): the flags decide\n", len(p.Disagreements))
		for _, d := range p.Disagreements {
			fmt.Fprintf(&b, "  %s (%s): flags say %s, %s\n", termText(d.InstanceID), termText(d.Owner), d.Flags, termText(d.Reason))
		}
	}
	if opts.Verbose {
		b.WriteString("\nINSTANCES\n")
		for _, ip := range append(slices.Clone(p.Instances), p.Disabled...) {
			state := ""
			if !ip.Enabled {
				state = " (disabled)"
			}
			fmt.Fprintf(&b, "  %s%s  owner %s  %s: %s\n", termText(ip.ID), state, termText(ip.Owner), ip.Action, termText(ip.Reason))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PlanDocument is the plan's JSON form (schema/plan.schema.json): every
// instance, enabled or not, with its action, the values its upgrade sends
// and why, plus the counts per action.
type PlanDocument struct {
	Version        int                 `json:"version"`
	SolutionID     string              `json:"solutionId,omitempty"`
	Mode           plan.Mode           `json:"mode"`
	Counts         map[plan.Action]int `json:"counts"`
	DisabledCounts map[plan.Action]int `json:"disabledCounts"`
	// Instances are the enabled ones first, then the disabled.
	Instances     []plan.InstancePlan `json:"instances"`
	ConfigWizard  []plan.InstanceRef  `json:"configWizard"`
	AuthResyncs   []plan.Resync       `json:"authResyncs"`
	OwnerValues   []plan.OwnerValue   `json:"ownerValues"`
	Disagreements []plan.Disagreement `json:"disagreements"`
}

// PlanJSON writes the plan's JSON form.
func PlanJSON(w io.Writer, p *plan.Plan, opts PlanOptions) error {
	doc := PlanDocument{
		Version: PlanJSONVersion, SolutionID: opts.SolutionID, Mode: p.Mode,
		Counts: p.Counts, DisabledCounts: p.DisabledCounts,
		Instances:    append(slices.Clone(p.Instances), p.Disabled...),
		ConfigWizard: p.ConfigWizard, AuthResyncs: p.AuthResyncs, OwnerValues: p.OwnerValues, Disagreements: p.Disagreements,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
