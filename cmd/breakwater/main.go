// Command breakwater is the CLI, the GitHub Action's entry point and the bot.
// Everything lives in internal/cli; main only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/breakwater-dev/breakwater/internal/cli"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3". Without
// it the CLI reports the module's version or the VERSION file's.
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.OSEnv(version))
	stop()
	os.Exit(int(code))
}
