package signing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenSource gives the OIDC identity token Fulcio exchanges for a
// certificate. The token is a secret: it never appears in errors or logs.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a token obtained elsewhere (e.g. SIGSTORE_ID_TOKEN).
type StaticToken string

// Token returns the token.
func (s StaticToken) Token(context.Context) (string, error) {
	if strings.TrimSpace(string(s)) == "" {
		return "", cannotRun("the OIDC token is empty")
	}
	return string(s), nil
}

// String keeps the token out of anything that prints a StaticToken.
func (s StaticToken) String() string { return "signing.StaticToken([redacted])" }

// GoString keeps the token out of %#v.
func (s StaticToken) GoString() string { return s.String() }

// SigstoreAudience is the audience Fulcio's public-good instance accepts.
const SigstoreAudience = "sigstore"

// ActionsToken requests an OIDC token from the GitHub Actions runtime. The
// caller passes the two values the runner gives a job with
// `permissions: id-token: write`; nothing is read from the environment here.
type ActionsToken struct {
	RequestURL   string       // ACTIONS_ID_TOKEN_REQUEST_URL
	RequestToken string       // ACTIONS_ID_TOKEN_REQUEST_TOKEN (secret)
	Audience     string       // default SigstoreAudience
	Client       *http.Client // default: a client with a 30 s timeout
}

// String keeps the request token out of anything that prints an ActionsToken.
func (a ActionsToken) String() string {
	return fmt.Sprintf("signing.ActionsToken{RequestURL: %q, RequestToken: [redacted]}", a.RequestURL)
}

// GoString keeps the request token out of %#v.
func (a ActionsToken) GoString() string { return a.String() }

// Token asks the Actions runtime for an ID token with the audience.
func (a ActionsToken) Token(ctx context.Context) (string, error) {
	tok, err := a.token(ctx)
	return tok, redact(err, a.RequestToken)
}

func (a ActionsToken) token(ctx context.Context) (string, error) {
	if a.RequestURL == "" || a.RequestToken == "" {
		return "", cannotRun("no GitHub Actions OIDC token can be requested (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are unset): " +
			"give the job `permissions: id-token: write` for keyless signing, or sign with a key")
	}
	u, err := url.Parse(a.RequestURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", cannotRun("ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL")
	}
	aud := a.Audience
	if aud == "" {
		aud = SigstoreAudience
	}
	q := u.Query()
	q.Set("audience", aud)
	u.RawQuery = q.Encode()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", cannotRun("building the OIDC token request: %w", err)
	}
	req.Header.Set("Authorization", "bearer "+a.RequestToken)
	req.Header.Set("Accept", "application/json")
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", cannotRun("requesting the OIDC token from the Actions runtime (%s): %w", u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", cannotRun("reading the OIDC token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", cannotRun("the Actions runtime refused the OIDC token request: %s", resp.Status)
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Value == "" {
		return "", cannotRun("the Actions runtime's OIDC token response holds no token")
	}
	if _, err := parseClaims(out.Value); err != nil {
		return "", cannotRun("the Actions runtime returned a token that is not a JWT: %w", err)
	}
	return out.Value, nil
}

// claims are the ID token claims used to word the public-log warning. They
// are read without verification: Fulcio verifies the token, and nothing
// here trusts them for a security decision.
type claims struct {
	Issuer               string `json:"iss"`
	Subject              string `json:"sub"`
	Repository           string `json:"repository"`
	RepositoryVisibility string `json:"repository_visibility"`
	JobWorkflowRef       string `json:"job_workflow_ref"`
}

// parseClaims decodes a JWT's payload. Its errors never quote the token.
func parseClaims(token string) (claims, error) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("a JWT has 3 dot-separated parts, this has %d", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, fmt.Errorf("the JWT payload is not base64url")
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("the JWT payload is not a JSON object of claims")
	}
	return c, nil
}
