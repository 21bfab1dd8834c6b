package traytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// gqlRequest is the only request body shape accepted.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// gqlError is an error the executor answers with. Permanent ones come from
// resolvers (Tray's refusals); invalid requests also fail the test.
type gqlError struct {
	msg string
}

func (e *gqlError) Error() string { return e.msg }

func errorf(format string, args ...any) error { return &gqlError{msg: fmt.Sprintf(format, args...)} }

// invalid answers a request the client should never have sent: the test
// fails and the client gets GraphQL errors with 400.
func (s *Server) invalid(w http.ResponseWriter, query string, msgs ...string) {
	s.t.Errorf("traytest: invalid GraphQL request: %s\nquery:\n%s", strings.Join(msgs, "; "), query)
	errs := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		errs[i] = map[string]any{"message": m}
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"errors": errs})
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]any{{"message": "Unauthorized"}}})
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.invalid(w, "", fmt.Sprintf("Content-Type %q, want application/json", ct))
		return
	}
	var req gqlRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.invalid(w, "", "request body: "+err.Error())
		return
	}
	doc, errs := gqlparser.LoadQueryWithRules(s.schema, req.Query, nil)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Message
		}
		s.invalid(w, req.Query, msgs...)
		return
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		s.invalid(w, req.Query, fmt.Sprintf("no operation %q in the document", req.OperationName))
		return
	}
	for name := range req.Variables {
		if op.VariableDefinitions.ForName(name) == nil {
			s.invalid(w, req.Query, fmt.Sprintf("variable $%s is not declared by the operation", name))
			return
		}
	}
	vars, err := validator.VariableValues(s.schema, op, req.Variables)
	if err != nil {
		s.invalid(w, req.Query, err.Error())
		return
	}
	if msg := checkJSONStrings(op, vars); msg != "" {
		s.invalid(w, req.Query, msg)
		return
	}
	x := &execution{s: s, doc: doc, vars: vars, who: p, w: w, r: r}
	x.run(op)
}

// checkJSONStrings enforces what the SDL says in a comment: a ConfigValue's
// Json value travels as JSON inside a string.
func checkJSONStrings(op *ast.OperationDefinition, vars map[string]any) string {
	for _, d := range op.VariableDefinitions {
		if d.Type.Name() != "UpgradeSolutionInstanceInput" && d.Type.Name() != "UpdateSolutionInstanceInput" {
			continue
		}
		in, _ := vars[d.Variable].(map[string]any)
		cvs, _ := in["configValues"].([]any)
		for i, cv := range cvs {
			m, _ := cv.(map[string]any)
			v, present := m["value"]
			if !present || v == nil {
				continue
			}
			str, ok := v.(string)
			if !ok || !json.Valid([]byte(str)) {
				return fmt.Sprintf("$%s.configValues[%d].value must be JSON inside a string, got %T %v", d.Variable, i, v, v)
			}
		}
	}
	return ""
}

// execution runs one validated operation.
type execution struct {
	s    *Server
	doc  *ast.QueryDocument
	vars map[string]any
	who  principal
	w    http.ResponseWriter
	r    *http.Request
	// call is the log entry; resolvers fill it.
	call Call
	// lost: FaultLoseResponse hit after executing.
	lost *Fault
	// collected caches collect: every instance of a page shares one
	// selection set.
	collected map[collectKey][]collected
}

type collectKey struct {
	first ast.Selection
	n     int
	typ   string
}

// object is a value of a GraphQL object type.
type object interface {
	typeName() string
	field(x *execution, f *ast.Field, args map[string]any) (any, error)
}

func (x *execution) run(op *ast.OperationDefinition) {
	var root object
	switch op.Operation {
	case ast.Query:
		root = queryRoot{}
	case ast.Mutation:
		root = mutationRoot{}
	default:
		x.s.invalid(x.w, "", "subscriptions are not served")
		return
	}
	fields := x.collect(op.SelectionSet, root.typeName())
	if op.Operation == ast.Mutation && len(fields) != 1 {
		// One call per request keeps the call log exact; Breakwater never batches.
		x.s.invalid(x.w, "", fmt.Sprintf("a mutation request must call exactly one mutation, not %d", len(fields)))
		return
	}
	x.call.Op = x.opName(fields)
	for _, f := range fields {
		if f.field.Name == "__schema" || f.field.Name == "__type" {
			x.s.invalid(x.w, "", "introspection is not served")
			return
		}
	}
	x.call.Principal = x.who.String()
	if f := x.s.fault(x.call.Op, upgradeTarget(fields, x.vars)); f != nil {
		if f.Kind != FaultLoseResponse {
			x.call.InstanceID = upgradeTarget(fields, x.vars)
			x.s.applyFault(x.w, x.r, f, x.call)
			return
		}
		x.lost = f
	}
	var b bytes.Buffer
	b.WriteString(`{"data":`)
	var err error
	if op.Operation == ast.Query {
		x.s.mu.RLock()
		err = x.writeFields(&b, root, fields)
		x.s.mu.RUnlock()
	} else {
		err = x.writeFields(&b, root, fields) // resolvers lock for themselves
	}
	if err != nil {
		x.call.Error = err.Error()
		x.s.record(x.call)
		writeJSON(x.w, http.StatusOK, map[string]any{"data": nil, "errors": []map[string]any{{"message": err.Error()}}})
		return
	}
	b.WriteString("}")
	if x.lost != nil {
		x.call.Fault, x.call.Status = FaultLoseResponse, http.StatusBadGateway
		x.s.record(x.call)
		writeJSON(x.w, http.StatusBadGateway, map[string]any{"message": "Bad Gateway"})
		return
	}
	x.s.record(x.call)
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(http.StatusOK)
	x.w.Write(b.Bytes())
}

