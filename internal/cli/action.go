package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prrun"
	"github.com/breakwater-dev/breakwater/internal/release"
)

// newActionCmd is the GitHub Action's entry point: action.yml runs the
// image with this command, and the runner passes inputs and context in
// INPUT_* and GITHUB_* variables.
func newActionCmd() *command {
	c := &command{
		name:    "action",
		summary: "Run as the GitHub Action (reads GITHUB_* and INPUT_* variables)",
		help: `On release (published) and pushed v* tags it runs the release (see
breakwater release --help); on workflow_dispatch with a version input, a
rollback (see breakwater rollback --help; the dispatch inputs are version,
environment and allow-auth-break). Release inputs: INPUT_PACKAGE,
INPUT_ENVIRONMENT, INPUT_SIGNING-KEY.

On pull requests it runs the pull request check: reads the pull_request
event (GITHUB_EVENT_PATH) and the inputs (INPUT_TOKEN, INPUT_CONFIG,
INPUT_PATHS, INPUT_FAIL-ON, INPUT_COMMENT, INPUT_LABEL-NAMES,
INPUT_CHECK-RUN, INPUT_IDENTITY), diffs the export files the pull request
changes against its merge base, and writes labels, the sticky comment, the
check run, the job summary and the step outputs. Both commits are read from
the git checkout in GITHUB_WORKSPACE when it has them (or can fetch them),
else as one archive per side through the GitHub API.
See action.yml.`,
	}
	c.flags = newFlagSet(c)
	c.run = func(ctx context.Context, env Env, args []string) error {
		runner := actions.New(env.Getenv, env.Stdout)
		switch env.Getenv("GITHUB_EVENT_NAME") {
		case "release", "push", "workflow_dispatch":
			if _, err := release.RunAction(ctx, env.release(), runner); err != nil {
				runner.Error(err.Error())
				return errors.New(strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error()))
			}
			return nil
		}
		eng, err := engine.New()
		if err != nil {
			return err
		}
		res, err := prrun.Run(ctx, prrun.Env{
			Runner: runner,
			Engine: eng,
			NewGitHub: func(apiURL, token string) (prrun.GitHub, error) {
				return githubapi.New(apiURL, token, githubapi.WithUserAgent("breakwater/"+env.Version))
			},
		})
		if err != nil {
			// The runner reads commands from stderr too: the message may
			// quote file names from the pull request, so keep it on the line
			// that starts with "breakwater:".
			runner.Error(err.Error())
			return errors.New(strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error()))
		}
		if res.Failed {
			return errFindings
		}
		return nil
	}
	return c
}
