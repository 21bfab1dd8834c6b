package vnext

import (
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// The vendor's JSON Schemas, copied verbatim from @burgan-tech/vnext-schema.
//
//go:embed schemas/*.schema.json
var schemaFiles embed.FS

// schemaFor names the vendor schema that validates each component kind.
// core-header and core-schema are embedded for completeness but validate
// special schema components the differ never reads.
var schemaFor = map[Kind]string{
	KindWorkflow:  "workflow-definition.schema.json",
	KindTask:      "task-definition.schema.json",
	KindSchema:    "schema-definition.schema.json",
	KindView:      "view-definition.schema.json",
	KindFunction:  "function-definition.schema.json",
	KindExtension: "extension-definition.schema.json",
	KindMapping:   "mapping-definition.schema.json",
}

// Parser parses vNext packages and definitions. It holds the compiled vendor
// schemas, so make one and reuse it; it is safe for concurrent use.
type Parser struct {
	schemas map[Kind]*jsonschema.Schema
	printer *message.Printer

	// verdicts caches validation results by kind and file digest: a pull
	// request leaves most files unchanged, and base and head then validate
	// once. It is bounded, as a long-running bot reuses one Parser.
	mu       sync.Mutex
	verdicts map[verdictKey]*schemaViolation

	// trusted skips schema validation (see Trusted).
	trusted bool
}

// Trusted returns a parser that reads definitions without validating them
// against the vendor schemas, for the base side of a comparison: the base was
// accepted before, and a pull request that fixes a violation must not fail
// because the base still has it. Types the rules read are still checked.
func (p *Parser) Trusted() *Parser {
	return &Parser{schemas: p.schemas, printer: p.printer, verdicts: map[verdictKey]*schemaViolation{}, trusted: true}
}

type verdictKey struct {
	kind   Kind
	digest [sha256.Size]byte
}

// maxVerdicts bounds the validation cache; past it the cache starts over.
const maxVerdicts = 1 << 14

// schemaViolation is one significant schema error, before it is located in
// a particular file.
type schemaViolation struct {
	pointer string
	msg     string
}

// NewParser compiles the vendor schemas.
func NewParser() (*Parser, error) {
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(compileECMARegexp)
	c.UseLoader(noNetwork{})
	kinds := make([]Kind, 0, len(schemaFor))
	for k := range schemaFor {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	p := &Parser{
		schemas:  make(map[Kind]*jsonschema.Schema, len(schemaFor)),
		printer:  message.NewPrinter(language.English),
		verdicts: make(map[verdictKey]*schemaViolation),
	}
	for _, k := range kinds {
		name := schemaFor[k]
		f, err := schemaFiles.Open("schemas/" + name)
		if err != nil {
			return nil, fmt.Errorf("vnext: embedded schema %s: %w", name, err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("vnext: embedded schema %s: %w", name, err)
		}
		url := "mem:///schemas/" + name
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("vnext: embedded schema %s: %w", name, err)
		}
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("vnext: compiling schema %s: %w", name, err)
		}
		p.schemas[k] = s
	}
	return p, nil
}

// noNetwork refuses to load any schema that is not embedded: validation must
// never reach out to the network.
type noNetwork struct{}

func (noNetwork) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded", url)
}

