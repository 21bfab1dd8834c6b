package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/breakwater-dev/breakwater/internal/change"
)

const schemaPath = "../../schema/breakwater.schema.json"

// loadSchema returns the schema both raw (to walk) and compiled (to
// validate with).
func loadSchema(t testing.TB) (map[string]any, *jsonschema.Schema) {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaPath, doc); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaPath, err)
	}
	return doc.(map[string]any), compiled
}

// yamlToJSON reads a YAML document as an editor's YAML 1.2 language server
// sees it: a JSON value. An empty document is an empty object. Merge keys
// stay ordinary keys, as the Go parser sees them.
func yamlToJSON(data []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return map[string]any{}, nil
		}
		return nil, err
	}
	if err := dec.Decode(&next); err != io.EOF {
		return nil, fmt.Errorf("not one YAML document: %v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		return map[string]any{}, nil
	}
	budget := maxNodes * 10
	return nodeToJSON(doc.Content[0], &budget)
}

func nodeToJSON(n *yaml.Node, budget *int) (any, error) {
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("too many values")
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := nodeToJSON(n.Content[i], budget)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			if _, dup := m[ks]; dup {
				return nil, fmt.Errorf("duplicate key %q", ks)
			}
			if m[ks], err = nodeToJSON(n.Content[i+1], budget); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		s := []any{}
		for _, item := range n.Content {
			v, err := nodeToJSON(item, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	var v any
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		v = new(bool)
	case "!!int":
		v = new(int64)
	case "!!float":
		v = new(float64)
	default: // !!str, !!timestamp, !!merge, !!binary and custom tags
		return n.Value, nil
	}
	if err := n.Decode(v); err != nil {
		return nil, err
	}
	return reflect.ValueOf(v).Elem().Interface(), nil
}

// schemaKeys lists the keys the schema allows, by path: "" for the top
// level, "rules[]" for the entries of rules, "signing.policy" and so on.
func schemaKeys(t *testing.T, root, s map[string]any, path string, into map[string][]string) {
	if ref, ok := s["$ref"].(string); ok {
		def, ok := root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			t.Fatalf("%s: unresolved $ref %q", path, ref)
		}
		s = def
	}
	if items, ok := s["items"].(map[string]any); ok {
		schemaKeys(t, root, items, path+"[]", into)
		return
	}
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return
	}
	if s["additionalProperties"] != false {
		t.Errorf("schema at %q allows additional properties; the parser does not", path)
	}
	for k, v := range props {
		into[path] = append(into[path], k)
		schemaKeys(t, root, v.(map[string]any), join(path, k), into)
	}
	sort.Strings(into[path])
}

// goKeys lists the keys the parser accepts, by the same paths.
func goKeys(typ reflect.Type, path string, into map[string][]string) {
	switch {
	case typ == durationType:
	case typ.Kind() == reflect.Slice:
		goKeys(typ.Elem(), path+"[]", into)
	case typ.Kind() == reflect.Struct:
		for _, f := range yamlFields(typ) {
			into[path] = append(into[path], f.name)
			goKeys(typ.Field(f.index).Type, join(path, f.name), into)
		}
		sort.Strings(into[path])
	}
}

func TestSchemaKeysMatchParser(t *testing.T) {
	root, _ := loadSchema(t)
	fromSchema, fromGo := map[string][]string{}, map[string][]string{}
	schemaKeys(t, root, root, "", fromSchema)
	goKeys(reflect.TypeFor[Config](), "", fromGo)
	if diff := cmp.Diff(fromGo, fromSchema); diff != "" {
		t.Errorf("keys differ (-Go +schema):\n%s", diff)
	}
	if len(fromGo[""]) != 14 || len(fromGo["rules[]"]) != 4 || len(fromGo["signing.policy"]) != 3 {
		t.Errorf("walked too little: %v", fromGo)
	}
}

// schemaAt returns the schema value at a JSON pointer.
func schemaAt(t *testing.T, root map[string]any, pointer string) any {
	var v any = root
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("schema has nothing at %s", pointer)
		}
		v = m[tok]
	}
	return v
}

