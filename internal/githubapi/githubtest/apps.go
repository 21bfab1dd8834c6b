package githubtest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The fake plays GitHub's part in app authentication: an app signs a JWT
// (RS256, issuer = app ID, at most 10 minutes long) with its private key,
// and trades it at POST /app/installations/{id}/access_tokens for an
// installation token that expires. The fake verifies every JWT against the
// app's registered public key and refuses expired installation tokens with
// 401, as GitHub does.

// appReg is a registered GitHub App.
type appReg struct {
	id       Identity // the app's bot account
	key      *rsa.PublicKey
	installs map[int64][]string // installation ID → repositories (owner/name, lower case)
}

// issued is an installation token the fake handed out.
type issued struct {
	installation int64
	expires      time.Time
}

// RegisterApp registers a GitHub App: its JWTs must verify with pub, and
// its installation tokens act as its bot account (slug[bot], botID).
func (f *Fake) RegisterApp(slug string, appID, botID int64, pub *rsa.PublicKey) Identity {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := AppIdentity(slug, appID, botID)
	if f.apps == nil {
		f.apps = map[int64]*appReg{}
		f.issued = map[string]issued{}
	}
	f.apps[appID] = &appReg{id: id, key: pub, installs: map[int64][]string{}}
	return id
}

// Install installs app appID as installation installationID on the
// repositories (owner/name).
func (f *Fake) Install(appID, installationID int64, repos ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range repos {
		repos[i] = strings.ToLower(r)
	}
	f.apps[appID].installs[installationID] = repos
}

// SetTokenLifetime sets how long the installation tokens handed out from
// now on last (GitHub's: one hour).
func (f *Fake) SetTokenLifetime(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenLifetime = d
}

// TokensIssued counts the installation tokens handed out for installation.
func (f *Fake) TokensIssued(installation int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, is := range f.issued {
		if is.installation == installation {
			n++
		}
	}
	return n
}

// expired reports an installation token past its expiry (f.mu held).
func (f *Fake) expired(tok string) bool {
	is, ok := f.issued[tok]
	return ok && time.Now().After(is.expires)
}

// verifyJWT checks an app's JWT as GitHub does and returns the app, or says
// what is wrong.
func (f *Fake) verifyJWT(req *http.Request) (*appReg, string) {
	a := req.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(a, "Bearer ")
	if !ok {
		return nil, "an app authenticates with 'Authorization: Bearer <JWT>'"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, "the bearer token is not a JWT"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}
	if err := decodeSegment(parts[0], &header); err != nil || header.Alg != "RS256" {
		return nil, fmt.Sprintf("the JWT header is not RS256 (%v)", err)
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, "the JWT claims do not decode: " + err.Error()
	}
	appID, err := strconv.ParseInt(claims.Iss, 10, 64)
	if err != nil {
		return nil, fmt.Sprintf("the JWT's iss %q is not the app ID", claims.Iss)
	}
	app := f.apps[appID]
	if app == nil {
		return nil, fmt.Sprintf("no app %d is registered", appID)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, "the JWT signature does not decode"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(app.key, crypto.SHA256, sum[:], sig); err != nil {
		return nil, "the JWT's signature does not verify with the app's public key"
	}
	now := time.Now().Unix()
	switch {
	case claims.Exp <= now:
		return nil, "the JWT expired"
	case claims.Iat > now+60:
		return nil, "the JWT was issued in the future"
	case claims.Exp-claims.Iat > 600:
		return nil, "the JWT lasts longer than 10 minutes"
	}
	return app, ""
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// appOnly verifies the JWT; on failure it answers 401 and fails the test:
// the code under test must sign correctly.
func (c *call) appOnly() *appReg {
	app, why := c.f.verifyJWT(c.req)
	if app == nil {
		c.f.t.Errorf("fake GitHub: %s %s: %s", c.req.Method, c.req.URL.Path, why)
		c.json(http.StatusUnauthorized, map[string]string{"message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest"})
	}
	return app
}

func getAuthenticatedApp(c *call) {
	if app := c.appOnly(); app != nil {
		c.json(http.StatusOK, appJSON(*app.id.App))
	}
}

func createInstallationToken(c *call) {
	app := c.appOnly()
	if app == nil {
		return
	}
	id, _ := strconv.ParseInt(c.op.Params["installation_id"], 10, 64)
	if _, ok := app.installs[id]; !ok {
		c.notFound("Not Found")
		return
	}
	life := c.f.tokenLifetime
	if life == 0 {
		life = time.Hour
	}
	c.f.nextID++
	tok := fmt.Sprintf("ghs_fake%d_%d", id, c.f.nextID)
	exp := time.Now().Add(life)
	c.f.issued[tok] = issued{installation: id, expires: exp}
	c.f.identities[tok] = app.id
	c.json(http.StatusCreated, map[string]any{
		"token": tok, "expires_at": exp.UTC().Format(time.RFC3339),
		"permissions":          map[string]string{"contents": "write", "pull_requests": "write", "checks": "write", "issues": "write", "metadata": "read"},
		"repository_selection": "selected",
	})
}

func getRepoInstallation(c *call) {
	app := c.appOnly()
	if app == nil {
		return
	}
	full := strings.ToLower(c.op.Params["owner"] + "/" + c.op.Params["repo"])
	for id, repos := range app.installs {
		for _, r := range repos {
			if r == full {
				c.json(http.StatusOK, map[string]any{"id": id, "app_id": app.id.App.ID, "app_slug": app.id.App.Slug,
					"account": map[string]any{"login": c.op.Params["owner"]}})
				return
			}
		}
	}
	c.notFound("Not Found")
}
