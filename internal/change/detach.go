package change

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Detach gives the comparison its own copy of every string and value that
// may share memory with the input it was parsed from. The JSON parser
// (internal/jsonpos) hands out strings that point into a file's bytes, so a
// finding that kept one — a slot's title, a changed value — would keep the
// whole file alive after its pair was diffed: memory would grow with the
// number of files compared rather than with the largest pair.
func (c *Comparison) Detach() {
	c.Format, c.Artifact = strings.Clone(c.Format), strings.Clone(c.Artifact)
	c.Base, c.Head = c.Base.detached(), c.Head.detached()
	for i := range c.Findings {
		c.Findings[i].detach()
	}
}

func (d *Declared) detached() *Declared {
	if d == nil {
		return nil
	}
	return &Declared{Version: strings.Clone(d.Version), Location: d.Location.detached()}
}

func (l Location) detached() Location {
	l.File, l.Pointer = strings.Clone(l.File), strings.Clone(l.Pointer)
	return l
}

func (f *Finding) detach() {
	f.Rule, f.Artifact, f.Subject = strings.Clone(f.Rule), strings.Clone(f.Artifact), strings.Clone(f.Subject)
	f.Location = f.Location.detached()
	f.Message, f.Fingerprint = strings.Clone(f.Message), strings.Clone(f.Fingerprint)
	f.Before, f.After = detachValue(f.Before), detachValue(f.After)
	if f.HeadAnchor != nil {
		a := f.HeadAnchor.detached()
		f.HeadAnchor = &a
	}
	if f.Slot != nil {
		s := *f.Slot
		s.ExternalID = strings.Clone(s.ExternalID)
		s.Default = append(json.RawMessage(nil), s.Default...)
		f.Slot = &s
	}
	if f.Accepted != nil {
		a := *f.Accepted
		a.By, a.Reason, a.Via = strings.Clone(a.By), strings.Clone(a.Reason), strings.Clone(a.Via)
		f.Accepted = &a
	}
}

// detachValue copies a value of the kinds findings hold (what
// encoding/json decodes into, json.Number, []string); another kind that
// holds strings is copied through its JSON, which is all a report shows of
// it.
func detachValue(v any) any {
	switch v := v.(type) {
	case nil, bool, int, int64, float64:
		return v
	case string:
		return strings.Clone(v)
	case json.Number:
		return json.Number(strings.Clone(string(v)))
	case json.RawMessage:
		return append(json.RawMessage(nil), v...)
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = strings.Clone(s)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = detachValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[strings.Clone(k)] = detachValue(x)
		}
		return out
	}
	b, err := json.Marshal(v)
	if err != nil || !bytes.ContainsRune(b, '"') {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if dec.Decode(&out) != nil {
		return v
	}
	return out
}
