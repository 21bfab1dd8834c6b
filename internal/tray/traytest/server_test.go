package traytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder catches the fake's test failures so that tests can assert them.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func post(t *testing.T, url, token string, body any) answer {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, raw)
	}
	return a
}

func gql(t *testing.T, s *Server, token, query string, vars map[string]any) answer {
	t.Helper()
	return post(t, s.GraphQLURL(), token, map[string]any{"query": query, "variables": vars})
}

func messages(a answer) []string {
	errs, _ := a.body["errors"].([]any)
	var out []string
	for _, e := range errs {
		m, _ := e.(map[string]any)
		out = append(out, fmt.Sprint(m["message"]))
	}
	return out
}

const listQuery = `query($criteria: SolutionInstanceSearchCriteria, $first: Int, $after: String, $last: Int, $before: String) {
  viewer { solutionInstances(criteria: $criteria, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    edges { cursor node { id owner solutionVersionFlags { hasNewerVersion requiresUserInputToUpdateVersion requiresSystemInputToUpdateVersion } } }
  } }
}`

// TestInvalidRequestsFailTheTest: everything the schema does not allow is
// a test failure and an error answer, never data.
func TestInvalidRequestsFailTheTest(t *testing.T) {
	tests := []struct {
		name  string
		body  any
		want  string // in the recorded failure
		route string
	}{
		{name: "syntax error", body: map[string]any{"query": "query { viewer { "}, want: "Expected"},
		{name: "unknown field", body: map[string]any{"query": "{ viewer { solutionInstances { edges { node { id colour } } } } }"}, want: "colour"},
		{name: "unknown root field", body: map[string]any{"query": "{ solutionInstances { totalCount } }"}, want: "solutionInstances"},
		{name: "wrong variable type", body: map[string]any{"query": listQuery, "variables": map[string]any{"first": "ten"}}, want: "first"},
		{name: "variable of wrong declared type", body: map[string]any{"query": `query($first: String) { viewer { solutionInstances(first: $first) { totalCount } } }`}, want: "first"},
		{name: "undeclared variable", body: map[string]any{"query": listQuery, "variables": map[string]any{"solutionId": "s"}}, want: "not declared"},
		{name: "unknown input field", body: map[string]any{"query": listQuery, "variables": map[string]any{"criteria": map[string]any{"solution": "s"}}}, want: "unknown field"},
		{name: "missing required argument", body: map[string]any{"query": `mutation { authorize { accessToken } }`}, want: "input"},
		{name: "config value not JSON in a string", body: map[string]any{
			"query":     `mutation($input: UpgradeSolutionInstanceInput!) { upgradeSolutionInstance(input: $input) { clientMutationId } }`,
			"variables": map[string]any{"input": map[string]any{"solutionInstanceId": "i", "configValues": []any{map[string]any{"externalId": "x", "value": "not json"}}}}}, want: "JSON inside a string"},
		{name: "config value as a bare object", body: map[string]any{
			"query":     `mutation($input: UpgradeSolutionInstanceInput!) { upgradeSolutionInstance(input: $input) { clientMutationId } }`,
			"variables": map[string]any{"input": map[string]any{"solutionInstanceId": "i", "configValues": []any{map[string]any{"externalId": "x", "value": map[string]any{"a": 1}}}}}}, want: "JSON inside a string"},
		{name: "updateSolutionInstance", body: map[string]any{
			"query":     `mutation($input: UpdateSolutionInstanceInput!) { updateSolutionInstance(input: $input) { clientMutationId } }`,
			"variables": map[string]any{"input": map[string]any{"solutionInstanceId": "i"}}}, want: "updateSolutionInstance"},
		{name: "two mutations in one request", body: map[string]any{"query": `mutation { a: authorize(input: {userId: "u"}) { accessToken } b: authorize(input: {userId: "v"}) { accessToken } }`}, want: "exactly one"},
		{name: "unknown body member", body: `{"query": "{ viewer { solutions { edges { cursor } } } }", "extra": 1}`, want: "extra"},
		{name: "introspection", body: map[string]any{"query": "{ __schema { types { name } } }"}, want: "introspection"},
		{name: "unknown route", body: map[string]any{"query": "{}"}, route: "/graphql/v2", want: "unknown route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := New(rec, Config{Unlimited: true})
			s.Generate("sol", 3, GenerateOptions{})
			a := post(t, s.URL()+cmpOr(tt.route, "/graphql"), s.MasterToken(), tt.body)
			if a.status == http.StatusOK && a.body["data"] != nil {
				t.Errorf("answered data: %v", a.body)
			}
			if len(messages(a)) == 0 && a.body["message"] == nil {
				t.Errorf("no error in the answer: %v", a.body)
			}
			f := rec.failures()
			if len(f) != 1 || !strings.Contains(f[0], tt.want) {
				t.Errorf("recorded failures %q, want one mentioning %q", f, tt.want)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestWrongMethodFailsTheTest(t *testing.T) {
	rec := &recorder{TB: t}
	s := New(rec, Config{})
	resp, err := http.Get(s.GraphQLURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || len(rec.failures()) != 1 {
		t.Errorf("GET /graphql: status %d, failures %q", resp.StatusCode, rec.failures())
	}
}

func TestAuthentication(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := New(t, Config{Unlimited: true, Now: clock})
	s.Generate("sol", 64, GenerateOptions{Owners: 4})
	if a := gql(t, s, "wrong", listQuery, nil); a.status != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d", a.status)
	}
	if a := gql(t, s, "", listQuery, nil); a.status != http.StatusUnauthorized {
		t.Errorf("no token: status %d", a.status)
	}
	a := gql(t, s, s.MasterToken(), `mutation($in: AuthorizeInput!) { authorize(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{"userId": "user-001"}})
	tok, _ := a.body["data"].(map[string]any)["authorize"].(map[string]any)["accessToken"].(string)
	if tok == "" {
		t.Fatalf("authorize: %v", a.body)
	}
	// A user token sees its owner's instances only, even when asking for another owner's.
	for _, owner := range []any{nil, "user-002"} {
		crit := map[string]any{"solutionId": "sol"}
		if owner != nil {
			crit["owner"] = owner
		}
		a = gql(t, s, tok, listQuery, map[string]any{"criteria": crit})
		conn := a.body["data"].(map[string]any)["viewer"].(map[string]any)["solutionInstances"].(map[string]any)
		want := 16.0
		if owner != nil {
			want = 0
		}
		if conn["totalCount"] != want {
			t.Errorf("user token, owner %v: totalCount %v, want %v", owner, conn["totalCount"], want)
		}
	}
	a = gql(t, s, tok, `mutation($in: AuthorizeInput!) { authorize(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{"userId": "user-002"}})
	if len(messages(a)) == 0 {
		t.Errorf("a user token minted another user's token: %v", a.body)
	}
	mu.Lock()
	now = now.Add(48*time.Hour + time.Second)
	mu.Unlock()
	if a := gql(t, s, tok, listQuery, nil); a.status != http.StatusUnauthorized {
		t.Errorf("expired user token: status %d", a.status)
	}
}

// list pages through the fake with raw requests.
func list(t *testing.T, s *Server, crit map[string]any, first int) (ids []string, total float64, pages int) {
	t.Helper()
	after := ""
	for {
		vars := map[string]any{"criteria": crit, "first": first}
		if after != "" {
			vars["after"] = after
		}
		a := gql(t, s, s.MasterToken(), listQuery, vars)
		conn := a.body["data"].(map[string]any)["viewer"].(map[string]any)["solutionInstances"].(map[string]any)
		pages++
		total = conn["totalCount"].(float64)
		for _, e := range conn["edges"].([]any) {
			ids = append(ids, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		pi := conn["pageInfo"].(map[string]any)
		if pages > 1 != pi["hasPreviousPage"].(bool) {
			t.Errorf("page %d: hasPreviousPage %v", pages, pi["hasPreviousPage"])
		}
		if !pi["hasNextPage"].(bool) {
			return ids, total, pages
		}
		after = pi["endCursor"].(string)
	}
}

func TestRelayPagination(t *testing.T) {
	s := New(t, Config{Unlimited: true})
	want := s.Generate("sol", 1000, GenerateOptions{Owners: 7})
	s.Generate("other", 10, GenerateOptions{})
	ids, total, pages := list(t, s, map[string]any{"solutionId": "sol"}, 100)
	if d := cmp.Diff(want, ids); d != "" || total != 1000 || pages != 10 {
		t.Errorf("total %v pages %d, ids (-want +got):\n%s", total, pages, d)
	}
	ids, total, _ = list(t, s, map[string]any{"solutionId": "sol", "owner": "user-003"}, 30)
	if total != 143 || len(ids) != 143 {
		t.Errorf("owner filter: total %v, %d ids; want 143", total, len(ids))
	}
	for _, id := range ids {
		if in, _ := s.Instance(id); in.Owner != "user-003" {
			t.Errorf("owner filter returned %s of %s", id, in.Owner)
		}
	}
	if ids, total, _ = list(t, s, nil, 100); total != 1010 || len(ids) != 1010 {
		t.Errorf("no criteria: total %v, %d ids", total, len(ids))
	}

	// Backwards: the last 5 before the 11th.
	a := gql(t, s, s.MasterToken(), listQuery, map[string]any{"criteria": map[string]any{"solutionId": "sol"}, "first": 10})
	end := a.body["data"].(map[string]any)["viewer"].(map[string]any)["solutionInstances"].(map[string]any)["edges"].([]any)[9].(map[string]any)["cursor"]
	a = gql(t, s, s.MasterToken(), listQuery, map[string]any{"criteria": map[string]any{"solutionId": "sol"}, "last": 5, "before": end})
	var back []string
	for _, e := range a.body["data"].(map[string]any)["viewer"].(map[string]any)["solutionInstances"].(map[string]any)["edges"].([]any) {
		back = append(back, e.(map[string]any)["node"].(map[string]any)["id"].(string))
	}
	if d := cmp.Diff(want[4:9], back); d != "" {
		t.Errorf("last 5 before the 10th (-want +got):\n%s", d)
	}
	for _, bad := range []map[string]any{{"first": 101}, {"first": -1}, {"after": "bm90IGEgY3Vyc29y"}} {
		if a := gql(t, s, s.MasterToken(), listQuery, bad); len(messages(a)) == 0 {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestGeneratedFlags(t *testing.T) {
	s := New(t, Config{Unlimited: true})
	ids := s.Generate("sol", 64, GenerateOptions{Quirks: true})
	seen := map[Flags]int{}
	for _, id := range ids {
		seen[s.FlagsOf(id)]++
	}
	if len(seen) != 8 {
		t.Errorf("flag combinations: %v, want all 8", seen)
	}
	s2 := New(t, Config{Unlimited: true})
	seen = map[Flags]int{}
	for _, id := range s2.Generate("sol", 64, GenerateOptions{}) {
		f := s2.FlagsOf(id)
		if !f.HasNewerVersion && (f.RequiresSystemInput || f.RequiresUserInput) {
			t.Errorf("%s: inconsistent flags without quirks: %+v", id, f)
		}
		seen[f]++
	}
	if len(seen) != 5 {
		t.Errorf("consistent flag combinations: %v, want 5", seen)
	}
}

const upgradeMutation = `mutation($input: UpgradeSolutionInstanceInput!) {
  upgradeSolutionInstance(input: $input) { solutionInstance { id solutionVersionFlags { hasNewerVersion } configValues { externalId value } authValues { externalId authId } } }
}`

func upgrade(t *testing.T, s *Server, token string, input map[string]any) answer {
	t.Helper()
	return gql(t, s, token, upgradeMutation, map[string]any{"input": input})
}

func TestUpgradeSemantics(t *testing.T) {
	s := New(t, Config{Unlimited: true})
	s.AddSolution(GeneratedSolution("sol"))
	add := func(id string, auth []AuthValue, config []ConfigValue) {
		s.AddInstance(Instance{ID: id, Owner: "u", SolutionID: "sol", Version: 1, AuthValues: auth, ConfigValues: config})
	}
	region := ConfigValue{"region", json.RawMessage(`"eu"`)}
	newAuth := AuthValue{"new_service_auth", "a-new"}
	add("needs-region", []AuthValue{newAuth}, nil)
	add("needs-resync", []AuthValue{{"crm_auth", "a-crm"}, newAuth}, []ConfigValue{region})
	add("needs-user", nil, []ConfigValue{region})
	add("lazy", []AuthValue{newAuth}, []ConfigValue{region})

	tests := []struct {
		name, id  string
		input     map[string]any
		wantError string
		wizard    bool
	}{
		{name: "missing hidden value", id: "needs-region", wantError: `hidden config slot "region" needs a value`},
		{name: "unknown slot", id: "needs-region", input: map[string]any{"configValues": []any{map[string]any{"externalId": "colour", "value": `"red"`}}}, wantError: "does not exist"},
		{name: "hidden value given", id: "needs-region", input: map[string]any{"configValues": []any{map[string]any{"externalId": "region", "value": `"us-east"`}}}},
		{name: "re-sync missing", id: "needs-resync", wantError: "re-created"},
		{name: "re-sync", id: "needs-resync", input: map[string]any{"authValues": []any{map[string]any{"externalId": "crm_auth", "authId": "a-crm"}}}},
		{name: "user input: only the ID", id: "needs-user", wizard: true},
		{name: "newer version only", id: "lazy"},
		{name: "already on the newest", id: "lazy"},
		{name: "unknown instance", id: "nope", wantError: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := map[string]any{"solutionInstanceId": tt.id}
			for k, v := range tt.input {
				input[k] = v
			}
			before, _ := s.Instance(tt.id)
			a := upgrade(t, s, s.MasterToken(), input)
			msgs := messages(a)
			calls := s.Calls()
			last := calls[len(calls)-1]
			if tt.wantError != "" {
				if len(msgs) != 1 || !strings.Contains(msgs[0], tt.wantError) {
					t.Fatalf("errors %q, want %q", msgs, tt.wantError)
				}
				if after, _ := s.Instance(tt.id); after.Version != before.Version || last.Error == "" {
					t.Errorf("a refused upgrade moved the instance or was logged as success: %+v", last)
				}
				return
			}
			if len(msgs) > 0 {
				t.Fatalf("errors: %q", msgs)
			}
			after, _ := s.Instance(tt.id)
			node := a.body["data"].(map[string]any)["upgradeSolutionInstance"].(map[string]any)["solutionInstance"].(map[string]any)
			if after.Version != 2 || node["solutionVersionFlags"].(map[string]any)["hasNewerVersion"] != false {
				t.Errorf("instance not on version 2: %+v, answer %v", after, node)
			}
			if last.NeedsConfigWizard != tt.wizard || last.NoOp != (before.Version == 2) {
				t.Errorf("call %+v, want wizard %v, no-op %v", last, tt.wizard, before.Version == 2)
			}
		})
	}
	if got := s.Upgrades("lazy", 2); got != 2 {
		t.Errorf("Upgrades(lazy, 2) = %d, want 2 (one move, one repeat)", got)
	}
	if got := s.Upgrades("needs-region", 2); got != 1 {
		t.Errorf("Upgrades(needs-region, 2) = %d, want 1 (refusals do not count)", got)
	}
	in, _ := s.Instance("needs-region")
	if d := cmp.Diff([]ConfigValue{{"region", json.RawMessage(`"us-east"`)}}, in.ConfigValues); d != "" {
		t.Errorf("stored config (-want +got):\n%s", d)
	}
	if v := s.Publish("sol", nil); v != 3 || !s.FlagsOf("lazy").HasNewerVersion {
		t.Errorf("Publish: version %d, flags %+v", v, s.FlagsOf("lazy"))
	}
}

func TestUpgradeNeedsOwnerToken(t *testing.T) {
	s := New(t, Config{Unlimited: true, UpgradeNeedsUserToken: true})
	s.Generate("sol", 2, GenerateOptions{Owners: 2})
	id := "sol-inst-00002" // old, owned by user-001
	if msgs := messages(upgrade(t, s, s.MasterToken(), map[string]any{"solutionInstanceId": id})); len(msgs) == 0 {
		t.Error("master token upgraded although the owner's token is required")
	}
	a := gql(t, s, s.MasterToken(), `mutation($in: AuthorizeInput!) { authorize(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{"userId": "user-000"}})
	other := a.body["data"].(map[string]any)["authorize"].(map[string]any)["accessToken"].(string)
	if msgs := messages(upgrade(t, s, other, map[string]any{"solutionInstanceId": id})); len(msgs) == 0 || !strings.Contains(msgs[0], "not found") {
		t.Errorf("another user's token: %q", msgs)
	}
}

func TestRateLimit(t *testing.T) {
	s := New(t, Config{RateLimit: 1, Burst: 3})
	s.Generate("sol", 1, GenerateOptions{})
	var statuses []int
	for range 5 {
		a := gql(t, s, s.MasterToken(), listQuery, nil)
		statuses = append(statuses, a.status)
		if a.status == http.StatusTooManyRequests && a.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want 1", a.header.Get("Retry-After"))
		}
	}
	if d := cmp.Diff([]int{200, 200, 200, 429, 429}, statuses); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if s.Rejected() != 2 || s.Requests() != 5 || s.CallCount(OpSolutionInstances) != 3 {
		t.Errorf("rejected %d, requests %d, logged %d", s.Rejected(), s.Requests(), s.CallCount(OpSolutionInstances))
	}
}

func TestFaults(t *testing.T) {
	s := New(t, Config{Unlimited: true})
	s.Generate("sol", 4, GenerateOptions{})
	s.InjectFault(Fault{Kind: FaultGraphQLError, Op: OpUpgrade, InstanceID: "sol-inst-00001", Message: "Instance is locked"})
	s.InjectFault(Fault{Kind: Fault5xx, Op: OpSolutionInstances, Times: 2, RetryAfter: 2 * time.Second})
	s.InjectFault(Fault{Kind: Fault429, Op: OpAuthorize, Times: 1, RetryAfter: 3 * time.Second})
	s.InjectFault(Fault{Kind: FaultLoseResponse, Op: OpUpgrade, InstanceID: "sol-inst-00004", Times: 1})

	for i, want := range []int{503, 503, 200} {
		a := gql(t, s, s.MasterToken(), listQuery, nil)
		if a.status != want {
			t.Errorf("list %d: status %d, want %d", i, a.status, want)
		}
		if want == 503 && a.header.Get("Retry-After") != "2" {
			t.Errorf("503 Retry-After %q", a.header.Get("Retry-After"))
		}
	}
	a := gql(t, s, s.MasterToken(), `mutation($in: AuthorizeInput!) { authorize(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{"userId": "u"}})
	if a.status != 429 || a.header.Get("Retry-After") != "3" {
		t.Errorf("authorize: status %d Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	for range 2 {
		if msgs := messages(upgrade(t, s, s.MasterToken(), map[string]any{"solutionInstanceId": "sol-inst-00001"})); len(msgs) != 1 || msgs[0] != "Instance is locked" {
			t.Errorf("permanent fault: %q", msgs)
		}
	}
	// Lose the response: executed (counted), answered 502.
	if a := upgrade(t, s, s.MasterToken(), map[string]any{"solutionInstanceId": "sol-inst-00004"}); a.status != 502 {
		t.Errorf("lose-response: status %d", a.status)
	}
	if s.Upgrades("sol-inst-00004", 2) != 1 || s.Upgrades("sol-inst-00001", 2) != 0 {
		t.Errorf("upgrades: lost %d, locked %d", s.Upgrades("sol-inst-00004", 2), s.Upgrades("sol-inst-00001", 2))
	}
	s.ClearFaults()
	if msgs := messages(upgrade(t, s, s.MasterToken(), map[string]any{"solutionInstanceId": "sol-inst-00001"})); len(msgs) != 0 {
		t.Errorf("after ClearFaults: %q", msgs)
	}
}

func TestTimeoutFaultReleasesOnClientGiveUp(t *testing.T) {
	s := New(t, Config{Unlimited: true})
	s.InjectFault(Fault{Kind: FaultTimeout, Hold: 50 * time.Millisecond, Times: 1})
	if a := gql(t, s, s.MasterToken(), listQuery, nil); a.status != http.StatusGatewayTimeout {
		t.Errorf("held request: status %d", a.status)
	}
	s.InjectFault(Fault{Kind: FaultTimeout})
	c := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), strings.NewReader(`{"query":"{ viewer { solutions { edges { cursor } } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.MasterToken())
	if _, err := c.Do(req); err == nil {
		t.Error("a timeout fault answered")
	}
	// Close must not hang on the held request (the test's cleanup would).
}

func TestImportAndPreview(t *testing.T) {
	rec := &recorder{TB: t}
	s := New(rec, Config{Unlimited: true})
	s.AddSolution(Solution{ID: "sol"})
	q := `mutation($in: ImportProjectInput!) { importProject(input: $in) { clientMutationId } }`
	a := gql(t, s, s.MasterToken(), q, map[string]any{"in": map[string]any{"targetProjectId": "p1", "exportedProjectJson": `{"workflows":[]}`, "configJson": `{}`}})
	if len(messages(a)) != 0 {
		t.Fatalf("import: %q", messages(a))
	}
	a = gql(t, s, s.MasterToken(), q, map[string]any{"in": map[string]any{"targetProjectId": "p1", "exportedProjectJson": `{"workflows":`}})
	if len(messages(a)) != 1 {
		t.Errorf("import of broken JSON: %v", a.body)
	}
	if d := cmp.Diff([]Draft{{"p1", json.RawMessage(`{"workflows":[]}`), json.RawMessage(`{}`)}}, s.Drafts()); d != "" {
		t.Errorf("drafts (-want +got):\n%s", d)
	}
	s.SetPreview("sol", map[string]any{"breakingChanges": true, "requiresNewUserInput": true, "requiresNewSystemInput": false})
	if a := post(t, s.APIURL()+"/solutions/sol/releases/previews", s.MasterToken(), "{}"); a.status != 200 || a.body["breakingChanges"] != true {
		t.Errorf("preview: %d %v", a.status, a.body)
	}
	if a := post(t, s.APIURL()+"/solutions/nope/releases/previews", s.MasterToken(), "{}"); a.status != 404 {
		t.Errorf("preview of an unknown solution: %d", a.status)
	}
	if a := post(t, s.APIURL()+"/solutions/sol/releases/previews", "bad", "{}"); a.status != 401 {
		t.Errorf("preview with a bad token: %d", a.status)
	}
	if f := rec.failures(); len(f) != 0 {
		t.Errorf("valid requests failed the test: %q", f)
	}
}

// TestConcurrentUse runs listings and upgrades at once (meaningful under
// -race) and checks the call log stays exact.
func TestConcurrentUse(t *testing.T) {
	s := New(t, Config{Unlimited: true})
	ids := s.Generate("sol", 200, GenerateOptions{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(ids); i += 8 {
				in, _ := s.Instance(ids[i])
				input := map[string]any{"solutionInstanceId": ids[i], "configValues": []any{map[string]any{"externalId": "region", "value": `"x"`}}}
				if _, ok := authOf(in, "crm_auth"); ok {
					input["authValues"] = []any{map[string]any{"externalId": "crm_auth", "authId": "resynced"}}
				}
				if msgs := messages(upgrade(t, s, s.MasterToken(), input)); len(msgs) > 0 {
					t.Errorf("%s: %q", ids[i], msgs)
				}
			}
		})
		wg.Go(func() { list(t, s, map[string]any{"solutionId": "sol"}, 50) })
	}
	wg.Wait()
	for _, id := range ids {
		if n := s.Upgrades(id, 2); n != 1 {
			t.Errorf("%s upgraded %d times", id, n)
		}
	}
	if got := len(s.UpgradedInstances(2)); got != len(ids) {
		t.Errorf("UpgradedInstances: %d", got)
	}
}

func authOf(in Instance, id string) (string, bool) {
	for _, a := range in.AuthValues {
		if a.ExternalID == id {
			return a.AuthID, true
		}
	}
	return "", false
}
