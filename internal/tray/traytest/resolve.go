package traytest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Resolvers of queries run under the server's read lock; mutation
// resolvers take the write lock themselves and return copies.

type queryRoot struct{}

func (queryRoot) typeName() string { return "Query" }
func (queryRoot) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	return viewerObj{}, nil // "viewer" is Query's only field
}

type viewerObj struct{}

func (viewerObj) typeName() string { return "Viewer" }
func (viewerObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "solutionInstances":
		return x.s.solutionInstances(x, args)
	case "solutions":
		return x.s.solutionsConn(x, args)
	}
	return nil, errorf("internal: Viewer.%s", f.Name)
}

// page is a Relay window over n ordered items.
type page struct {
	start, end       int
	hasNext, hasPrev bool
}

// window applies after/before (as positions: items after index afterPos,
// before beforePos) and first/last.
func (s *Server) window(n, afterPos, beforePos int, args map[string]any) (page, error) {
	lo, hi := afterPos+1, n
	if beforePos >= 0 && beforePos < hi {
		hi = beforePos
	}
	lo = min(lo, hi)
	first, hasFirst, err := intArg(args, "first")
	if err != nil {
		return page{}, err
	}
	last, hasLast, err := intArg(args, "last")
	if err != nil {
		return page{}, err
	}
	if !hasFirst && !hasLast {
		first, hasFirst = s.cfg.MaxPageSize, true
	}
	for _, a := range []struct {
		name string
		v    int
		set  bool
	}{{"first", first, hasFirst}, {"last", last, hasLast}} {
		if a.set && (a.v < 0 || a.v > s.cfg.MaxPageSize) {
			return page{}, errorf("%s must be between 0 and %d", a.name, s.cfg.MaxPageSize)
		}
	}
	if hasFirst && hi-lo > first {
		hi = lo + first
	}
	if hasLast && hi-lo > last {
		lo = hi - last
	}
	return page{start: lo, end: hi, hasPrev: lo > 0, hasNext: hi < n}, nil
}

func intArg(args map[string]any, name string) (int, bool, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	switch n := v.(type) {
	case int:
		return n, true, nil
	case int64:
		return int(n), true, nil
	case float64:
		return int(n), true, nil
	case json.Number:
		i, err := n.Int64()
		return int(i), true, err
	}
	return 0, false, errorf("%s: not an Int", name)
}

func strArg(m map[string]any, name string) string {
	switch v := m[name].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}

func cursorOf(kind string, n int) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + ":" + strconv.Itoa(n)))
}

func parseCursor(kind, c string) (int, error) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(b), kind+":"); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				return n, nil
			}
		}
	}
	return 0, errorf("invalid cursor %q", c)
}

func (s *Server) solutionInstances(x *execution, args map[string]any) (any, error) {
	crit, _ := args["criteria"].(map[string]any)
	solID, owner, id, name := strArg(crit, "solutionId"), strArg(crit, "owner"), strArg(crit, "id"), strArg(crit, "name")
	if x.who.user != "" {
		if owner != "" && owner != x.who.user {
			return instanceConn{}, nil // a user token sees its own instances only
		}
		owner = x.who.user
	}
	x.call.SolutionID = solID
	items := s.all
	if solID != "" {
		items = s.bySolution[solID]
	}
	if owner != "" || id != "" || name != "" {
		filtered := make([]*instance, 0, len(items)/8)
		for _, in := range items {
			if (owner == "" || in.Owner == owner) && (id == "" || in.ID == id) && (name == "" || in.Name == name) {
				filtered = append(filtered, in)
			}
		}
		items = filtered
	}
	// items are in seq order: a cursor's position is a binary search.
	pos := func(arg string, after bool) (int, error) {
		c, _ := args[arg].(string)
		if c == "" {
			if after {
				return -1, nil
			}
			return len(items), nil
		}
		seq, err := parseCursor("inst", c)
		if err != nil {
			return 0, err
		}
		i := sort.Search(len(items), func(i int) bool { return items[i].seq >= seq })
		if after && (i == len(items) || items[i].seq != seq) {
			i-- // the cursor's instance is gone: continue after where it was
		}
		return i, nil
	}
	afterPos, err := pos("after", true)
	if err != nil {
		return nil, err
	}
	beforePos, err := pos("before", false)
	if err != nil {
		return nil, err
	}
	p, err := s.window(len(items), afterPos, beforePos, args)
	if err != nil {
		return nil, err
	}
	x.call.First, _, _ = intArg(args, "first")
	x.call.After, _ = args["after"].(string)
	x.call.ReturnedInstances = p.end - p.start
	return instanceConn{s: s, items: items[p.start:p.end], total: len(items), p: p}, nil
}

