package cli

import (
	"context"
	"fmt"
)

func newVersionCmd() *command {
	c := &command{name: "version", summary: "Print the version of breakwater"}
	c.flags = newFlagSet(c)
	c.run = func(ctx context.Context, env Env, args []string) error {
		_, err := fmt.Fprintf(env.Stdout, "breakwater %s\n", env.Version)
		return err
	}
	return c
}
