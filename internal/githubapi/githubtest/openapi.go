package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// OpenAPIPackage is the npm package holding GitHub's official REST API
// description, with the Octokit extensions.
const OpenAPIPackage = "@octokit/openapi@23"

// docURL names the description inside the schema compiler.
const docURL = "https://breakwater.invalid/api.github.com.json"

// Spec is GitHub's REST API description, indexed for request validation.
type Spec struct {
	doc map[string]any
	ops map[string][]*operation // by HTTP method

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer
}

type operation struct {
	id       string // operationId, e.g. issues/add-labels
	method   string
	template string   // e.g. /repos/{owner}/{repo}/issues/{issue_number}/labels
	segs     []string // template split on "/"
	// patterns holds, for segments that mix text and parameters such as
	// "{base}...{head}", a regexp capturing the parameters in order.
	patterns map[int]*segmentPattern
	params   map[string]*param
	body     string // pointer to the JSON request body schema, "" for none
	bodyReq  bool
	// rawBody is true when the body is not JSON (a release asset's bytes,
	// application/octet-stream): any bytes are valid.
	rawBody bool
	// specificity ranks templates matching the same path: literal segments
	// count 2, mixed segments 1, so /pulls/comments beats /pulls/{number}.
	specificity int
}

type segmentPattern struct {
	re    *regexp.Regexp
	names []string
}

var paramRE = regexp.MustCompile(`\{([^}]+)\}`)

// compileSegment turns "{base}...{head}" into ^(.+?)\.\.\.(.+?)$.
func compileSegment(seg string) *segmentPattern {
	sp := &segmentPattern{}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range paramRE.FindAllStringSubmatchIndex(seg, -1) {
		b.WriteString(regexp.QuoteMeta(seg[last:m[0]]))
		b.WriteString("(.+?)")
		sp.names = append(sp.names, seg[m[2]:m[3]])
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(seg[last:]))
	b.WriteString("$")
	sp.re = regexp.MustCompile(b.String())
	return sp
}

type param struct {
	name     string
	in       string // path or query
	required bool
	multi    bool   // x-multi-segment: a path parameter that may contain "/"
	schema   string // pointer to its schema
	typ      string // the schema's type, for converting query strings
	itemType string // for arrays
}

var (
	specOnce sync.Once
	specVal  *Spec
	specErr  error
)

// LoadSpec loads the description from the @octokit/openapi npm package (see
// testenv.NPMPackage: it skips the test without npm). It is parsed once per
// test binary.
func LoadSpec(t testing.TB) *Spec {
	t.Helper()
	dir := testenv.NPMPackage(t, OpenAPIPackage)
	specOnce.Do(func() {
		specVal, specErr = parseSpec(filepath.Join(dir, "generated", "api.github.com.json"))
	})
	if specErr != nil {
		t.Fatalf("loading GitHub's REST API description: %v", specErr)
	}
	return specVal
}

func parseSpec(file string) (*Spec, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	doc, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a JSON object", file)
	}
	openAPI30ToJSONSchema(doc)
	s := &Spec{doc: doc, ops: map[string][]*operation{}, schemas: map[string]*jsonschema.Schema{}}
	s.compiler = jsonschema.NewCompiler()
	s.compiler.DefaultDraft(jsonschema.Draft4) // OpenAPI 3.0 schemas follow draft 4/5
	if err := s.compiler.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	for template, item := range paths {
		item, _ := item.(map[string]any)
		for method, o := range item {
			o, ok := o.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			op, err := s.indexOperation(template, strings.ToUpper(method), o)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, template, err)
			}
			s.ops[op.method] = append(s.ops[op.method], op)
		}
	}
	return s, nil
}

