package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

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
	c.flags.StringVar(&o.policy.key, "key", "", "public key: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.policy.identityRegexp, "certificate-identity-regexp", "", "`regexp` the certificate identity (SAN) must match as a whole")
	c.flags.StringVar(&o.policy.issuer, "certificate-oidc-issuer", "", "the exact OIDC `issuer` (default "+signing.GitHubActionsIssuer+")")
	c.flags.StringVar(&o.policy.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json `file` (default: fetched through TUF)")
	c.flags.StringVar(&o.config, "config", "", "configuration `file` (default .github/breakwater.yml when it exists)")
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
	data, err := os.ReadFile(env.path(args[0]))
	if err != nil {
		return fmt.Errorf("reading the tarball: %w", err)
	}
	bundlePath := o.bundle
	if bundlePath == "" {
		bundlePath = args[0] + ".sigstore.json"
	}
	bundle, err := os.ReadFile(env.path(bundlePath))
	if err != nil {
		return fmt.Errorf("reading the bundle: %w", err)
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