func TestSchemaPatternsMatchParser(t *testing.T) {
	root, _ := loadSchema(t)
	for pointer, re := range map[string]string{
		"/properties/rules/items/properties/rule/pattern":           ruleIDPattern.String(),
		"/properties/accepted/items/properties/fingerprint/pattern": fingerprintPattern.String(),
		"/properties/packages/items/properties/npm/pattern":         npmNamePattern.String(),
		"/properties/version/properties/pointer/pattern":            pointerPattern.String(),
		"/$defs/duration/pattern":                                   durationPattern.String(),
		"/$defs/httpURL/pattern":                                    httpURLPattern.String(),
		"/$defs/label/maxLength":                                    fmt.Sprint(maxLabelLength),
		"/$defs/label/pattern":                                      labelPattern.String(),
		"/properties/packages/items/properties/npm/maxLength":       fmt.Sprint(maxNPMNameLength),
	} {
		if got := fmt.Sprint(schemaAt(t, root, pointer)); got != re {
			t.Errorf("schema %s = %s, parser uses %s", pointer, got, re)
		}
	}
	for pointer, want := range map[string][]string{
		"/properties/fail-on/enum":                               change.FailOnValues(),
		"/properties/artifacts/items/properties/format/enum":     Formats(),
		"/properties/rules/items/properties/severity/enum":       severities,
		"/properties/runtime/properties/variant/enum":            {VariantDefault, VariantAPIPackage},
		"/properties/signing/properties/mode/enum":               {SigningKeyless, SigningKey, SigningNone},
		"/properties/rules/items/required":                       {"rule"},
		"/properties/accepted/items/required":                    {"fingerprint", "by", "reason"},
		"/properties/packages/items/required":                    {"runtime", "npm"},
		"/properties/artifacts/items/required":                   {"paths"},
		"/properties/signing/properties/policy/not/required":     {"identity", "public-key"},
		"/properties/rules/items/not/required":                   {"severity", "ignore"},
		"/properties/signing/then/required":                      {"key"},
		"/properties/signing/if/properties/mode/const:as a list": {SigningKey},
	} {
		pointer, single := strings.CutSuffix(pointer, ":as a list")
		v := schemaAt(t, root, pointer)
		if single {
			v = []any{v}
		}
		var got []string
		for _, e := range v.([]any) {
			got = append(got, e.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("schema %s = %q, parser uses %q", pointer, got, want)
		}
	}
}

// TestSchemaDefaultsMatchDefault sets each key to the schema's default and
// expects Default(); and every key whose Go default is not zero must show
// its default in the schema.
func TestSchemaDefaultsMatchDefault(t *testing.T) {
	root, _ := loadSchema(t)
	defaults := map[string]any{}
	var walk func(s map[string]any, path []string)
	walk = func(s map[string]any, path []string) {
		if d, ok := s["default"]; ok {
			defaults[strings.Join(path, ".")] = plainNumbers(d)
		}
		props, _ := s["properties"].(map[string]any)
		for k, v := range props {
			walk(v.(map[string]any), append(slices.Clone(path), k))
		}
	}
	walk(root, nil)

	want := Default()
	want.Path = file
	for path, value := range defaults {
		doc := map[string]any{}
		m, keys := doc, strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m[k] = map[string]any{}
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = value
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(file, data)
		if err != nil {
			t.Errorf("schema default of %s: %v", path, err)
			continue
		}
		got.ArtifactsSet = false
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("schema default of %s differs from Default() (-Default +schema):\n%s", path, diff)
		}
	}

	var check func(v reflect.Value, path string)
	check = func(v reflect.Value, path string) {
		if v.Kind() == reflect.Struct && v.Type() != durationType {
			for _, f := range yamlFields(v.Type()) {
				check(v.Field(f.index), join(path, f.name))
			}
			return
		}
		if _, ok := defaults[path]; !ok && !v.IsZero() {
			t.Errorf("schema shows no default for %s (Go default %v)", path, v.Interface())
		}
	}
	check(reflect.ValueOf(*Default()), "")
	if len(defaults) < 20 {
		t.Errorf("found only %d schema defaults", len(defaults))
	}
}

// plainNumbers turns the schema's json.Numbers into Go numbers, so that
// they marshal as YAML numbers.
func plainNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = plainNumbers(e)
		}
	}
	return v
}

// testdataConfigs are the configuration files under testdata that parse.
func testdataConfigs(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/valid/*.yml")
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	return files
}

func TestSchemaAcceptsTestdata(t *testing.T) {
	_, schema := loadSchema(t)
	for _, name := range testdataConfigs(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(name, data); err != nil {
				t.Errorf("Parse: %v", err)
			}
			v, err := yamlToJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(v); err != nil {
				t.Errorf("schema rejects %s: %v", name, err)
			}
		})
	}
}

// TestSchemaAgreesWithParser: what the parser accepts the schema accepts,
// and what it rejects the schema rejects, except for the mistakes a JSON
// Schema cannot express (marked in errorCases).
func TestSchemaAgreesWithParser(t *testing.T) {
	_, schema := loadSchema(t)
	for _, tt := range validCases {
		v, err := yamlToJSON([]byte(tt.yaml))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("%s: the parser accepts it, the schema does not: %v", tt.name, err)
		}
	}
	for _, tt := range errorCases {
		v, err := yamlToJSON([]byte(tt.yaml))
		if err == nil {
			err = schema.Validate(v)
		}
		switch {
		case err == nil && !tt.schemaAccepts:
			t.Errorf("%s: the parser rejects it, the schema accepts it", tt.name)
		case err != nil && tt.schemaAccepts:
			t.Errorf("%s: marked schemaAccepts, but the schema rejects it: %v", tt.name, err)
		}
	}
}