// validateAll validates components on every core: validation costs about
// as much as decoding the file, and packages hold hundreds of workflows. The
// error returned is the first in component order, whatever finished first.
func (p *Parser) validateAll(cs []*Component) error {
	errs := make([]error, len(cs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(cs); i = int(next.Add(1) - 1) {
				errs[i] = p.validate(cs[i])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// validate checks a component against its kind's vendor schema. A violation
// is an input/schema-violation located at the offending value.
func (p *Parser) validate(c *Component) error {
	if p.trusted || c.unchanged {
		return nil
	}
	k, doc := c.Kind, c.doc
	sch := p.schemas[k]
	if sch == nil {
		return nil
	}
	key := verdictKey{kind: k, digest: sha256.Sum256(doc.Src)}
	p.mu.Lock()
	v, seen := p.verdicts[key]
	p.mu.Unlock()
	if !seen {
		v = p.check(sch, c.root)
		p.mu.Lock()
		if len(p.verdicts) >= maxVerdicts {
			clear(p.verdicts)
		}
		p.verdicts[key] = v
		p.mu.Unlock()
	}
	if v == nil {
		return nil
	}
	return &change.InputError{
		Rule:     change.RuleSchemaViolation,
		Location: formats.Locate(doc, v.pointer),
		Msg:      fmt.Sprintf("schema violation (%s): %s", schemaFor[k], v.msg),
	}
}

// check validates root and returns its first significant violation, or nil.
func (p *Parser) check(sch *jsonschema.Schema, root *jsonpos.Value) *schemaViolation {
	err := sch.Validate(root.Interface())
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return &schemaViolation{msg: err.Error()}
	}
	leaves := significant(verr)
	if len(leaves) == 0 {
		return nil
	}
	// Report the deepest violation: it is the most specific one, and the
	// others are usually its consequences (a oneOf that matched nothing).
	best := leaves[0]
	for _, l := range leaves[1:] {
		if len(l.InstanceLocation) > len(best.InstanceLocation) {
			best = l
		}
	}
	ptr := jsonpos.Pointer("", toAny(best.InstanceLocation)...)
	msg := fmt.Sprintf("%s: %s", displayPointer(ptr), best.ErrorKind.LocalizedString(p.printer))
	if n := len(leaves) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return &schemaViolation{pointer: ptr, msg: msg}
}

func displayPointer(ptr string) string {
	if ptr == "" {
		return "the document"
	}
	return ptr
}

func toAny(tokens []string) []any {
	out := make([]any, len(tokens))
	for i, t := range tokens {
		out[i] = t
	}
	return out
}

// significant returns the leaf errors that make the instance invalid once
// unknown members are allowed.
//
// The vendor schemas forbid unknown members (additionalProperties: false),
// but the product parses tolerantly (docs/formats.md: unknown fields are ignored,
// never an error), and the vendor's own core package carries members its
// schemas do not list (startTransition.view, a Dapr service task's
// config.data). So additionalProperties failures are dropped, and a oneOf or
// anyOf counts as satisfied when a branch failed for that reason alone.
// alternatives judges a keyword whose causes are failed alternatives (or
// items): one that only failed on unknown members satisfies the keyword.
func alternatives(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	var all []*jsonschema.ValidationError
	for _, c := range e.Causes {
		s := significant(c)
		if len(s) == 0 {
			return nil
		}
		all = append(all, s...)
	}
	if len(all) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	return all
}

func significant(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		return nil
	case *kind.OneOf:
		if k.Subschemas != nil { // valid against more than one: a real error
			return []*jsonschema.ValidationError{e}
		}
		return alternatives(e)
	case *kind.AnyOf, *kind.Contains, *kind.MinContains:
		return alternatives(e)
	}
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var all []*jsonschema.ValidationError
	for _, c := range e.Causes {
		all = append(all, significant(c)...)
	}
	return all
}

// compileECMARegexp compiles a schema pattern. The schemas are written for
// JavaScript (ajv); Go's regexp lacks lookahead, which the ISO 8601 duration
// patterns use right after a literal prefix ("^P(?=\d|T\d)…"). Such a pattern
// is the conjunction of the prefix followed by the lookahead and the pattern
// without it, which Go can evaluate exactly. Any other unsupported construct
// fails the compilation, so a new vendor schema cannot be half-checked.
func compileECMARegexp(pattern string) (jsonschema.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err == nil {
		return re, nil
	}
	const look = "(?="
	i := strings.Index(pattern, look)
	if i < 0 || !strings.HasPrefix(pattern, "^") || regexp.QuoteMeta(pattern[1:i]) != pattern[1:i] {
		return nil, err
	}
	end := closingParen(pattern, i)
	if end < 0 {
		return nil, err
	}
	prefix := pattern[:i]
	ahead, aheadErr := regexp.Compile(prefix + "(?:" + pattern[i+len(look):end] + ")")
	rest, restErr := regexp.Compile(prefix + pattern[end+1:])
	if aheadErr != nil || restErr != nil {
		return nil, err
	}
	return lookahead{src: pattern, ahead: ahead, rest: rest}, nil
}

// closingParen returns the index of the parenthesis closing the group that
// opens at open, or -1.
func closingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

type lookahead struct {
	src         string
	ahead, rest *regexp.Regexp
}

func (l lookahead) MatchString(s string) bool {
	return l.ahead.MatchString(s) && l.rest.MatchString(s)
}

func (l lookahead) String() string { return l.src }
