package tray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// UpgradeInput moves one instance to the solution's newest published
// version with upgradeSolutionInstance.
type UpgradeInput struct {
	InstanceID string
	// AuthValues re-sync re-created auth slots (the instance's current
	// authId) or fill new hidden ones.
	AuthValues []AuthValue
	// ConfigValues fill new hidden or system config slots; each Value must
	// be JSON (it is sent as JSON inside a string, as Tray wants).
	ConfigValues []ConfigValue
	// AsUser, when set, sends the upgrade with that user's token (minted
	// with the master token through authorize, and cached) instead of the
	// master token. Set it to the instance's owner when Tray requires it.
	AsUser string
	// AtMostOnce sends the upgrade once: a failure after which it may have
	// executed anyway (a timeout, a 5xx, a lost answer) is returned at
	// once instead of resent, so that the caller can read the instance's
	// flags before trying again. 429s are still retried: Tray refused them
	// unexecuted.
	AtMostOnce bool
}

// UpgradeInstance upgrades one instance and returns it as Tray reports it
// afterwards. Tray answers a missing required value with a GraphQL error: a
// permanent *Error carrying Tray's message.
//
// Without AtMostOnce, retries after a timeout or 5xx resend the upgrade: an
// upgrade that Tray executed but whose answer was lost is sent again (at
// least once). Callers that must not repeat one set AtMostOnce and re-read
// the instance's flags before trying again (MayHaveExecuted).
func (c *Client) UpgradeInstance(ctx context.Context, in UpgradeInput) (*Instance, error) {
	op := fmt.Sprintf("upgradeSolutionInstance %q", in.InstanceID)
	if in.InstanceID == "" {
		return nil, &Error{Op: "upgradeSolutionInstance", Kind: KindInput, Err: errors.New("no instance ID")}
	}
	input := map[string]any{"solutionInstanceId": in.InstanceID}
	if len(in.AuthValues) > 0 {
		avs := make([]map[string]any, len(in.AuthValues))
		for i, a := range in.AuthValues {
			if a.ExternalID == "" || a.AuthID == "" {
				return nil, &Error{Op: op, Kind: KindInput, Err: fmt.Errorf("auth value %d needs an externalId and an authId", i)}
			}
			avs[i] = map[string]any{"externalId": a.ExternalID, "authId": a.AuthID}
		}
		input["authValues"] = avs
	}
	if len(in.ConfigValues) > 0 {
		cvs := make([]map[string]any, len(in.ConfigValues))
		for i, cv := range in.ConfigValues {
			if cv.ExternalID == "" {
				return nil, &Error{Op: op, Kind: KindInput, Err: fmt.Errorf("config value %d has no externalId", i)}
			}
			if len(cv.Value) == 0 || !json.Valid(cv.Value) {
				return nil, &Error{Op: op, Kind: KindInput, Err: fmt.Errorf("config value %q is not JSON", cv.ExternalID)}
			}
			cvs[i] = map[string]any{"externalId": cv.ExternalID, "value": string(cv.Value)}
		}
		input["configValues"] = cvs
	}
	vars := map[string]any{"input": input}
	var data struct {
		Upgrade *struct {
			Instance *wireInstance `json:"solutionInstance"`
		} `json:"upgradeSolutionInstance"`
	}
	err := c.asUser(ctx, in.AsUser, func(token string) error {
		return c.graphqlRequest(ctx, request{op: op, url: c.gqlURL, token: token, atMostOnce: in.AtMostOnce}, mutationUpgrade, vars, &data)
	})
	if err != nil {
		return nil, err
	}
	if data.Upgrade == nil || data.Upgrade.Instance == nil {
		return nil, &Error{Op: op, Kind: KindDecode, Err: errors.New("answer lacks upgradeSolutionInstance.solutionInstance")}
	}
	got, err := data.Upgrade.Instance.instance()
	if err != nil {
		return nil, &Error{Op: op, Kind: KindDecode, Err: err}
	}
	return &got, nil
}