// opName names a request in the call log and for faults: the mutation, or
// the Viewer field a query reads.
func (x *execution) opName(fields []collected) string {
	if len(fields) == 0 {
		return ""
	}
	if fields[0].field.Name == "viewer" {
		if inner := x.collect(fields[0].sel, "Viewer"); len(inner) > 0 {
			return inner[0].field.Name
		}
	}
	return fields[0].field.Name
}

// upgradeTarget is the instance an upgrade mutation names, for faults.
func upgradeTarget(fields []collected, vars map[string]any) string {
	for _, f := range fields {
		if f.field.Name == OpUpgrade {
			in, _ := f.field.ArgumentMap(vars)["input"].(map[string]any)
			id, _ := in["solutionInstanceId"].(string)
			return id
		}
	}
	return ""
}

// collected is a response key and the fields merged under it.
type collected struct {
	key   string
	field *ast.Field
	sel   ast.SelectionSet
}

// collect flattens a selection set for an object of type typeName:
// fragments, @skip/@include, and fields merged by response key.
func (x *execution) collect(sel ast.SelectionSet, typeName string) []collected {
	if len(sel) == 0 {
		return nil
	}
	key := collectKey{sel[0], len(sel), typeName}
	if c, ok := x.collected[key]; ok {
		return c
	}
	out := x.collectOnce(sel, typeName)
	if x.collected == nil {
		x.collected = map[collectKey][]collected{}
	}
	x.collected[key] = out
	return out
}

func (x *execution) collectOnce(sel ast.SelectionSet, typeName string) []collected {
	var out []collected
	index := map[string]int{}
	var walk func(ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if !x.included(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if i, ok := index[key]; ok {
					out[i].sel = append(out[i].sel, s.SelectionSet...)
					continue
				}
				index[key] = len(out)
				out = append(out, collected{key: key, field: s, sel: append(ast.SelectionSet(nil), s.SelectionSet...)})
			case *ast.FragmentSpread:
				if x.included(s.Directives) && s.Definition != nil && s.Definition.TypeCondition == typeName {
					walk(s.Definition.SelectionSet)
				}
			case *ast.InlineFragment:
				if x.included(s.Directives) && (s.TypeCondition == "" || s.TypeCondition == typeName) {
					walk(s.SelectionSet)
				}
			}
		}
	}
	walk(sel)
	return out
}

func (x *execution) included(ds ast.DirectiveList) bool {
	if d := ds.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(x.vars)["if"].(bool); v {
			return false
		}
	}
	if d := ds.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(x.vars)["if"].(bool); !v {
			return false
		}
	}
	return true
}

func (x *execution) writeFields(b *bytes.Buffer, obj object, fields []collected) error {
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, f.key)
		b.WriteByte(':')
		if f.field.Name == "__typename" {
			writeString(b, obj.typeName())
			continue
		}
		v, err := obj.field(x, f.field, f.field.ArgumentMap(x.vars))
		if err != nil {
			return err
		}
		if err := x.writeValue(b, f.field.Definition.Type, v, f.sel); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func (x *execution) writeValue(b *bytes.Buffer, t *ast.Type, v any, sel ast.SelectionSet) error {
	if v == nil {
		if t.NonNull {
			return errorf("internal: null for non-null %s", t.String())
		}
		b.WriteString("null")
		return nil
	}
	if t.Elem != nil {
		b.WriteByte('[')
		switch l := v.(type) {
		case []object:
			for i, o := range l {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := x.writeValue(b, t.Elem, o, sel); err != nil {
					return err
				}
			}
		case []string:
			for i, s := range l {
				if i > 0 {
					b.WriteByte(',')
				}
				writeString(b, s)
			}
		default:
			return errorf("internal: list %s resolved to %T", t.String(), v)
		}
		b.WriteByte(']')
		return nil
	}
	switch val := v.(type) {
	case string:
		writeString(b, val)
	case bool:
		if val {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		fmt.Fprint(b, val)
	case time.Time:
		writeString(b, val.UTC().Format(time.RFC3339))
	case json.RawMessage:
		b.Write(val)
	case object:
		return x.writeFields(b, val, x.collect(sel, val.typeName()))
	default:
		return errorf("internal: %s resolved to %T", t.String(), v)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			enc, _ := json.Marshal(s)
			b.Write(enc)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}
