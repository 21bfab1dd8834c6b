package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxLabelLength is GitHub's limit for a label name, in characters.
const maxLabelLength = 50

// labelPattern is a name with something besides spaces and no comma: the
// `labels` output and the action's label inputs separate names with commas.
// It is also the JSON Schema's pattern for a label.
var labelPattern = regexp.MustCompile(`^[^,]*[^,\s][^,]*$`)

// LabelKeys are the keys of the labels section, in the file's order.
func LabelKeys() []string { return fieldNames(yamlFields(reflect.TypeFor[Labels]())) }

// Name is where the label of key is kept, nil for a key that does not
// exist.
func (l *Labels) Name(key string) *string {
	i, ok := fieldIndex(yamlFields(reflect.TypeFor[Labels]()), key)
	if !ok {
		return nil
	}
	return reflect.ValueOf(l).Elem().Field(i).Addr().Interface().(*string)
}

// LabelProblem is a label name that cannot be used.
type LabelProblem struct {
	// Key is the labels key whose name is wrong, e.g. "accepted".
	Key string
	// Message says what is wrong, naming keys the way the user set them.
	Message string
}

// CheckLabels validates label names the one way the configuration file and
// the action's label-names input share: each must be non-empty, valid
// UTF-8, at most 50 characters, free of commas, and distinct from every other key's name as
// GitHub compares names (ignoring case). Distinct names are what keeps the
// acceptance label apart from the labels Breakwater applies itself, so that
// the tool can never accept its own breaking changes.
//
// source says where a key's name came from: how to name it in a message
// (e.g. "labels.auth") and whether the user set it. Names the user set are
// checked last, so that a clash is reported on the name they wrote.
func CheckLabels(l Labels, source func(key string) (where string, set bool)) []LabelProblem {
	keys := LabelKeys()
	var defaults, set []string
	for _, k := range keys {
		if _, s := source(k); s {
			set = append(set, k)
		} else {
			defaults = append(defaults, k)
		}
	}
	var out []LabelProblem
	first := map[string]string{} // lower-cased name → key
	for _, key := range append(defaults, set...) {
		name := *l.Name(key)
		where, _ := source(key)
		problem := func(format string, args ...any) {
			out = append(out, LabelProblem{Key: key, Message: where + " " + fmt.Sprintf(format, args...)})
		}
		switch n := utf8.RuneCountInString(name); {
		case strings.TrimSpace(name) == "":
			problem("must not be empty")
		case !utf8.ValidString(name):
			problem("%q is not valid UTF-8", name)
		case n > maxLabelLength:
			problem("must be at most %d characters (GitHub's limit), not %d", maxLabelLength, n)
		case !labelPattern.MatchString(name):
			problem("%q must not contain a comma (label lists are comma-separated)", name)
		case first[strings.ToLower(name)] != "":
			other, _ := source(first[strings.ToLower(name)])
			problem("%q is also %s; each label needs its own name", name, other)
		default:
			first[strings.ToLower(name)] = key
		}
	}
	return out
}