func (s *Spec) indexOperation(template, method string, o map[string]any) (*operation, error) {
	base := "/paths/" + escapePointer(template) + "/" + strings.ToLower(method)
	op := &operation{method: method, template: template, segs: strings.Split(template, "/"), params: map[string]*param{}, patterns: map[int]*segmentPattern{}}
	op.id, _ = o["operationId"].(string)
	for i, seg := range op.segs {
		switch {
		case !strings.Contains(seg, "{"):
			op.specificity += 2
		case !paramRE.MatchString(seg) || paramRE.FindString(seg) != seg:
			op.patterns[i] = compileSegment(seg)
			op.specificity++
		}
	}
	params, _ := o["parameters"].([]any)
	for i, p := range params {
		ptr := fmt.Sprintf("%s/parameters/%d", base, i)
		pm, ptr, err := s.resolve(p, ptr)
		if err != nil {
			return nil, err
		}
		prm := &param{}
		prm.name, _ = pm["name"].(string)
		prm.in, _ = pm["in"].(string)
		prm.required, _ = pm["required"].(bool)
		prm.multi, _ = pm["x-multi-segment"].(bool)
		prm.schema = ptr + "/schema"
		if sch, ok := pm["schema"].(map[string]any); ok {
			prm.typ = schemaType(sch)
			if items, ok := sch["items"].(map[string]any); ok {
				prm.itemType = schemaType(items)
			}
		}
		if prm.in == "path" || prm.in == "query" {
			op.params[prm.in+":"+prm.name] = prm
		}
	}
	if rb, ok := o["requestBody"]; ok {
		rbm, ptr, err := s.resolve(rb, base+"/requestBody")
		if err != nil {
			return nil, err
		}
		op.bodyReq, _ = rbm["required"].(bool)
		if content, ok := rbm["content"].(map[string]any); ok {
			if _, ok := content["application/json"]; ok {
				op.body = ptr + "/content/application~1json/schema"
			} else if len(content) > 0 {
				op.rawBody = true
			}
		}
	}
	return op, nil
}

func schemaType(sch map[string]any) string {
	switch t := sch["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

// resolve follows a local $ref and returns the object and its pointer.
func (s *Spec) resolve(v any, ptr string) (map[string]any, string, error) {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("%s is not an object", ptr)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, ptr, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, "", fmt.Errorf("%s: unsupported $ref %q", ptr, ref)
		}
		ptr = ref[1:]
		v = s.lookup(ptr)
	}
	return nil, "", fmt.Errorf("%s: $ref chain too long", ptr)
}

func (s *Spec) lookup(ptr string) any {
	var v any = s.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]
	}
	return v
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// openAPI30ToJSONSchema rewrites OpenAPI 3.0's `nullable: true` into JSON
// Schema (a "null" type, and null among the enum values), in place.
func openAPI30ToJSONSchema(v any) {
	switch x := v.(type) {
	case map[string]any:
		if n, _ := x["nullable"].(bool); n {
			if t, ok := x["type"].(string); ok {
				x["type"] = []any{t, "null"}
			}
			if e, ok := x["enum"].([]any); ok {
				x["enum"] = append(e, nil)
			}
		}
		for k, c := range x {
			if k == "example" || k == "examples" {
				continue
			}
			openAPI30ToJSONSchema(c)
		}
	case []any:
		for _, c := range x {
			openAPI30ToJSONSchema(c)
		}
	}
}

func (s *Spec) schema(ptr string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[ptr]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	s.schemas[ptr] = sch
	return sch, nil
}

// Operation is a request matched to the description.
type Operation struct {
	ID       string // operationId, e.g. "issues/add-labels"
	Template string // path template
	// Params are the path parameters, unescaped.
	Params map[string]string
}

