package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

func newVerifyCmd() *command {
	o := &release.VerifyOptions{}
	c := &command{
		name:    "verify",
		usage:   "TARBALL (--key PUB.pem | --certificate-identity-regexp RE --certificate-oidc-issuer ISSUER)",
		summary: "Verify a package tarball against its Sigstore bundle and a policy",
		help: `Checks TARBALL against its bundle (TARBALL.sigstore.json unless --bundle):
signed by the public key, or by a Fulcio certificate whose identity matches
the whole of the regular expression and whose issuer is exactly the given one,
chaining to the trusted root (--trusted-root, or the public-good root fetched
through Sigstore's TUF repository); and the signed statement must name this
package version with the tarball's digests. Without policy flags the
configuration's signing.policy applies.

Exit codes: 0 verified; 1 the bundle does not verify (the reason is
printed); 2 verification could not run (missing file, bad key or regexp).`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.Bundle, "bundle", "", "the Sigstore bundle (default TARBALL.sigstore.json)")
	addPolicyFlags(c.flags, &o.Policy)
	addConfigFlag(c.flags, &o.Config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runVerify(ctx, env, o, args) }
	return c
}

func runVerify(ctx context.Context, env Env, o *release.VerifyOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("verify needs one TARBALL; see breakwater verify --help")
	}
	o.Tarball = args[0]
	v, err := release.VerifyTarball(ctx, env.release(), *o)
	if errors.Is(err, signing.ErrNotVerified) {
		return &exitError{code: ExitFindings, err: fmt.Errorf("%s does not verify: %w", o.Tarball, err)}
	}
	if err != nil {
		return err
	}
	who := "key " + v.KeyHint
	if v.KeyHint == "" {
		who = fmt.Sprintf("%s (issuer %s)", v.SAN, v.Issuer)
	}
	_, err = fmt.Fprintf(env.Stdout, "Verified OK: %s signed by %s, %s\n", v.Subject, who, v.Digests.Integrity())
	return err
}
