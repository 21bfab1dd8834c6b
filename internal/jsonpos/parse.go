package jsonpos

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 10000

// Doc is a parsed JSON file.
type Doc struct {
	File string
	Src  []byte
	Root *Value

	lineStarts []int // offsets where each line begins; built on first use
}

// SyntaxError is invalid JSON, located by file, line and column (1-based).
type SyntaxError struct {
	File   string
	Offset int
	Line   int
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: invalid JSON: %s", e.File, e.Line, e.Column, e.Msg)
}

// Parse parses src, the content of file. src must not change afterwards:
// strings without escapes point into it.
func Parse(file string, src []byte) (*Doc, error) {
	d := &Doc{File: file, Src: src}
	p := parser{src: src}
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		p.pos = 3
	}
	p.skipSpace()
	root, err := p.value(0)
	if err == nil {
		p.skipSpace()
		if p.pos < len(src) {
			err = p.fail("unexpected %s after the top-level value", p.describe())
		}
	}
	if err != nil {
		se := err.(*SyntaxError)
		se.File = file
		se.Line, se.Column = d.Position(se.Offset)
		return nil, se
	}
	d.Root = &root
	return d, nil
}

// Position converts a byte offset into a 1-based line and column; the column
// counts characters, not bytes, as editors and GitHub annotations do.
func (d *Doc) Position(off int) (line, col int) {
	if d.lineStarts == nil {
		n := bytes.Count(d.Src, []byte{'\n'})
		starts := make([]int, 1, n+1)
		for i := 0; ; {
			j := bytes.IndexByte(d.Src[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			starts = append(starts, i)
		}
		d.lineStarts = starts
	}
	off = max(0, min(off, len(d.Src)))
	l := sort.Search(len(d.lineStarts), func(i int) bool { return d.lineStarts[i] > off }) - 1
	return l + 1, utf8.RuneCount(d.Src[d.lineStarts[l]:off]) + 1
}

// PositionOf is Position for a value; (0, 0) for nil.
func (d *Doc) PositionOf(v *Value) (line, col int) {
	if v == nil {
		return 0, 0
	}
	return d.Position(v.Off)
}

type parser struct {
	src   []byte
	pos   int
	stack []Value // children being collected, shared by all levels
	slab  []Value // free space that finished child lists are carved from
}

func (p *parser) fail(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) describe() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if depth > MaxDepth {
		return Value{}, p.fail("nesting deeper than %d levels", MaxDepth)
	}
	if p.pos >= len(p.src) {
		return Value{}, p.fail("unexpected end of input, expected a value")
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		return Value{Kind: String, Off: start, Text: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", Bool)
	case c == 'f':
		return p.literal("false", Bool)
	case c == 'n':
		return p.literal("null", Null)
	}
	return Value{}, p.fail("unexpected %s, expected a value", p.describe())
}

func (p *parser) literal(word string, k Kind) (Value, error) {
	if !bytes.HasPrefix(p.src[p.pos:], []byte(word)) {
		return Value{}, p.fail("unexpected %s, expected %q", p.describe(), word)
	}
	v := Value{Kind: k, Off: p.pos}
	if k == Bool {
		v.Text = word
	}
	p.pos += len(word)
	return v, nil
}

func (p *parser) number() (Value, error) {
	start := p.pos
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		p.pos = i
		return Value{}, p.fail("invalid number: expected a digit")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			p.pos = i
			return Value{}, p.fail("invalid number: expected a digit after the decimal point")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = i
			return Value{}, p.fail("invalid number: expected a digit in the exponent")
		}
	}
	p.pos = i
	return Value{Kind: Number, Off: start, Text: p.share(start, i)}, nil
}

// share returns src[i:j] as a string without copying.
func (p *parser) share(i, j int) string {
	if i == j {
		return ""
	}
	return unsafe.String(&p.src[i], j-i)
}

// str parses a string starting at the opening quote.
func (p *parser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	s := p.src
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			p.pos = i + 1
			return p.share(start, i), nil
		case c == '\\':
			p.pos = i
			return p.escapedStr(start)
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character %U in string", rune(c))
		}
	}
	p.pos = len(s)
	return "", p.fail("unterminated string")
}

// escapedStr finishes a string that has escapes, from its content start.
func (p *parser) escapedStr(start int) (string, error) {
	s := p.src
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, s[start:p.pos]...)
	for i := p.pos; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character %U in string", rune(c))
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			p.pos = len(s)
			return "", p.fail("unterminated string")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				p.pos = i
				return "", p.fail(`invalid \u escape`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			p.pos = i
			return "", p.fail("invalid escape %q in string", string(s[i:i+2]))
		}
		i += 2
	}
	p.pos = len(s)
	return "", p.fail("unterminated string")
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (p *parser) array(depth int) (Value, error) {
	v := Value{Kind: Array, Off: p.pos}
	p.pos++
	mark := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		elem, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		p.stack = append(p.stack, elem)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return Value{}, p.fail("unexpected end of input, expected ',' or ']'")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			continue
		case ']':
			p.pos++
			v.Kids = p.take(mark)
			return v, nil
		}
		return Value{}, p.fail("unexpected %s, expected ',' or ']'", p.describe())
	}
}

func (p *parser) object(depth int) (Value, error) {
	v := Value{Kind: Object, Off: p.pos}
	p.pos++
	mark := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return Value{}, p.fail("unexpected %s, expected a member name in double quotes", p.describe())
		}
		key, err := p.str()
		if err != nil {
			return Value{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return Value{}, p.fail("unexpected %s, expected ':' after member name", p.describe())
		}
		p.pos++
		p.skipSpace()
		member, err := p.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		member.Key = key
		p.stack = append(p.stack, member)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return Value{}, p.fail("unexpected end of input, expected ',' or '}'")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			continue
		case '}':
			p.pos++
			v.Kids = p.take(mark)
			return v, nil
		}
		return Value{}, p.fail("unexpected %s, expected ',' or '}'", p.describe())
	}
}

// take moves the children collected since mark into their own slice, carved
// from a slab so that millions of small lists cost few allocations.
func (p *parser) take(mark int) []Value {
	n := len(p.stack) - mark
	if n > len(p.slab) {
		size := max(n, min(4096, max(64, len(p.src)/256)))
		p.slab = make([]Value, size)
	}
	kids := p.slab[:n:n]
	p.slab = p.slab[n:]
	copy(kids, p.stack[mark:])
	clear(p.stack[mark:]) // drop references so finished subtrees can be collected
	p.stack = p.stack[:mark]
	return kids
}
