package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

func newExplainCmd() *command {
	c := &command{
		name:    "explain",
		usage:   "RULE",
		summary: "Explain a rule: what it means, why it matters, what to do",
		help:    `RULE is a rule ID such as tray/auth-scopes-added. "breakwater rules" lists them all.`,
	}
	c.flags = newFlagSet(c)
	c.run = func(ctx context.Context, env Env, args []string) error {
		if len(args) != 1 {
			return errors.New("explain needs one rule ID, e.g. breakwater explain tray/auth-scopes-added")
		}
		cat := rules.Default()
		r, ok := cat.Rule(args[0])
		if !ok {
			return fmt.Errorf("no rule %q%s; breakwater rules lists them all", args[0], suggest(cat, args[0]))
		}
		return explain(env.Stdout, r)
	}
	return c
}

func explain(w io.Writer, r change.Rule) error {
	_, err := fmt.Fprintf(w, `%s

  Severity:  %s
  Category:  %s
  Upgrade:   %s (%s)

Fires when %s.

Why it matters
  %s

What to do
  %s
`, r.ID, r.Severity, r.Category, r.Upgrade, r.Upgrade.Meaning(), r.Condition(), wrap(r.Why, 76, "  "), wrap(r.Fix, 76, "  "))
	return err
}

// suggest names rules that share the ID's last part or family.
func suggest(cat *rules.Catalogue, id string) string {
	var near []string
	name := id[strings.LastIndex(id, "/")+1:]
	for _, r := range cat.All() {
		if strings.Contains(r.ID, name) && name != "" {
			near = append(near, r.ID)
		}
	}
	if len(near) == 0 || len(near) > 4 {
		return ""
	}
	return " (did you mean " + strings.Join(near, ", ") + "?)"
}

func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if n+1+len(word) > width {
				b.WriteString("\n" + indent)
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

func newRulesCmd() *command {
	var markdown bool
	c := &command{name: "rules", summary: "List every rule with its severity, category and upgrade consequence"}
	c.flags = newFlagSet(c)
	c.flags.BoolVar(&markdown, "markdown", false, "print the rule reference as Markdown (docs/rules.md)")
	c.run = func(ctx context.Context, env Env, args []string) error {
		cat := rules.Default()
		if markdown {
			_, err := io.WriteString(env.Stdout, cat.Reference())
			return err
		}
		all := cat.All()
		sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSEVERITY\tCATEGORY\tUPGRADE")
		for _, r := range all {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Category, r.Upgrade)
		}
		return tw.Flush()
	}
	return c
}
