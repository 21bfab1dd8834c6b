package cli

import (
	"context"
	"errors"
)

// newActionCmd is the GitHub Action's entry point (placeholder until the
// pull request run lands).
func newActionCmd() *command {
	c := &command{name: "action", summary: "Run as the GitHub Action (reads GITHUB_* and INPUT_* variables)"}
	c.flags = newFlagSet(c)
	c.run = func(ctx context.Context, env Env, args []string) error {
		return errors.New("action: not implemented yet")
	}
	return c
}
