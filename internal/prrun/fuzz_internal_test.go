package prrun

import (
	"strings"
	"testing"
)

// FuzzParseLabelNames: any input either fails with a message or yields
// known keys with usable names.
func FuzzParseLabelNames(f *testing.F) {
	f.Add("breaking=api-break\nsemver-major: major")
	f.Add("# comment\n\nauth=x:y=z")
	f.Add("colour=red")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseLabelNames(s)
		if err != nil {
			return
		}
		for k, v := range m {
			if labelKeys[k] == nil || v == "" || len(v) > 50 || strings.ContainsAny(v, "\n") {
				t.Fatalf("parsed %q → %q=%q", s, k, v)
			}
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
