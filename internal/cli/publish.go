package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func newPublishCmd() *command {
	o := &release.PublishOptions{}
	c := &command{
		name:    "publish",
		usage:   "TARBALL --registry URL",
		summary: "Publish a package tarball to an npm registry (GitHub Packages)",
		help: `Publishes TARBALL through the npm registry protocol, as npm publish does,
with the token in NODE_AUTH_TOKEN (else GITHUB_TOKEN). Idempotent: the same
version with the same bytes already there is reported and left alone; the
same version with other bytes is an error (versions are immutable). The
tarball is read back through the registry and its integrity checked.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.Registry, "registry", "", "the registry `URL`, e.g. https://npm.pkg.github.com")
	c.flags.StringVar(&o.Tag, "tag", "", "the dist-`tag` (default: latest, unless a pre-release)")
	c.run = func(ctx context.Context, env Env, args []string) error { return runPublish(ctx, env, o, args) }
	return c
}

func runPublish(ctx context.Context, env Env, o *release.PublishOptions, args []string) error {
	if len(args) != 1 || o.Registry == "" {
		return errors.New("publish needs one TARBALL and --registry URL; see breakwater publish --help")
	}
	o.Tarball = args[0]
	res, err := release.PublishTarball(ctx, env.release(), *o)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s@%s %s: %s (%s)\n", res.Name, res.Version, res.Status, res.TarballURL, res.Integrity)
	return err
}