type instanceConn struct {
	s     *Server
	items []*instance
	total int
	p     page
}

func (instanceConn) typeName() string { return "SolutionInstanceConnection" }
func (c instanceConn) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "totalCount":
		return c.total, nil
	case "pageInfo":
		pi := pageInfoObj{hasNext: c.p.hasNext, hasPrev: c.p.hasPrev}
		if len(c.items) > 0 {
			pi.start, pi.end = cursorOf("inst", c.items[0].seq), cursorOf("inst", c.items[len(c.items)-1].seq)
		}
		return pi, nil
	case "edges":
		out := make([]object, len(c.items))
		for i, in := range c.items {
			out[i] = instanceEdge{inst: in, sol: c.s.solutions[in.SolutionID]}
		}
		return out, nil
	}
	return nil, errorf("internal: SolutionInstanceConnection.%s", f.Name)
}

type pageInfoObj struct {
	hasNext, hasPrev bool
	start, end       string
}

func (pageInfoObj) typeName() string { return "PageInfo" }
func (p pageInfoObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch f.Name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		return opt(p.start), nil
	case "endCursor":
		return opt(p.end), nil
	}
	return nil, errorf("internal: PageInfo.%s", f.Name)
}

type instanceEdge struct {
	inst *instance
	sol  *Solution
}

func (instanceEdge) typeName() string { return "SolutionInstanceEdge" }
func (e instanceEdge) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "node":
		return instanceObj{inst: e.inst, sol: e.sol}, nil
	case "cursor":
		return cursorOf("inst", e.inst.seq), nil
	}
	return nil, errorf("internal: SolutionInstanceEdge.%s", f.Name)
}

// instanceObj reads an instance: live under a query's read lock, or a copy
// made by a mutation.
type instanceObj struct {
	inst *instance
	sol  *Solution
}

func (instanceObj) typeName() string { return "SolutionInstance" }
func (o instanceObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	in := o.inst
	switch f.Name {
	case "id":
		return in.ID, nil
	case "name":
		return in.Name, nil
	case "owner":
		return in.Owner, nil
	case "enabled":
		return in.Enabled, nil
	case "created":
		return in.Created, nil
	case "solution":
		return solutionObj{o.sol}, nil
	case "solutionVersionFlags":
		return flagsObj(flagsOf(in, o.sol)), nil
	case "authValues":
		out := make([]object, len(in.AuthValues))
		for i, a := range in.AuthValues {
			out[i] = authValueObj(a)
		}
		return out, nil
	case "configValues":
		out := make([]object, len(in.ConfigValues))
		for i, c := range in.ConfigValues {
			out[i] = configValueObj(c)
		}
		return out, nil
	}
	return nil, errorf("internal: SolutionInstance.%s", f.Name)
}

type flagsObj Flags

func (flagsObj) typeName() string { return "SolutionInstanceSolutionVersionFlags" }
func (o flagsObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "hasNewerVersion":
		return o.HasNewerVersion, nil
	case "requiresUserInputToUpdateVersion":
		return o.RequiresUserInput, nil
	case "requiresSystemInputToUpdateVersion":
		return o.RequiresSystemInput, nil
	}
	return nil, errorf("internal: flags.%s", f.Name)
}

type authValueObj AuthValue

