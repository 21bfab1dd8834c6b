package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the values one file may expand to, so that aliases that
// refer to each other cannot make a small file decode into a huge one.
const maxNodes = 10000

// Parse reads a configuration file; name is the path shown in errors. Keys
// the file leaves out keep their Default values. Errors are *Error, or Errors
// when there are several, each naming the line, the column and the key.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	c.Path = name
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil { // empty file or only comments
		return c, nil
	}
	d := &decoder{file: name, at: map[string]*yaml.Node{}, bad: map[string]bool{}, badInside: map[string]bool{}}
	if root.Kind != yaml.MappingNode && !isNull(root) {
		d.errorf(root, "the configuration must be a mapping of keys, not %s", describe(root))
		return nil, d.errs.err()
	}
	d.decode(root, "", reflect.ValueOf(c).Elem())
	if d.nodes <= maxNodes { // else the values are cut short: nothing to check
		d.complete(c)
		d.validate(c)
	}
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	yamlErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// parserProblems are the YAML library's parser errors, whose line it counts
// from 0 (its scanner errors count from 1).
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// parseYAML returns the root value of the only document in data, nil for an
// empty one.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, data, err)
	default:
		return nil, &Error{File: name, Line: next.Line, Column: next.Column,
			Msg: "only one YAML document is allowed (remove the second \"---\")"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// syntaxError turns the YAML library's "yaml: line N: msg" into an *Error
// with the 1-based line.
func syntaxError(name string, data []byte, err error) error {
	e := &Error{File: name}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlErrorLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserProblems[msg] {
			e.Line++
		}
		e.Line = problemLine(data, e.Line, msg)
	} else if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		e.Line, e.Column = find(data, "*"+m[1])
	} else if !strings.Contains(msg, "past the end") {
		// Without a line the library means the first one.
		e.Line = 1
	}
	// The end of a file without a final newline is still its last line.
	e.Line = min(e.Line, lineCount(data))
	e.Msg = "invalid YAML: " + msg
	return e
}

// problemLine is where the problem is, not where the construct it is in
// began: the library names the line a list or a scalar started on
// ("rules:\n  - rule: x\n   severity: y" is wrong on line 3, not 2). It is
// the first line, from the one the library named, at which the document
// read so far fails with the same message.
func problemLine(data []byte, line int, msg string) int {
	const maxSearch = 200 // configurations are short; stop a pathological search
	ends := lineEnds(data)
	for l := max(line, 1); l <= len(ends) && l < line+maxSearch; l++ {
		var n yaml.Node
		err := yaml.Unmarshal(data[:ends[l-1]], &n)
		if err != nil && strings.HasSuffix(err.Error(), ": "+msg) {
			return l
		}
	}
	return line
}

// lineEnds are the offsets just past each line's end.
func lineEnds(data []byte) []int {
	var ends []int
	for i, c := range data {
		if c == '\n' || c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && (len(ends) == 0 || ends[len(ends)-1] != len(data)) {
		ends = append(ends, len(data))
	}
	return ends
}

// lineCount counts lines as YAML does: \n, \r\n, a lone \r, NEL, LS and PS
// each end one.
func lineCount(data []byte) int {
	n := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch r {
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				size++
			}
			n++
		case '\n', '\u0085', '\u2028', '\u2029':
			n++
		}
		i += size
	}
	return n
}

// find returns the 1-based line and column of the first s in data.
func find(data []byte, s string) (line, col int) {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0, 0
	}
	before := data[:i]
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
}

// decoder fills a Config from YAML nodes by the `yaml` tags of its types,
// collecting every error with its position.
type decoder struct {
	file  string
	errs  Errors
	nodes int
	// at holds the node of every value the file sets, by its path as errors
	// name it ("rules[0].severity"), so that checks after decoding can point
	// at the line.
	at map[string]*yaml.Node
	// bad holds the paths whose value or keys were wrong, so that checks
	// after decoding do not report the same mistake a second time.
	bad       map[string]bool
	badInside map[string]bool // paths with a wrong value at or under them
	// alias is the last alias followed, where a file that expands too much
	// is reported.
	alias *yaml.Node
}

