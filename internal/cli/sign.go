package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func newSignCmd() *command {
	o := &release.SignOptions{}
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
	c.flags.StringVar(&o.Key, "key", "", "private key: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.Bundle, "bundle", "", "where to write the bundle (default TARBALL.sigstore.json)")
	addConfigFlag(c.flags, &o.Config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runSign(ctx, env, o, args) }
	return c
}

func runSign(ctx context.Context, env Env, o *release.SignOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("sign needs one TARBALL; see breakwater sign --help")
	}
	o.Tarball = args[0]
	signed, err := release.SignTarball(ctx, env.release(), *o)
	if err != nil {
		return err
	}
	for _, w := range signed.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	_, err = fmt.Fprintln(env.Stdout, signed.Bundle)
	return err
}
