// Package jsonpos parses JSON into a tree that remembers where every value
// starts, so a finding can name the exact line and column of what it is about.
//
// It is built for large exports: one pass over the bytes, strings without
// escapes share the input's memory, and children are carved from slabs instead
// of growing slices. The input must not be modified after Parse.
package jsonpos

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Kind is the JSON type of a value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "unknown"
}

// Value is one JSON value and where it starts in the source.
type Value struct {
	Kind Kind
	// Off is the byte offset of the value's first byte in Doc.Src.
	Off int
	// Key is the member name when the value sits in an object.
	Key string
	// Text is the unescaped content of a string, the literal of a number, or
	// "true"/"false" for a boolean.
	Text string
	// Kids are an array's elements or an object's members, in document order.
	Kids []Value
}

// Get returns the object member named key, or nil. With duplicate keys the
// last one wins, as in encoding/json.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i := len(v.Kids) - 1; i >= 0; i-- {
		if v.Kids[i].Key == key {
			return &v.Kids[i]
		}
	}
	return nil
}

// Path follows object keys from v; nil when any step is missing.
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Index returns the i-th element of an array, or nil.
func (v *Value) Index(i int) *Value {
	if v == nil || v.Kind != Array || i < 0 || i >= len(v.Kids) {
		return nil
	}
	return &v.Kids[i]
}

// Len is the number of elements or members; 0 for scalars and nil.
func (v *Value) Len() int {
	if v == nil {
		return 0
	}
	return len(v.Kids)
}

// Is reports whether v exists and has kind k.
func (v *Value) Is(k Kind) bool { return v != nil && v.Kind == k }

// Str returns the string content when v is a string.
func (v *Value) Str() (string, bool) {
	if v == nil || v.Kind != String {
		return "", false
	}
	return v.Text, true
}

// StrOr returns the string content, or def when v is not a string.
func (v *Value) StrOr(def string) string {
	if s, ok := v.Str(); ok {
		return s
	}
	return def
}

// Truthy reports whether v is the boolean true.
func (v *Value) Truthy() bool { return v != nil && v.Kind == Bool && v.Text == "true" }

// Float returns a number's value.
func (v *Value) Float() (float64, bool) {
	if v == nil || v.Kind != Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Text, 64)
	return f, err == nil
}

// Interface converts v to the plain Go values encoding/json would produce,
// with numbers as json.Number so that they print exactly as written.
func (v *Value) Interface() any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case Bool:
		return v.Text == "true"
	case Number:
		return json.Number(v.Text)
	case String:
		return v.Text
	case Array:
		out := make([]any, len(v.Kids))
		for i := range v.Kids {
			out[i] = v.Kids[i].Interface()
		}
		return out
	case Object:
		out := make(map[string]any, len(v.Kids))
		for i := range v.Kids {
			out[v.Kids[i].Key] = v.Kids[i].Interface()
		}
		return out
	}
	return nil
}

// Find resolves an RFC 6901 JSON pointer from v; nil when it leads nowhere.
func (v *Value) Find(pointer string) *Value {
	if pointer == "" {
		return v
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = UnescapeToken(tok)
		switch {
		case v == nil:
			return nil
		case v.Kind == Object:
			v = v.Get(tok)
		case v.Kind == Array:
			i, err := strconv.Atoi(tok)
			if err != nil {
				return nil
			}
			v = v.Index(i)
		default:
			return nil
		}
	}
	return v
}

var (
	tokenEscaper   = strings.NewReplacer("~", "~0", "/", "~1")
	tokenUnescaper = strings.NewReplacer("~1", "/", "~0", "~")
)

// EscapeToken escapes one JSON pointer reference token.
func EscapeToken(s string) string { return tokenEscaper.Replace(s) }

// UnescapeToken reverses EscapeToken.
func UnescapeToken(s string) string { return tokenUnescaper.Replace(s) }

// Pointer joins reference tokens (strings or ints) under a base pointer.
func Pointer(base string, tokens ...any) string {
	var b strings.Builder
	b.WriteString(base)
	for _, t := range tokens {
		b.WriteByte('/')
		switch t := t.(type) {
		case string:
			b.WriteString(EscapeToken(t))
		case int:
			b.WriteString(strconv.Itoa(t))
		default:
			panic("jsonpos.Pointer: token must be string or int")
		}
	}
	return b.String()
}

// Equal reports whether a and b are the same JSON value, ignoring key order
// and number formatting (1.0 equals 1).
func Equal(a, b *Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case Number:
		if a.Text == b.Text {
			return true
		}
		fa, oka := a.Float()
		fb, okb := b.Float()
		return oka && okb && fa == fb
	case Array:
		if len(a.Kids) != len(b.Kids) {
			return false
		}
		for i := range a.Kids {
			if !Equal(&a.Kids[i], &b.Kids[i]) {
				return false
			}
		}
		return true
	case Object:
		// Members compare by key with the last duplicate winning, as Get
		// does, so an object with a repeated key equals itself.
		am, bm := members(a), members(b)
		if len(am) != len(bm) {
			return false
		}
		for k, av := range am {
			if !Equal(av, bm[k]) {
				return false
			}
		}
		return true
	default:
		return a.Text == b.Text
	}
}

// members maps an object's keys to their values, the last duplicate winning.
func members(v *Value) map[string]*Value {
	m := make(map[string]*Value, len(v.Kids))
	for i := range v.Kids {
		m[v.Kids[i].Key] = &v.Kids[i]
	}
	return m
}

// Canonical returns v as compact JSON with object keys sorted, numbers
// normalised and insignificant whitespace removed: the same value always
// gives the same text, however it was formatted.
func Canonical(v *Value) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v *Value) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch v.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		b.WriteString(v.Text)
	case Number:
		if f, ok := v.Float(); ok {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		} else {
			b.WriteString(v.Text)
		}
	case String:
		b.WriteString(strconv.Quote(v.Text))
	case Array:
		b.WriteByte('[')
		for i := range v.Kids {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, &v.Kids[i])
		}
		b.WriteByte(']')
	case Object:
		idx := make([]int, len(v.Kids))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool { return v.Kids[idx[i]].Key < v.Kids[idx[j]].Key })
		b.WriteByte('{')
		for n, i := range idx {
			if n > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(v.Kids[i].Key))
			b.WriteByte(':')
			writeCanonical(b, &v.Kids[i])
		}
		b.WriteByte('}')
	}
}