func (authValueObj) typeName() string { return "AuthSlotValue" }
func (o authValueObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	if f.Name == "externalId" {
		return o.ExternalID, nil
	}
	return o.AuthID, nil
}

type configValueObj ConfigValue

func (configValueObj) typeName() string { return "ConfigSlotValue" }
func (o configValueObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	if f.Name == "externalId" {
		return o.ExternalID, nil
	}
	if o.Value == nil {
		return nil, nil
	}
	return o.Value, nil
}

func (s *Server) solutionsConn(x *execution, args map[string]any) (any, error) {
	crit, _ := args["criteria"].(map[string]any)
	var tags []string
	if ts, ok := crit["tags"].([]any); ok {
		for _, t := range ts {
			if str, ok := t.(string); ok {
				tags = append(tags, str)
			}
		}
	}
	var items []*Solution
	for _, id := range s.solOrder {
		sol := s.solutions[id]
		if slices.ContainsFunc(tags, func(t string) bool { return !slices.Contains(sol.Tags, t) }) {
			continue
		}
		items = append(items, sol)
	}
	after, before := -1, len(items)
	if c, _ := args["after"].(string); c != "" {
		n, err := parseCursor("sol", c)
		if err != nil {
			return nil, err
		}
		after = n
	}
	if c, _ := args["before"].(string); c != "" {
		n, err := parseCursor("sol", c)
		if err != nil {
			return nil, err
		}
		before = n
	}
	p, err := s.window(len(items), after, before, args)
	if err != nil {
		return nil, err
	}
	return solutionConn{items: items, p: p}, nil
}

type solutionConn struct {
	items []*Solution
	p     page
}

func (solutionConn) typeName() string { return "SolutionConnection" }
func (c solutionConn) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "pageInfo":
		pi := pageInfoObj{hasNext: c.p.hasNext, hasPrev: c.p.hasPrev}
		if c.p.end > c.p.start {
			pi.start, pi.end = cursorOf("sol", c.p.start), cursorOf("sol", c.p.end-1)
		}
		return pi, nil
	case "edges":
		var out []object
		for i := c.p.start; i < c.p.end; i++ {
			out = append(out, solutionEdge{sol: c.items[i], pos: i})
		}
		if out == nil {
			out = []object{}
		}
		return out, nil
	}
	return nil, errorf("internal: SolutionConnection.%s", f.Name)
}

type solutionEdge struct {
	sol *Solution
	pos int
}

func (solutionEdge) typeName() string { return "SolutionEdge" }
func (e solutionEdge) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	if f.Name == "cursor" {
		return cursorOf("sol", e.pos), nil
	}
	return solutionObj{e.sol}, nil
}

type solutionObj struct{ sol *Solution }

func (solutionObj) typeName() string { return "Solution" }
func (o solutionObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "id":
		return o.sol.ID, nil
	case "title":
		return o.sol.Title, nil
	case "description":
		return nil, nil
	case "tags":
		return append([]string{}, o.sol.Tags...), nil
	case "configSlots":
		out := make([]object, len(o.sol.ConfigSlots))
		for i, s := range o.sol.ConfigSlots {
			out[i] = slotObj{slot: s, typ: "ConfigSlot"}
		}
		return out, nil
	case "authSlots":
		out := make([]object, len(o.sol.AuthSlots))
		for i, s := range o.sol.AuthSlots {
			out[i] = slotObj{slot: s, typ: "AuthSlot"}
		}
		return out, nil
	}
	return nil, errorf("internal: Solution.%s", f.Name)
}

type slotObj struct {
	slot Slot
	typ  string
}