// asUser runs call with the master token, or with userID's token. A user
// token Tray rejects (revoked, or expired before we assumed) is dropped and
// minted again once.
func (c *Client) asUser(ctx context.Context, userID string, call func(token string) error) error {
	if userID == "" {
		return call(c.opts.MasterToken)
	}
	for try := 0; ; try++ {
		tok, err := c.userToken(ctx, userID)
		if err != nil {
			return err
		}
		err = call(tok)
		var te *Error
		if try == 0 && errors.As(err, &te) && te.Kind == KindAuth {
			c.forgetUserToken(userID, tok)
			continue
		}
		return err
	}
}

type userToken struct {
	token   string
	renewAt time.Time
}

type mintCall struct {
	done  chan struct{}
	token string
	err   error
}

// userToken returns userID's cached token, or mints one with authorize.
// Concurrent callers for one user share one authorize call.
func (c *Client) userToken(ctx context.Context, userID string) (string, error) {
	c.mu.Lock()
	if t, ok := c.tokens[userID]; ok && c.opts.Now().Before(t.renewAt) {
		c.mu.Unlock()
		return t.token, nil
	}
	if m := c.minting[userID]; m != nil {
		c.mu.Unlock()
		select {
		case <-m.done:
			return m.token, m.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	m := &mintCall{done: make(chan struct{})}
	c.minting[userID] = m
	c.mu.Unlock()

	minted := c.opts.Now()
	m.token, m.err = c.authorize(ctx, userID)
	c.mu.Lock()
	delete(c.minting, userID)
	if m.err == nil {
		// Tray says "about two days" and returns no expiry: assume
		// UserTokenLifetime from when we asked, renew well before.
		c.tokens[userID] = userToken{token: m.token,
			renewAt: minted.Add(c.opts.UserTokenLifetime - c.opts.UserTokenRenewBefore)}
	}
	c.mu.Unlock()
	close(m.done)
	return m.token, m.err
}

func (c *Client) forgetUserToken(userID, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.tokens[userID]; ok && t.token == token {
		delete(c.tokens, userID)
	}
}

func (c *Client) authorize(ctx context.Context, userID string) (string, error) {
	op := fmt.Sprintf("authorize user %q", userID)
	var data struct {
		Authorize *struct {
			AccessToken string `json:"accessToken"`
		} `json:"authorize"`
	}
	vars := map[string]any{"input": map[string]any{"userId": userID}}
	if err := c.graphql(ctx, op, c.opts.MasterToken, mutationAuthorize, vars, &data); err != nil {
		return "", err
	}
	if data.Authorize == nil || data.Authorize.AccessToken == "" {
		return "", &Error{Op: op, Kind: KindDecode, Err: errors.New("answer lacks authorize.accessToken")}
	}
	return data.Authorize.AccessToken, nil
}

// ImportProjectInput lands an exported project in a target project with
// importProject. Tray imports it as a draft; publishing is a separate step.
type ImportProjectInput struct {
	TargetProjectID string
	// ExportedProject is the project export, and Config the optional
	// import configuration; both are JSON documents, sent as strings.
	ExportedProject json.RawMessage
	Config          json.RawMessage
}

// ImportProject imports a project export as a draft.
func (c *Client) ImportProject(ctx context.Context, in ImportProjectInput) error {
	op := fmt.Sprintf("importProject into %q", in.TargetProjectID)
	switch {
	case in.TargetProjectID == "":
		return &Error{Op: "importProject", Kind: KindInput, Err: errors.New("no target project ID")}
	case len(in.ExportedProject) == 0 || !json.Valid(in.ExportedProject):
		return &Error{Op: op, Kind: KindInput, Err: errors.New("the exported project is not JSON")}
	case len(in.Config) > 0 && !json.Valid(in.Config):
		return &Error{Op: op, Kind: KindInput, Err: errors.New("the import configuration is not JSON")}
	}
	input := map[string]any{"targetProjectId": in.TargetProjectID, "exportedProjectJson": string(in.ExportedProject)}
	if len(in.Config) > 0 {
		input["configJson"] = string(in.Config)
	}
	var data struct {
		ImportProject *json.RawMessage `json:"importProject"`
	}
	if err := c.graphql(ctx, op, c.opts.MasterToken, mutationImportProject, map[string]any{"input": input}, &data); err != nil {
		return err
	}
	if data.ImportProject == nil {
		return &Error{Op: op, Kind: KindDecode, Err: errors.New("answer lacks importProject")}
	}
	return nil
}
