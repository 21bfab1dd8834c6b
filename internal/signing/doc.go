// Package signing is Breakwater's Sigstore adapter: it signs a release
// tarball and verifies a tarball against a Sigstore bundle and a policy.
//
// What is signed is an in-toto statement in a DSSE envelope. Its one
// subject is the package URL (pkg:npm/%40owner/name@version) with the
// tarball's sha512 (the digest of npm's dist.integrity) and sha256 (the
// digest GitHub's attestation store indexes). The predicate is SLSA
// provenance v1 in GitHub's own shape when the caller passes the GitHub
// Actions run (so `gh attestation verify` reads it like one of GitHub's),
// and the in-toto release predicate otherwise. docs/signing.md has the
// details.
//
// Two ways to sign:
//   - SignWithKey: a long-lived ECDSA P-256 key (a PEM file, or a KMS key
//     behind KeySigner); offline, no transparency log; the bundle names the
//     key by a hint only.
//   - SignKeyless: an OIDC token (from GitHub Actions, see ActionsToken) is
//     exchanged at Fulcio for a short-lived certificate, the signature is
//     logged in Rekor and, optionally, timestamped by a timestamp authority.
//
// Verify checks a tarball against a bundle under a Policy: a public key, or
// a certificate identity (anchored SAN regexp and exact OIDC issuer) with a
// trusted root. Its errors fall in two classes the CLI maps to exit codes:
// ErrNotVerified (1: the bundle does not verify, with the reason) and
// everything else (2: verification could not run).
//
// Secrets (the OIDC token, the Actions request token, private keys) are
// never logged and are scrubbed from every error this package returns.
package signing
