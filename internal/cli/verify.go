package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/signing"
)

type verifyOptions struct {
	bundle, config string
	policy         policyFlags
}

func newVerifyCmd() *command {
	o := &verifyOptions{}
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
	c.flags.StringVar(&o.bundle, "bundle", "", "the Sigstore bundle (default TARBALL.sigstore.json)")
	addPolicyFlags(c.flags, &o.policy)
	addConfigFlag(c.flags, &o.config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runVerify(ctx, env, o, args) }
	return c
}

func runVerify(ctx context.Context, env Env, o *verifyOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("verify needs one TARBALL; see breakwater verify --help")
	}
	if o.policy.issuer != "" && o.policy.identityRegexp == "" {
		return errors.New("--certificate-oidc-issuer needs --certificate-identity-regexp")
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	data, err := readTarball(env, args[0])
	if err != nil {
		return err
	}
	bundle, err := readBundle(env, args[0], o.bundle)
	if err != nil {
		return err
	}
	p, err := policy(ctx, env, cfg, o.policy)
	if err != nil {
		return err
	}
	// The signed statement must name the package version the tarball says
	// it is; a tarball that cannot be read is checked by its digests alone
	// (an altered one then fails there, with the reason).
	if pkg, err := tarballPackage(data); err == nil {
		p.Package = &pkg
	}
	v, err := signing.Verify(data, bundle, p)
	if errors.Is(err, signing.ErrNotVerified) {
		return &exitError{code: ExitFindings, err: fmt.Errorf("%s does not verify: %w", args[0], err)}
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