func (o slotObj) typeName() string { return o.typ }
func (o slotObj) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	switch f.Name {
	case "externalId":
		return o.slot.ExternalID, nil
	case "title":
		return o.slot.Title, nil
	case "defaultValue":
		if o.slot.Default == nil {
			return nil, nil
		}
		return o.slot.Default, nil
	}
	return nil, errorf("internal: %s.%s", o.typ, f.Name)
}

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutation" }
func (mutationRoot) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	input, _ := args["input"].(map[string]any)
	switch f.Name {
	case "upgradeSolutionInstance":
		return x.s.upgrade(x, input)
	case "authorize":
		return x.s.authorize(x, input)
	case "importProject":
		return x.s.importProject(x, input)
	case "updateSolutionInstance":
		x.s.t.Errorf("traytest: updateSolutionInstance called; upgrades must use upgradeSolutionInstance")
		return nil, errorf("updateSolutionInstance is not served by this fake: Breakwater must never call it")
	}
	return nil, errorf("internal: Mutation.%s", f.Name)
}

// payload is a mutation's answer object.
type payload struct {
	typ    string
	fields map[string]any
}

func (p payload) typeName() string { return p.typ }
func (p payload) field(x *execution, f *ast.Field, args map[string]any) (any, error) {
	return p.fields[f.Name], nil
}

func (s *Server) upgrade(x *execution, input map[string]any) (any, error) {
	id := strArg(input, "solutionInstanceId")
	x.call.InstanceID = id
	auth, config, err := upgradeValues(input)
	if err != nil {
		return nil, err
	}
	x.call.AuthValues, x.call.ConfigValues = auth, config
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.instances[id]
	if in == nil || x.who.user != "" && in.Owner != x.who.user {
		return nil, errorf("Solution instance %s not found", id)
	}
	if s.cfg.UpgradeNeedsUserToken && x.who.user == "" {
		return nil, errorf("upgradeSolutionInstance needs the instance owner's user token")
	}
	sol := s.solutions[in.SolutionID]
	x.call.SolutionID, x.call.FromVersion = sol.ID, in.Version
	authSlot := func(id string) *Slot {
		for i := range sol.AuthSlots {
			if sol.AuthSlots[i].ExternalID == id {
				return &sol.AuthSlots[i]
			}
		}
		return nil
	}
	configSlot := func(id string) *Slot {
		for i := range sol.ConfigSlots {
			if sol.ConfigSlots[i].ExternalID == id {
				return &sol.ConfigSlots[i]
			}
		}
		return nil
	}
	for _, a := range auth {
		if authSlot(a.ExternalID) == nil {
			return nil, errorf("Auth slot %q does not exist in solution %s", a.ExternalID, sol.ID)
		}
	}
	for _, c := range config {
		if configSlot(c.ExternalID) == nil {
			return nil, errorf("Config slot %q does not exist in solution %s", c.ExternalID, sol.ID)
		}
	}
	out := func() (any, error) {
		copied := &instance{Instance: cloneInstance(in.Instance), seq: in.seq}
		solCopy := cloneSolution(*sol)
		return payload{typ: "UpgradeSolutionInstancePayload", fields: map[string]any{
			"solutionInstance": instanceObj{inst: copied, sol: &solCopy},
			"clientMutationId": input["clientMutationId"],
		}}, nil
	}
	if in.Version >= sol.Version && in.Flags == nil {
		x.call.NoOp, x.call.ToVersion = true, in.Version
		return out()
	}
	sent := func(id string, vals []AuthValue) bool {
		return slices.ContainsFunc(vals, func(a AuthValue) bool { return a.ExternalID == id })
	}
	var missing []string
	for _, sl := range sol.AuthSlots {
		_, had := in.authValue(sl.ExternalID)
		switch {
		case sl.Recreated && had && !sent(sl.ExternalID, auth):
			missing = append(missing, fmt.Sprintf("auth slot %q was re-created: pass an authId to re-sync it", sl.ExternalID))
		case sl.Required && sl.system() && !had && !sent(sl.ExternalID, auth):
			missing = append(missing, fmt.Sprintf("hidden auth slot %q needs a value", sl.ExternalID))
		}
	}
	for _, sl := range sol.ConfigSlots {
		has := in.hasConfig(sl.ExternalID) || slices.ContainsFunc(config, func(c ConfigValue) bool { return c.ExternalID == sl.ExternalID })
		if sl.Required && sl.system() && len(sl.Default) == 0 && !has {
			missing = append(missing, fmt.Sprintf("hidden config slot %q needs a value", sl.ExternalID))
		}
	}
	if len(missing) > 0 {
		return nil, errorf("Solution instance %s requires system input to upgrade: %s", id, strings.Join(missing, "; "))
	}
	for _, a := range auth {
		setAuth(&in.Instance, a)
	}
	for _, c := range config {
		setConfig(&in.Instance, c)
	}
	for _, sl := range sol.AuthSlots {
		if _, has := in.authValue(sl.ExternalID); sl.Required && !sl.system() && !has {
			x.call.NeedsConfigWizard = true
		}
	}
	for _, sl := range sol.ConfigSlots {
		if sl.Required && !sl.system() && len(sl.Default) == 0 && !in.hasConfig(sl.ExternalID) {
			x.call.NeedsConfigWizard = true
		}
	}
	in.Version, in.Flags = sol.Version, nil
	x.call.ToVersion = sol.Version
	return out()
}

