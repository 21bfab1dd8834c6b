package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

type signOptions struct {
	key, bundle, config string
}

func newSignCmd() *command {
	o := &signOptions{}
	c := &command{
		name:    "sign",
		usage:   "TARBALL",
		summary: "Sign a package tarball with Sigstore (a key, or keyless in GitHub Actions)",
		help: `Signs the exact tarball bytes: an in-toto statement naming the package
version (pkg:npm/...) with the tarball's sha512 and sha256, in a Sigstore
bundle written to TARBALL.sigstore.json (or --bundle).

With --key (a PEM ECDSA P-256 private key file, or env://VARIABLE holding
one), or signing.mode key in the configuration, the signature is made
offline and no public log is written. Otherwise it is keyless: an OIDC token
(GitHub Actions with id-token: write, or SIGSTORE_ID_TOKEN) is exchanged at
Fulcio for a short-lived certificate and the signature is logged in Rekor.
See docs/signing.md.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.key, "key", "", "private key: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.bundle, "bundle", "", "where to write the bundle (default TARBALL.sigstore.json)")
	addConfigFlag(c.flags, &o.config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runSign(ctx, env, o, args) }
	return c
}

func runSign(ctx context.Context, env Env, o *signOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("sign needs one TARBALL; see breakwater sign --help")
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	data, err := readTarball(env, args[0])
	if err != nil {
		return err
	}
	pkg, err := tarballPackage(data)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	step, err := signStep(env, cfg, o.key, signing.ProvenanceFromEnv(env.Getenv))
	if err != nil {
		return err
	}
	if step.Key == nil && step.Keyless == nil {
		return errors.New("signing.mode is none in the configuration: give --key to sign anyway")
	}
	r := &release.Release{Package: release.Package{NPM: pkg.Name}, Version: pkg.Version, Tarball: data, Secrets: secrets(env, cfg)}
	if _, err := step.Run(ctx, r); err != nil {
		return err
	}
	out := o.bundle
	if out == "" {
		out = args[0] + ".sigstore.json"
	}
	if err := os.WriteFile(env.path(out), r.Bundle, 0o644); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	_, err = fmt.Fprintln(env.Stdout, out)
	return err
}
