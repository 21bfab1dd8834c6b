package tray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"
)

// Instance is a solution instance as Tray reports it.
type Instance struct {
	ID      string
	Name    string
	Owner   string // the end user's ID
	Enabled bool
	Created time.Time
	Flags   VersionFlags
	// AuthValues and ConfigValues are what the instance holds now.
	AuthValues   []AuthValue
	ConfigValues []ConfigValue
}

// VersionFlags are solutionVersionFlags: whether a newer published version
// exists and what moving to it needs.
type VersionFlags struct {
	HasNewerVersion     bool `json:"hasNewerVersion"`
	RequiresUserInput   bool `json:"requiresUserInputToUpdateVersion"`
	RequiresSystemInput bool `json:"requiresSystemInputToUpdateVersion"`
}

// AuthValue is an auth slot's value: the authentication's ID.
type AuthValue struct {
	ExternalID string `json:"externalId"`
	AuthID     string `json:"authId"`
}

// ConfigValue is a config slot's value as raw JSON ("\"a@b.c\"", "7",
// "[1,7,4]"). Tray's Json scalar takes it as JSON inside a string; the
// client does that encoding when it sends one.
type ConfigValue struct {
	ExternalID string          `json:"externalId"`
	Value      json.RawMessage `json:"value"`
}

// InstanceFilter selects instances. SolutionID is required: a plan or a
// rollout is about one solution, and the master token sees every instance
// of the account.
type InstanceFilter struct {
	SolutionID string
	Owner      string // optional: one end user's instances
	ID         string // optional: one instance (to re-read its flags)
}

// Page is one page of instances.
type Page struct {
	Instances   []Instance
	TotalCount  int // all instances matching the filter
	HasNextPage bool
	EndCursor   string // pass as after to get the next page
}

type wireInstance struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Owner        string        `json:"owner"`
	Enabled      bool          `json:"enabled"`
	Created      string        `json:"created"`
	Flags        *VersionFlags `json:"solutionVersionFlags"`
	AuthValues   []AuthValue   `json:"authValues"`
	ConfigValues []ConfigValue `json:"configValues"`
}

func (w *wireInstance) instance() (Instance, error) {
	if w.ID == "" {
		return Instance{}, errors.New("an instance has no id")
	}
	if w.Flags == nil {
		return Instance{}, fmt.Errorf("instance %q has no solutionVersionFlags", w.ID)
	}
	in := Instance{ID: w.ID, Name: w.Name, Owner: w.Owner, Enabled: w.Enabled, Flags: *w.Flags,
		AuthValues: w.AuthValues, ConfigValues: w.ConfigValues}
	if w.Created != "" {
		t, err := time.Parse(time.RFC3339Nano, w.Created)
		if err != nil {
			return Instance{}, fmt.Errorf("instance %q: created %q is not an RFC 3339 time", w.ID, w.Created)
		}
		in.Created = t
	}
	for i, cv := range in.ConfigValues {
		if len(cv.Value) == 0 { // absent member; null stays "null"
			in.ConfigValues[i].Value = json.RawMessage("null")
		}
	}
	return in, nil
}

// InstancesPage reads one page of at most first instances (PageSize when
// first <= 0), after the cursor after ("" for the first page).
func (c *Client) InstancesPage(ctx context.Context, f InstanceFilter, after string, first int) (*Page, error) {
	op := fmt.Sprintf("solutionInstances of solution %q", f.SolutionID)
	if f.SolutionID == "" {
		return nil, &Error{Op: "solutionInstances", Kind: KindInput, Err: errors.New("no solution ID to filter by")}
	}
	if first <= 0 {
		first = c.opts.PageSize
	}
	criteria := map[string]any{"solutionId": f.SolutionID}
	if f.Owner != "" {
		criteria["owner"] = f.Owner
	}
	if f.ID != "" {
		criteria["id"] = f.ID
	}
	vars := map[string]any{"criteria": criteria, "first": first}
	if after != "" {
		vars["after"] = after
	}
	var data struct {
		Viewer *struct {
			SolutionInstances *struct {
				TotalCount int `json:"totalCount"`
				PageInfo   struct {
					HasNextPage bool    `json:"hasNextPage"`
					EndCursor   *string `json:"endCursor"`
				} `json:"pageInfo"`
				Edges []struct {
					Node *wireInstance `json:"node"`
				} `json:"edges"`
			} `json:"solutionInstances"`
		} `json:"viewer"`
	}
	if err := c.graphql(ctx, op, c.opts.MasterToken, querySolutionInstances, vars, &data); err != nil {
		return nil, err
	}
	if data.Viewer == nil || data.Viewer.SolutionInstances == nil {
		return nil, &Error{Op: op, Kind: KindDecode, Err: errors.New("answer lacks viewer.solutionInstances")}
	}
	conn := data.Viewer.SolutionInstances
	p := &Page{TotalCount: conn.TotalCount, HasNextPage: conn.PageInfo.HasNextPage, Instances: make([]Instance, 0, len(conn.Edges))}
	if conn.PageInfo.EndCursor != nil {
		p.EndCursor = *conn.PageInfo.EndCursor
	}
	for _, e := range conn.Edges {
		if e.Node == nil {
			return nil, &Error{Op: op, Kind: KindDecode, Err: errors.New("an edge has no node")}
		}
		in, err := e.Node.instance()
		if err != nil {
			return nil, &Error{Op: op, Kind: KindDecode, Err: err}
		}
		p.Instances = append(p.Instances, in)
	}
	if p.HasNextPage && (p.EndCursor == "" || p.EndCursor == after) {
		return nil, &Error{Op: op, Kind: KindDecode, Err: fmt.Errorf("pagination does not advance (endCursor %q after %q)", p.EndCursor, after)}
	}
	return p, nil
}

// Instances yields every instance matching f, page by page, holding one
// page at a time. After an error it yields nothing more.
func (c *Client) Instances(ctx context.Context, f InstanceFilter) iter.Seq2[Instance, error] {
	return func(yield func(Instance, error) bool) {
		after := ""
		for {
			p, err := c.InstancesPage(ctx, f, after, 0)
			if err != nil {
				yield(Instance{}, err)
				return
			}
			for _, in := range p.Instances {
				if !yield(in, nil) {
					return
				}
			}
			if !p.HasNextPage {
				return
			}
			after = p.EndCursor
		}
	}
}

// ListInstances reads every instance matching f.
func (c *Client) ListInstances(ctx context.Context, f InstanceFilter) ([]Instance, error) {
	var all []Instance
	for in, err := range c.Instances(ctx, f) {
		if err != nil {
			return nil, err
		}
		all = append(all, in)
	}
	return all, nil
}

// Instance reads one instance of a solution by ID: its flags and values
// now. found is false when Tray knows no such instance.
func (c *Client) Instance(ctx context.Context, solutionID, id string) (in Instance, found bool, err error) {
	if id == "" {
		return Instance{}, false, &Error{Op: "solutionInstances", Kind: KindInput, Err: errors.New("no instance ID")}
	}
	p, err := c.InstancesPage(ctx, InstanceFilter{SolutionID: solutionID, ID: id}, "", 1)
	if err != nil {
		return Instance{}, false, err
	}
	for _, in := range p.Instances {
		if in.ID == id {
			return in, true, nil
		}
	}
	return Instance{}, false, nil
}
