package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmregistry"
)

type publishOptions struct {
	registry, tag string
}

func newPublishCmd() *command {
	o := &publishOptions{}
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
	c.flags.StringVar(&o.registry, "registry", "", "the registry `URL`, e.g. https://npm.pkg.github.com")
	c.flags.StringVar(&o.tag, "tag", "", "the dist-`tag` (default: latest, unless a pre-release)")
	c.run = func(ctx context.Context, env Env, args []string) error { return runPublish(ctx, env, o, args) }
	return c
}

func runPublish(ctx context.Context, env Env, o *publishOptions, args []string) error {
	if len(args) != 1 || o.registry == "" {
		return errors.New("publish needs one TARBALL and --registry URL; see breakwater publish --help")
	}
	token := env.Getenv("NODE_AUTH_TOKEN")
	if token == "" {
		token = env.Getenv("GITHUB_TOKEN")
	}
	if token == "" {
		return errors.New("no registry token: set NODE_AUTH_TOKEN (or GITHUB_TOKEN)")
	}
	data, err := readTarball(env, args[0])
	if err != nil {
		return err
	}
	c, err := npmpkg.ReadBytes(data, npmpkg.Limits{})
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	client, err := npmregistry.New(o.registry, token, npmregistry.Options{Logger: env.logger()})
	if err != nil {
		return err
	}
	res, err := client.Publish(ctx, data, c.PackageJSON, npmregistry.PublishOptions{Tag: o.tag})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s@%s %s: %s (%s)\n", res.Name, res.Version, res.Status, res.TarballURL, res.Integrity)
	return err
}
