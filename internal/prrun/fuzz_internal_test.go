package prrun

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/config"
)

// FuzzParseLabelNames: any input either fails with a message or, applied
// over the default configuration, yields label names GitHub accepts that
// are distinct from each other, so the acceptance label is never one the
// run applies itself.
func FuzzParseLabelNames(f *testing.F) {
	f.Add("breaking=api-break\nsemver-major: major")
	f.Add("# comment\n\nauth=x:y=z")
	f.Add("colour=red")
	f.Add("accepted=Breaking-Change")
	f.Add("auth=a,b")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseLabelNames(s)
		if err != nil {
			return
		}
		c := config.Default()
		if err := (inputs{labelNames: m}).apply(c); err != nil {
			return
		}
		seen := map[string]bool{}
		for _, k := range config.LabelKeys() {
			v := *c.Labels.Name(k)
			lower := strings.ToLower(v)
			if strings.TrimSpace(v) == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > 50 || strings.ContainsAny(v, ",\n") || seen[lower] {
				t.Fatalf("parsed %q → %q=%q", s, k, v)
			}
			seen[lower] = true
		}
	})
}

// FuzzDecodeEvent: no payload panics the decoder, and a decoded event
// always names a pull request and both commits.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(`{"action":"opened","number":1,"pull_request":{"number":1,"head":{"sha":"a","repo":{"full_name":"o/r"}},"base":{"sha":"b","repo":{"full_name":"o/r"}}}}`)
	f.Add(`{"action":"labeled","label":{"name":"x"},"pull_request":{"number":2,"head":{"sha":"a","repo":null},"base":{"sha":"b"}}}`)
	f.Add(`{"pull_request":null}`)
	f.Fuzz(func(t *testing.T, payload string) {
		for _, name := range []string{"pull_request", "pull_request_target"} {
			ev, err := decodeEvent(name, []byte(payload))
			if err != nil {
				continue
			}
			if ev.Number == 0 || ev.HeadSHA == "" || ev.BaseSHA == "" {
				t.Fatalf("decoded %+v from %q", ev, payload)
			}
		}
	})
}
