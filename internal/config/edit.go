package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrCannotEdit says AddAccepted cannot edit the file in place without
// changing its layout (an accepted list written as a non-empty flow
// sequence, an alias, a flow-style file). The caller should show the user
// the entries to add instead.
var ErrCannotEdit = errors.New("the configuration cannot be edited in place")

// AddAccepted returns the configuration file data with entries appended to
// its accepted list (those whose fingerprint is already accepted are left
// out). Everything else — comments, blank lines, quoting, order, line
// endings — stays byte for byte: the YAML nodes only say where the list is,
// and the entries are inserted as text after its last item (or as a new
// accepted key at the end). The result is parsed again and must hold
// exactly the old configuration plus the entries, or it is an error.
func AddAccepted(name string, data []byte, entries []Accepted) ([]byte, error) {
	before, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	var add []Accepted
	for _, e := range entries {
		if !slices.ContainsFunc(before.Accepted, func(a Accepted) bool { return a.Fingerprint == e.Fingerprint }) &&
			!slices.ContainsFunc(add, func(a Accepted) bool { return a.Fingerprint == e.Fingerprint }) {
			add = append(add, Accepted{Fingerprint: e.Fingerprint, By: e.By, Reason: e.Reason})
		}
	}
	if len(add) == 0 {
		return data, nil
	}
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	out, err := insertAccepted(data, root, add)
	if err != nil {
		return nil, err
	}
	after, err := Parse(name, out)
	if err != nil {
		return nil, fmt.Errorf("%w: the edited file does not parse (%v)", ErrCannotEdit, err)
	}
	if !sameApartFromAccepted(before, after, add) {
		return nil, fmt.Errorf("%w: the edit would change more than the accepted list", ErrCannotEdit)
	}
	return out, nil
}

// insertAccepted places the entries as text (see AddAccepted).
func insertAccepted(data []byte, root *yaml.Node, add []Accepted) ([]byte, error) {
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n"
	}
	lines := splitLines(data)
	appendKey := func() []byte {
		out := slices.Clone(data)
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, nl...)
		}
		return append(out, "accepted:"+nl+entriesText(add, "  ", "    ", nl)...)
	}
	if root == nil || isNull(root) {
		return appendKey(), nil
	}
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%w: the file is not a block mapping of keys", ErrCannotEdit)
	}
	at := -1
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "accepted" {
			at = i
		}
	}
	if at < 0 {
		return appendKey(), nil
	}
	key, val := root.Content[at], root.Content[at+1]
	indent := strings.Repeat(" ", key.Column-1)
	switch {
	case val.Kind == yaml.AliasNode || val.Anchor != "":
		return nil, fmt.Errorf("%w: accepted is an alias or an anchor", ErrCannotEdit)
	case isNull(val) || val.Kind == yaml.SequenceNode && val.Style&yaml.FlowStyle != 0 && len(val.Content) == 0:
		// "accepted:", "accepted: ~", "accepted: []": drop the value, keep
		// a comment after it, and start a block list below the key.
		line := lines[key.Line-1]
		if val.Line == key.Line && val.Column > key.Column {
			token := "[]"
			if isNull(val) {
				token = val.Value
			}
			start := val.Column - 1
			if !strings.HasPrefix(line[start:], token) {
				return nil, fmt.Errorf("%w: cannot find the value of accepted on line %d", ErrCannotEdit, key.Line)
			}
			rest := strings.TrimRight(line[start+len(token):], "\r\n")
			line = strings.TrimRight(line[:start], " \t")
			if strings.TrimSpace(rest) != "" {
				line += " " + strings.TrimLeft(rest, " \t")
			}
			line += nl
		}
		lines[key.Line-1] = line + entriesText(add, indent+"  ", indent+"    ", nl)
		return []byte(strings.Join(lines, "")), nil
	case val.Kind == yaml.SequenceNode && val.Style&yaml.FlowStyle == 0:
		dash := strings.Repeat(" ", val.Column-1)
		keys := dash + "  "
		if first := val.Content[0]; first.Kind == yaml.MappingNode && first.Style&yaml.FlowStyle == 0 && first.Column > val.Column {
			keys = strings.Repeat(" ", first.Column-1)
		}
		last := len(lines) // the line after the list: the next key, or the end
		if at+2 < len(root.Content) {
			last = root.Content[at+2].Line - 1
		}
		// Blank lines and comments no deeper than the key belong to what
		// follows the list.
		for last > key.Line {
			t := strings.TrimSpace(lines[last-1])
			ind := len(lines[last-1]) - len(strings.TrimLeft(lines[last-1], " \t"))
			if t != "" && !(strings.HasPrefix(t, "#") && ind <= key.Column-1) {
				break
			}
			last--
		}
		if !strings.HasSuffix(lines[last-1], "\n") {
			lines[last-1] += nl
		}
		lines[last-1] += entriesText(add, dash, keys, nl)
		return []byte(strings.Join(lines, "")), nil
	}
	return nil, fmt.Errorf("%w: accepted is written as a flow list; write it as a block list (one \"- fingerprint:\" entry per item)", ErrCannotEdit)
}

// splitLines splits data after each "\n", keeping the line ends.
func splitLines(data []byte) []string {
	s := string(data)
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// entriesText writes entries as block list items.
func entriesText(entries []Accepted, dash, keys, nl string) string {
	var b strings.Builder
	// The first key goes where the others are: "-   fingerprint:" when
	// the list is written that way.
	first := dash + "-" + strings.Repeat(" ", max(len(keys)-len(dash)-1, 1))
	for _, e := range entries {
		b.WriteString(first + "fingerprint: " + scalar(e.Fingerprint) + nl)
		b.WriteString(keys + "by: " + scalar(e.By) + nl)
		b.WriteString(keys + "reason: " + scalar(e.Reason) + nl)
	}
	return b.String()
}

// scalar is s as a one-line YAML scalar: plain where YAML reads it back as
// the same string, else double-quoted (a JSON string is a valid YAML
// double-quoted scalar).
func scalar(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		if out, err := yaml.Marshal(s); err == nil {
			t := strings.TrimSuffix(string(out), "\n")
			var back string
			if !strings.Contains(t, "\n") && yaml.Unmarshal(out, &back) == nil && back == s {
				return t
			}
		}
	}
	q, _ := json.Marshal(s)
	return string(q)
}

// sameApartFromAccepted reports that after is before with add appended to
// its accepted list, and nothing else changed.
func sameApartFromAccepted(before, after *Config, add []Accepted) bool {
	strip := func(c *Config) (Config, []Accepted) {
		cp := *c
		acc := make([]Accepted, len(c.Accepted))
		for i, a := range c.Accepted {
			acc[i] = Accepted{Fingerprint: a.Fingerprint, By: a.By, Reason: a.Reason}
		}
		cp.Accepted = nil
		cp.Rules = slices.Clone(c.Rules)
		for i := range cp.Rules {
			cp.Rules[i].Line, cp.Rules[i].Column = 0, 0
		}
		return cp, acc
	}
	b, bAcc := strip(before)
	a, aAcc := strip(after)
	return reflect.DeepEqual(b, a) && reflect.DeepEqual(append(bAcc, add...), aAcc)
}
