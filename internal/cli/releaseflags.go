package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

// What the release commands share: their view of the environment, their
// flags, and how a release is printed.

// release is the release face's view of the process environment.
func (e Env) release() release.Env {
	return release.Env{Getenv: e.Getenv, Dir: e.Dir, Version: e.Version, Log: e.logger()}
}

// stringList is a flag that may be given several times.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// addPolicyFlags declares the verification flags, named as cosign's.
func addPolicyFlags(fs *flag.FlagSet, p *release.PolicyOptions) {
	fs.StringVar(&p.Key, "key", "", "verify with this public key: a PEM `file` or env://VARIABLE")
	fs.StringVar(&p.IdentityRegexp, "certificate-identity-regexp", "", "`regexp` the certificate identity (SAN) must match as a whole")
	fs.StringVar(&p.Issuer, "certificate-oidc-issuer", "", "the exact OIDC `issuer` (default "+signing.GitHubActionsIssuer+")")
	fs.StringVar(&p.TrustedRoot, "trusted-root", "", "Sigstore trusted_root.json `file` (default: fetched through TUF)")
}

// addConfigFlag declares --config.
func addConfigFlag(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "config", "", "configuration `file` (default "+config.DefaultPath+" when it exists)")
}

// printRelease prints what each step did and what a person must do, then
// the warnings; nothing when the release never started.
func printRelease(w io.Writer, r *release.Release) {
	if r == nil {
		return
	}
	io.WriteString(w, release.Text(r))
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}