// wrong reports a mistake in the value at path and remembers it.
func (d *decoder) wrong(path string, n *yaml.Node, format string, args ...any) {
	d.bad[path] = true
	for p := path; p != ""; {
		d.badInside[p] = true
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	d.errorf(n, format, args...)
}

// broken says whether the value at path, or one inside it, was wrong.
func (d *decoder) broken(path string) bool { return d.badInside[path] }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: d.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// errorAt reports at the value with this path, or at the nearest enclosing
// value the file sets.
func (d *decoder) errorAt(path string, format string, args ...any) {
	if d.bad[path] {
		return
	}
	d.errorf(d.node(path), format, args...)
}

func (d *decoder) node(path string) *yaml.Node {
	for {
		if n := d.at[path]; n != nil {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return nil
		}
		path = path[:i]
	}
}

// has says whether the file sets the value at path.
func (d *decoder) has(path string) bool { return d.at[path] != nil }

var durationType = reflect.TypeFor[time.Duration]()

// decode stores the value of n in v. where is the path of the value for
// messages; "" is the whole file.
func (d *decoder) decode(n *yaml.Node, where string, v reflect.Value) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errorf(cmp.Or(d.alias, n), "the configuration has more than %d values (aliases that expand too much?)", maxNodes)
		}
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		d.alias = n
		n = n.Alias
	}
	if isNull(n) {
		// "rules:" with its entries commented out: keep the default.
		if v.Kind() == reflect.Slice || v.Kind() == reflect.Struct {
			return
		}
		d.wrong(where, n, "%s has no value: give one or remove the key", where)
		return
	}
	d.at[where] = n
	switch {
	case v.Type() == durationType:
		s, ok := d.scalar(n, where, "!!str", "a duration such as \"90s\" or \"10m\"")
		if !ok {
			return
		}
		t, err := time.ParseDuration(s)
		if err != nil || !durationPattern.MatchString(s) {
			d.wrong(where, n, "%s must be a duration such as \"90s\" or \"10m\", not %s", where, describe(n))
			return
		}
		v.SetInt(int64(t))
	case v.Kind() == reflect.Struct:
		d.mapping(n, where, v)
	case v.Kind() == reflect.Slice:
		d.sequence(n, where, v)
	case v.Kind() == reflect.String:
		tag := "!!str"
		if n.Tag == "!!timestamp" {
			tag = "!!timestamp" // "reason: 2024-05-01" is text to YAML 1.2 and to editors
		}
		if s, ok := d.scalar(n, where, tag, "a string"); ok {
			v.SetString(s)
		}
	case v.Kind() == reflect.Bool:
		if _, ok := d.scalar(n, where, "!!bool", "true or false"); ok {
			var b bool
			if err := n.Decode(&b); err != nil {
				d.wrong(where, n, "%s must be true or false, not %s", where, describe(n))
				return
			}
			v.SetBool(b)
		}
	case v.Kind() == reflect.Int:
		want := "!!int"
		if n.Tag == "!!float" {
			want = "!!float" // 4.0 is a whole number to JSON Schema too
		}
		if _, ok := d.scalar(n, where, want, "a whole number"); ok {
			var f float64
			if err := n.Decode(&f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				d.wrong(where, n, "%s must be a whole number, not %s", where, describe(n))
				return
			}
			v.SetInt(int64(f))
		}
	case v.Kind() == reflect.Float64:
		want := "!!float"
		if n.Tag == "!!int" {
			want = "!!int"
		}
		if _, ok := d.scalar(n, where, want, "a number"); ok {
			var f float64
			if err := n.Decode(&f); err != nil {
				d.wrong(where, n, "%s must be a number, not %s", where, describe(n))
				return
			}
			v.SetFloat(f)
		}
	default:
		panic(fmt.Sprintf("config: no decoder for %s (%s)", v.Type(), where))
	}
}

// scalar returns the text of n when it is a scalar with the YAML tag the
// field needs, and reports that it must be `want` otherwise.
func (d *decoder) scalar(n *yaml.Node, where, tag, want string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == tag {
		return n.Value, true
	}
	hint := ""
	if want == "a string" && n.Kind == yaml.ScalarNode {
		hint = " (put it in quotes)"
	}
	d.wrong(where, n, "%s must be %s, not %s%s", where, want, describe(n), hint)
	return "", false
}

func (d *decoder) mapping(n *yaml.Node, where string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.wrong(where, n, "%s must be a mapping of keys, not %s", where, describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode || isNull(key) {
			d.wrong(where, key, "keys%s must be names, not %s", in(where), describe(key))
			continue
		}
		name := key.Value
		if first := seen[name]; first != nil {
			d.wrong(where, key, "duplicate key %q%s (first at line %d)", name, in(where), first.Line)
			continue
		}
		seen[name] = key
		f, ok := fieldIndex(fields, name)
		if !ok {
			if key.Tag == "!!merge" {
				d.wrong(where, key, "merge keys (\"<<\") are not supported%s; repeat the keys instead", in(where))
				continue
			}
			d.wrong(where, key, "unknown key %q%s%s", name, in(where), suggest(name, fieldNames(fields)))
			continue
		}
		d.decode(val, join(where, name), v.Field(f))
	}
}

