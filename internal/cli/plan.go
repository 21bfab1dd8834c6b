package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/trayplan"
)

// Environment variables of the Tray connection, the bot's.
const (
	EnvTrayToken = bot.EnvTrayToken
	EnvTrayURL   = bot.EnvTrayURL
)

type planOptions struct {
	solutionID string
	trayURL    string
	format     string
	config     string
	published  bool
	verbose    bool
}

func newPlanCmd() *command {
	o := &planOptions{}
	c := &command{
		name:    "plan",
		usage:   "[BASE HEAD]",
		summary: "Plan the upgrade of a Tray solution's deployed instances (read-only)",
		help: `Reads every instance of the Tray solution (Embedded GraphQL API, master
token from ` + EnvTrayToken + `) and says what each one needs: nothing, lazy (Tray
moves it by itself), auth-resync, system-input (the owner supplies values) or
user-input (the end user must run the Config Wizard). Nothing is changed.

Without BASE and HEAD the plan follows Tray's version flags alone: run it
after publishing. With BASE and HEAD (files or directories, as for diff)
the changes between them predict each instance's action from its current
values: run it before publishing. --published says HEAD is published
already: the flags decide, and where they disagree with the changes it is
reported.

Formats: text, markdown (as the bot's pull request comment shows it), json
(every instance with id, owner, enabled, action, authValues, configValues,
reason, and the counts per action; schema/plan.schema.json).`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.solutionID, "solution-id", "", "the Tray solution `ID` (default: tray.solution-id of the configuration)")
	c.flags.StringVar(&o.trayURL, "tray-url", "", "Tray's Embedded GraphQL `URL` (default $"+EnvTrayURL+", else https://tray.io/graphql)")
	c.flags.StringVar(&o.format, "format", "text", "plan `format`: text, markdown or json")
	c.flags.StringVar(&o.config, "config", "", "configuration `file` (default .github/breakwater.yml when it exists)")
	c.flags.BoolVar(&o.published, "published", false, "HEAD is published already: Tray's flags decide (with BASE and HEAD)")
	c.flags.BoolVar(&o.verbose, "verbose", false, "list every instance in the text plan")
	c.run = func(ctx context.Context, env Env, args []string) error { return runPlan(ctx, env, o, args) }
	return c
}

func runPlan(ctx context.Context, env Env, o *planOptions, args []string) error {
	if len(args) != 0 && len(args) != 2 {
		return errors.New("plan takes BASE and HEAD, or nothing (to plan from Tray's flags alone); see breakwater plan --help")
	}
	if o.published && len(args) == 0 {
		return errors.New("--published needs BASE and HEAD: without them the flags decide anyway")
	}
	var render func(w io.Writer, p *plan.Plan, opts report.PlanOptions) error
	switch o.format {
	case "text":
		render = report.PlanText
	case "json":
		render = report.PlanJSON
	case "markdown":
		render = func(w io.Writer, p *plan.Plan, opts report.PlanOptions) error {
			_, err := io.WriteString(w, report.PlanMarkdown(p, opts))
			return err
		}
	default:
		return fmt.Errorf("unknown --format %q: want text, markdown or json", o.format)
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	if o.solutionID == "" {
		o.solutionID = cfg.Tray.SolutionID
	}
	if o.solutionID == "" {
		return errors.New("no Tray solution: pass --solution-id ID, or set tray.solution-id in the configuration")
	}
	token := env.Getenv(EnvTrayToken)
	if token == "" {
		return fmt.Errorf("no Tray master token: set %s (the Embedded master token from the Tray UI)", EnvTrayToken)
	}
	if o.trayURL == "" {
		o.trayURL = env.Getenv(EnvTrayURL)
	}
	tc, err := tray.New(tray.Options{MasterToken: token, GraphQLURL: o.trayURL, Logger: env.logger()})
	if err != nil {
		return err
	}
	req := trayplan.Request{SolutionID: o.solutionID, Published: o.published}
	if len(args) == 2 {
		if req.Report, err = compareForPlan(ctx, env, cfg, args); err != nil {
			return err
		}
	}
	p, err := trayplan.Build(ctx, tc, req)
	if err != nil {
		return err
	}
	if err := render(env.Stdout, p, report.PlanOptions{SolutionID: o.solutionID, Verbose: o.verbose}); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	return nil
}

// compareForPlan diffs BASE and HEAD as `diff` does.
func compareForPlan(ctx context.Context, env Env, cfg *config.Config, args []string) (*change.Report, error) {
	eng, err := engine.New()
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckRules(eng.Rules().Has); err != nil {
		return nil, err
	}
	base, head, pair, err := trees(ctx, env, &diffOptions{}, args)
	if err != nil {
		return nil, err
	}
	res, err := eng.Run(ctx, engine.Request{Base: base, Head: head, Config: cfg, Pair: pair, RequireArtifacts: true})
	if err != nil {
		return nil, err
	}
	return res.Report, nil
}