// Check matches a request to an operation of the description and validates
// its path parameters, query parameters and JSON body. body is the request
// body (nil for none).
func (s *Spec) Check(method string, u *url.URL, body []byte) (*Operation, error) {
	op, params, err := s.match(method, u)
	if err != nil {
		return nil, err
	}
	for name, val := range params {
		if err := s.checkParam(op.params["path:"+name], []string{val}); err != nil {
			return nil, fmt.Errorf("%s %s: path parameter %s: %w", method, op.template, name, err)
		}
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := op.params["query:"+k]
		if p == nil {
			return nil, fmt.Errorf("%s %s (%s): unknown query parameter %q", method, op.template, op.id, k)
		}
		if err := s.checkParam(p, q[k]); err != nil {
			return nil, fmt.Errorf("%s %s: query parameter %s: %w", method, op.template, k, err)
		}
	}
	for _, p := range op.params {
		if p.in == "query" && p.required && !q.Has(p.name) {
			return nil, fmt.Errorf("%s %s: missing required query parameter %q", method, op.template, p.name)
		}
	}
	if err := s.checkBody(op, body); err != nil {
		return nil, fmt.Errorf("%s %s (%s): %w", method, op.template, op.id, err)
	}
	return &Operation{ID: op.id, Template: op.template, Params: params}, nil
}

func (s *Spec) match(method string, u *url.URL) (*operation, map[string]string, error) {
	raw := u.EscapedPath()
	segs := strings.Split(raw, "/")
	for i, seg := range segs {
		un, err := url.PathUnescape(seg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: bad path escape: %w", method, raw, err)
		}
		segs[i] = un
	}
	var best *operation
	var bestParams map[string]string
	for _, op := range s.ops[method] {
		if params, ok := op.matchSegs(segs); ok && (best == nil || op.specificity > best.specificity) {
			best, bestParams = op, params
		}
	}
	if best == nil {
		return nil, nil, fmt.Errorf("%s %s is not an operation of GitHub's REST API", method, u.Path)
	}
	return best, bestParams, nil
}

func (op *operation) matchSegs(segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, t := range op.segs {
		if i >= len(segs) {
			return nil, false
		}
		if sp := op.patterns[i]; sp != nil {
			m := sp.re.FindStringSubmatch(segs[i])
			if m == nil {
				return nil, false
			}
			for j, name := range sp.names {
				params[name] = m[j+1]
			}
			continue
		}
		if !strings.HasPrefix(t, "{") {
			if t != segs[i] {
				return nil, false
			}
			continue
		}
		name := strings.Trim(t, "{}")
		if p := op.params["path:"+name]; p != nil && p.multi && i == len(op.segs)-1 {
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			params[name] = rest
			return params, true
		}
		if segs[i] == "" {
			return nil, false
		}
		params[name] = segs[i]
	}
	return params, len(segs) == len(op.segs)
}

// checkParam validates a parameter's string values against its schema.
func (s *Spec) checkParam(p *param, vals []string) error {
	if p == nil {
		return fmt.Errorf("not in the description")
	}
	var v any
	switch p.typ {
	case "array":
		var items []any
		for _, val := range vals {
			for _, part := range strings.Split(val, ",") {
				x, err := convert(p.itemType, part)
				if err != nil {
					return err
				}
				items = append(items, x)
			}
		}
		v = items
	default:
		if len(vals) != 1 {
			return fmt.Errorf("given %d times", len(vals))
		}
		x, err := convert(p.typ, vals[0])
		if err != nil {
			return err
		}
		v = x
	}
	sch, err := s.schema(p.schema)
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func convert(typ, s string) (any, error) {
	switch typ {
	case "integer", "number":
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return json.Number(s), nil
	case "boolean":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean", s)
		}
		return b, nil
	}
	return s, nil
}

func (s *Spec) checkBody(op *operation, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if op.bodyReq {
			return fmt.Errorf("the request body is required")
		}
		return nil
	}
	if op.rawBody {
		return nil
	}
	if op.body == "" {
		return fmt.Errorf("the operation takes no JSON request body, got %q", truncate(string(body), 200))
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the request body is not JSON: %w", err)
	}
	sch, err := s.schema(op.body)
	if err != nil {
		return err
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("the request body does not match the description: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// HasOperation reports whether method and path template name an operation
// (used by tests of the fake itself).
func (s *Spec) HasOperation(method, template string) bool {
	for _, op := range s.ops[strings.ToUpper(method)] {
		if op.template == template {
			return true
		}
	}
	return false
}
