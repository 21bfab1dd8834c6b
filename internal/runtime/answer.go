package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/breakwater-dev/breakwater/internal/clip"
)

// maxText is the most characters kept of one text from the runtime.
const maxText = 500

// answer is what is read of a runtime's answer. Unknown fields are
// ignored; the known ones are read leniently where their meaning is clear
// and fail closed where it is not.
type answer struct {
	// Success is the "success" field, nil when absent.
	Success *bool
	// Failed is the "failed" list (or map of name to reason).
	Failed []Failure
	// Message is the runtime's message: "message", "error", "detail", …
	Message string
	// err says why the body is not a readable {success, failed[]} object.
	err error
}

var (
	nameKeys    = []string{"name", "packageName", "package", "component", "workflow", "id", "key", "path", "file"}
	messageKeys = []string{"message", "error", "reason", "detail", "details", "description", "title", "msg", "error_description"}
)

// decodeAnswer reads a runtime answer; it never fails, a body it cannot read
// is recorded in err.
func decodeAnswer(raw []byte) answer {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return answer{err: errors.New("the answer is empty")}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return answer{err: errors.New("the answer is not a JSON object")}
	}
	var a answer
	if v, ok := obj["success"]; ok {
		var b bool
		if err := json.Unmarshal(v, &b); err != nil || isNull(v) {
			// "success": "false" must not pass for a success.
			a.err = fmt.Errorf("success is %s, not a boolean", clip.Runes(string(v), 40))
			f := false
			a.Success = &f
		} else {
			a.Success = &b
		}
	}
	if v, ok := obj["failed"]; ok {
		failed, err := decodeFailed(v)
		if err != nil {
			a.err = err
			// An unreadable list of failures is a failure.
			failed = []Failure{{Message: err.Error()}}
		}
		a.Failed = failed
	}
	a.Message = messageOf(obj)
	return a
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// decodeFailed reads the failed field: a list of names or objects, or an
// object of name to reason.
func decodeFailed(v json.RawMessage) ([]Failure, error) {
	v = bytes.TrimSpace(v)
	if isNull(v) {
		return nil, nil
	}
	switch v[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, fmt.Errorf("failed is not a readable list: %v", err)
		}
		out := make([]Failure, 0, len(items))
		for _, it := range items {
			out = append(out, failureOf(it))
		}
		return out, nil
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, fmt.Errorf("failed is not a readable object: %v", err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([]Failure, 0, len(keys))
		for _, k := range keys {
			f := failureOf(m[k])
			if f.Name != "" && f.Message == "" {
				// {"Workflow": "timed out"} names the reason, not the part.
				f.Message = f.Name
			}
			f.Name = cleanText(k)
			out = append(out, f)
		}
		return out, nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("failed is not readable: %v", err)
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		return []Failure{{Name: cleanText(s)}}, nil
	}
	return nil, fmt.Errorf("failed is %s, not a list", clip.Runes(string(v), 40))
}

// failureOf reads one entry of the failed list.
func failureOf(v json.RawMessage) Failure {
	v = bytes.TrimSpace(v)
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return Failure{Name: orUnnamed(cleanText(s))}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err == nil && obj != nil {
		f := Failure{Name: firstString(obj, nameKeys), Message: messageOf(obj)}
		if f.Name == "" && f.Message == "" {
			f.Name = cleanText(string(v))
		}
		return f
	}
	if isNull(v) {
		return Failure{Name: "(unnamed)"}
	}
	return Failure{Name: orUnnamed(cleanText(string(v)))}
}

func orUnnamed(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}

// messageOf finds the message of an object: a string under one of
// messageKeys, an {"error": {"message": …}} object, or an "errors" list.
func messageOf(obj map[string]json.RawMessage) string {
	for _, k := range messageKeys {
		v, ok := obj[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			if s = cleanText(s); s != "" {
				return s
			}
			continue
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(v, &inner) == nil && inner != nil {
			if s := firstString(inner, messageKeys); s != "" {
				return s
			}
		}
	}
	if v, ok := obj["errors"]; ok {
		var items []json.RawMessage
		if json.Unmarshal(v, &items) == nil {
			var parts []string
			for _, it := range items {
				var s string
				if json.Unmarshal(it, &s) == nil {
					s = cleanText(s)
				} else if f := failureOf(it); f.Message != "" {
					s = f.String()
				}
				if s != "" {
					parts = append(parts, s)
				}
			}
			return clip.Runes(strings.Join(parts, "; "), maxText)
		}
	}
	return ""
}

func firstString(obj map[string]json.RawMessage, keys []string) string {
	for _, k := range keys {
		var s string
		if v, ok := obj[k]; ok && json.Unmarshal(v, &s) == nil {
			if s = cleanText(s); s != "" {
				return s
			}
		}
	}
	return ""
}

// message is what an error answer says: its message field, else the body
// itself when it is short text.
func (a answer) message(raw []byte) string {
	if a.Message != "" {
		return a.Message
	}
	body := bytes.TrimSpace(raw)
	if len(body) == 0 || body[0] == '{' || body[0] == '[' || body[0] == '<' {
		// An HTML error page says nothing a person can act on.
		return ""
	}
	return cleanText(string(body))
}

// cleanText makes text from the runtime safe to print on one line: valid
// UTF-8, no control characters (no injected log lines or workflow commands),
// runs of space collapsed, at most maxText characters.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return clip.Runes(b.String(), maxText)
}
