package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func newPackageCmd() *command {
	o := &release.PackageOptions{}
	c := &command{
		name:    "package",
		usage:   "[DIR]",
		summary: "Build the reproducible npm tarball of a release",
		help: `Builds <out>/<npm-name-without-scope>-<version>.tgz from the exports under
DIR (default .) and prints its path. The version is --version, else the v-tag
at DIR's commit, else the declared version (version.file in the
configuration). The tarball holds package.json (the scoped, lower-case npm
name, the runtime name in "breakwater.runtimeName", the repository and
publishConfig.registry), breakwater.json (the release manifest with the change
record against the previous v-tag, read from git) and the exports.

The same commit gives the same bytes: entries are sorted with fixed modes and
times, and the manifest is stamped with the commit's time (or
SOURCE_DATE_EPOCH), never the clock.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.Version, "version", "", "the `version` X.Y.Z (default: the tag, else the declared version)")
	c.flags.StringVar(&o.Out, "out", ".", "the `directory` the tarball is written to")
	c.flags.StringVar(&o.Package, "package", "", "the runtime package `name` (default: the configuration's only package)")
	c.flags.StringVar(&o.Repository, "repository", "", "the GitHub repository `owner/name` (default: GITHUB_REPOSITORY, else git's origin)")
	addConfigFlag(c.flags, &o.Config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runPackage(ctx, env, o, args) }
	return c
}

func runPackage(ctx context.Context, env Env, o *release.PackageOptions, args []string) error {
	if len(args) > 1 {
		return errors.New("package takes at most one DIR; see breakwater package --help")
	}
	if len(args) == 1 {
		o.Dir = args[0]
	}
	path, err := release.BuildTarball(ctx, env.release(), *o)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.Stdout, path)
	return err
}