func (d *decoder) sequence(n *yaml.Node, where string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.wrong(where, n, "%s must be a list, not %s", where, describe(n))
		return
	}
	items := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		if isNull(item) {
			d.wrong(fmt.Sprintf("%s[%d]", where, i), item, "%s[%d] is empty: give a value or remove the \"-\"", where, i)
			continue
		}
		elem := items.Index(i)
		if def, ok := elem.Addr().Interface().(interface{ setDefaults() }); ok {
			def.setDefaults()
		}
		d.decode(item, fmt.Sprintf("%s[%d]", where, i), elem)
	}
	v.Set(items)
}

// setDefaults gives a list entry the values of the keys it leaves out.
func (a *Artifact) setDefaults() { a.Format = FormatAuto }

// complete derives what depends on what the file set.
func (d *decoder) complete(c *Config) {
	c.ArtifactsSet = d.has("artifacts")
	if c.Runtime.Variant == VariantAPIPackage && !d.has("runtime.path") {
		c.Runtime.Path = APIPackageRuntimePath
	}
	for i := range c.Rules {
		if n := d.node(fmt.Sprintf("rules[%d].rule", i)); n != nil {
			c.Rules[i].Line, c.Rules[i].Column = n.Line, n.Column
		}
	}
	for i := range c.Accepted {
		if n := d.node(fmt.Sprintf("accepted[%d]", i)); n != nil {
			c.Accepted[i].Line, c.Accepted[i].Column = n.Line, n.Column
		}
	}
	for i := range c.Environments {
		e := &c.Environments[i]
		where := fmt.Sprintf("environments[%d]", i)
		if d.has(where + ".runtime") {
			r := &e.Runtime
			if r.Variant == "" {
				r.Variant = c.Runtime.Variant
			}
			if r.Path == "" {
				// The top-level path belongs to the top-level variant.
				r.Path = c.Runtime.Path
				if r.Variant != c.Runtime.Variant {
					r.Path = map[string]string{VariantDefault: DefaultRuntimePath, VariantAPIPackage: APIPackageRuntimePath}[r.Variant]
				}
			}
			if r.Timeout == 0 && !d.has(where+".runtime.timeout") {
				r.Timeout = c.Runtime.Timeout
			}
			if r.TokenEnv == "" && !d.has(where+".runtime.token-env") {
				r.TokenEnv = DefaultTokenEnv("RUNTIME_TOKEN", e.Name)
			}
		}
		if d.has(where+".tray") && e.Tray.TokenEnv == "" && !d.has(where+".tray.token-env") {
			e.Tray.TokenEnv = DefaultTokenEnv("TRAY_TOKEN", e.Name)
		}
	}
}

type field struct {
	name  string
	index int
}

// yamlFields lists the keys of a struct type: its `yaml` tags, in order.
func yamlFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fs = append(fs, field{name, i})
	}
	return fs
}

func fieldIndex(fs []field, name string) (int, bool) {
	for _, f := range fs {
		if f.name == name {
			return f.index, true
		}
	}
	return 0, false
}

func fieldNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names what a node is, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if isNull(n) {
		return "nothing"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "…"
	}
	switch n.Tag {
	case "!!str":
		return strconv.Quote(v)
	case "!!int", "!!float", "!!bool", "!!timestamp":
		return v
	}
	return n.Tag + " " + strconv.Quote(v) // !!binary or a custom tag
}

func in(where string) string {
	if where == "" {
		return ""
	}
	return " in " + where
}

func join(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

// suggest returns ` (did you mean "x"?)` for the known name closest to a
// mistyped one, or "" when none is close.
func suggest(got string, known []string) string {
	best, bestDist := "", 0
	for _, k := range known {
		dist := editDistance(got, k)
		if normalize(got) == normalize(k) {
			dist = 0
		}
		if best == "" || dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" || bestDist > 2 || bestDist*3 > utf8.RuneCountInString(best) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// normalize lets failOn, fail_on and FAIL-ON all suggest fail-on.
func normalize(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
}

// editDistance is the Levenshtein distance between a and b in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 64 // too long to be a typo of a key
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