func upgradeValues(input map[string]any) ([]AuthValue, []ConfigValue, error) {
	var auth []AuthValue
	as, _ := input["authValues"].([]any)
	for _, a := range as {
		m, _ := a.(map[string]any)
		auth = append(auth, AuthValue{ExternalID: strArg(m, "externalId"), AuthID: strArg(m, "authId")})
	}
	var config []ConfigValue
	cs, _ := input["configValues"].([]any)
	for _, c := range cs {
		m, _ := c.(map[string]any)
		cv := ConfigValue{ExternalID: strArg(m, "externalId")}
		if v, ok := m["value"].(string); ok {
			cv.Value = json.RawMessage(v) // JSON inside a string; checked before executing
		} else {
			cv.Value = json.RawMessage("null")
		}
		config = append(config, cv)
	}
	return auth, config, nil
}

func setAuth(in *Instance, a AuthValue) {
	for i := range in.AuthValues {
		if in.AuthValues[i].ExternalID == a.ExternalID {
			in.AuthValues[i] = a
			return
		}
	}
	in.AuthValues = append(in.AuthValues, a)
}

func setConfig(in *Instance, c ConfigValue) {
	for i := range in.ConfigValues {
		if in.ConfigValues[i].ExternalID == c.ExternalID {
			in.ConfigValues[i] = c
			return
		}
	}
	in.ConfigValues = append(in.ConfigValues, c)
}

func (s *Server) authorize(x *execution, input map[string]any) (any, error) {
	user := strArg(input, "userId")
	x.call.UserID = user
	if x.who.user != "" {
		return nil, errorf("authorize needs the master token")
	}
	if user == "" {
		return nil, errorf("userId is empty")
	}
	s.mu.Lock()
	s.minted++
	tok := fmt.Sprintf("test-user-token-%d-%s", s.minted, user)
	s.users[tok] = userToken{user: user, expires: s.cfg.Now().Add(s.cfg.UserTokenLifetime)}
	s.mu.Unlock()
	return payload{typ: "AuthorizePayload", fields: map[string]any{
		"accessToken": tok, "clientMutationId": input["clientMutationId"]}}, nil
}

func (s *Server) importProject(x *execution, input map[string]any) (any, error) {
	d := Draft{TargetProjectID: strArg(input, "targetProjectId")}
	x.call.TargetProjectID = d.TargetProjectID
	if x.who.user != "" {
		return nil, errorf("importProject needs the master token")
	}
	exported, _ := input["exportedProjectJson"].(string)
	if !json.Valid([]byte(exported)) {
		return nil, errorf("exportedProjectJson is not a JSON document")
	}
	d.ExportedProject = json.RawMessage(exported)
	if c, ok := input["configJson"].(string); ok {
		if !json.Valid([]byte(c)) {
			return nil, errorf("configJson is not a JSON document")
		}
		d.Config = json.RawMessage(c)
	}
	s.mu.Lock()
	s.drafts = append(s.drafts, d)
	s.mu.Unlock()
	return payload{typ: "ImportProjectPayload", fields: map[string]any{"clientMutationId": input["clientMutationId"]}}, nil
}
