package runtime

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeAnswer(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		body string
		want answer
		err  bool
	}{
		{body: `{"success":true,"failed":[]}`, want: answer{Success: &yes, Failed: []Failure{}}},
		{body: `{"success":true}`, want: answer{Success: &yes}},
		{body: `{"success":false,"failed":["A","B"],"message":"2 failed"}`, want: answer{Success: &no, Failed: []Failure{{Name: "A"}, {Name: "B"}}, Message: "2 failed"}},
		{body: `{"success":false,"failed":[{"packageName":"vNext.A","error":{"message":"boom"}},{"component":"W","reason":"timeout","extra":1}]}`,
			want: answer{Success: &no, Failed: []Failure{{Name: "vNext.A", Message: "boom"}, {Name: "W", Message: "timeout"}}}},
		{body: `{"failed":[null, 3, {"x":1}, ""]}`, want: answer{Failed: []Failure{{Name: "(unnamed)"}, {Name: "3"}, {Name: `{"x":1}`}, {Name: "(unnamed)"}}}},
		{body: `{"failed":{"B":"slow","A":{"message":"gone"}}}`, want: answer{Failed: []Failure{{Name: "A", Message: "gone"}, {Name: "B", Message: "slow"}}}},
		{body: `{"failed":"A"}`, want: answer{Failed: []Failure{{Name: "A"}}}},
		{body: `{"failed":" "}`, want: answer{}},
		{body: `{"failed":true}`, want: answer{Failed: []Failure{{Message: "failed is true, not a list"}}}, err: true},
		{body: `{"success":"yes"}`, want: answer{Success: &no}, err: true},
		{body: `{"success":null}`, want: answer{Success: &no}, err: true},
		{body: `{"detail":"line1\nline2\t\u0007x"}`, want: answer{Message: "line1 line2 x"}},
		{body: `[]`, err: true},
		{body: `null`, err: true},
		{body: ``, err: true},
	} {
		got := decodeAnswer([]byte(tc.body))
		if (got.err != nil) != tc.err {
			t.Errorf("%s: err = %v, want error %v", tc.body, got.err, tc.err)
		}
		got.err = nil
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(answer{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.body, diff)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"  a \r\n b  ":           "a b",
		"\x1b[31mred\x1b[0m":     "[31mred [0m",
		"bad \xff utf8":          "bad \uFFFD utf8",
		"a\u2028b":               "a b",
		strings.Repeat("é", 600): strings.Repeat("é", maxText-1) + "…",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkText: what the decoder returns is safe to print on one line.
func checkText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00") || utf8.RuneCountInString(s) > maxText {
		t.Fatalf("%s %q is not one clean line of at most %d characters", what, s, maxText)
	}
}

// FuzzDecodeAnswer: any body decodes without panicking into clean text, and
// a body whose failed list is non-empty is never read as a success.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"failed":[]}`,
		`{"success":false,"failed":["a",{"name":"b","error":"c"}]}`,
		`{"failed":{"x":{"error":{"message":"m"}}}}`,
		`{"success":"true"}`,
		`{"message":"m","errors":[{"message":"x"},"y",3]}`,
		`{"success":true,"failed":[null]}`,
		"\xff\xfe",
		`{"failed":[[[[[]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a := decodeAnswer(body)
		checkText(t, "message", a.Message)
		for _, fl := range a.Failed {
			checkText(t, "failure name", fl.Name)
			checkText(t, "failure message", fl.Message)
		}
		var probe struct {
			Failed []json.RawMessage `json:"failed"`
		}
		if json.Unmarshal(body, &probe) == nil && len(probe.Failed) > 0 && len(a.Failed) != len(probe.Failed) {
			t.Fatalf("%d failures read from a list of %d", len(a.Failed), len(probe.Failed))
		}
		success := len(a.Failed) == 0 && (a.Success == nil || *a.Success)
		var strict struct {
			Success *bool
		}
		if success && json.Unmarshal(body, &strict) == nil && strict.Success != nil && !*strict.Success {
			t.Fatalf("success: false read as a success")
		}
	})
}

// FuzzAnswerRoundTrip: a {success, failed[]} answer with any names, and
// any unknown fields beside, reads back as written.
func FuzzAnswerRoundTrip(f *testing.F) {
	f.Add(true, "", "", "extra", "x")
	f.Add(false, "vNext.Account", "Account.Workflow", "requestId", "r-1")
	f.Add(false, "a\nb", "ü", "failed2", "[1]")
	f.Fuzz(func(t *testing.T, success bool, name1, name2, extraKey, extraValue string) {
		if extraKey == "success" || extraKey == "failed" || extraKey == "" {
			return
		}
		names := []string{}
		for _, n := range []string{name1, name2} {
			if n != "" {
				names = append(names, n)
			}
		}
		m := map[string]any{"success": success, "failed": names, extraKey: extraValue}
		body, err := json.Marshal(m)
		if err != nil {
			return
		}
		a := decodeAnswer(body)
		if a.Success == nil || *a.Success != success || a.err != nil {
			t.Fatalf("success = %v, err %v; want %v", a.Success, a.err, success)
		}
		if len(a.Failed) != len(names) {
			t.Fatalf("read %d failures, wrote %d", len(a.Failed), len(names))
		}
		for i, n := range names {
			// encoding/json writes each invalid byte as U+FFFD.
			var sent string
			b, _ := json.Marshal(n)
			json.Unmarshal(b, &sent)
			want := orUnnamed(cleanText(sent))
			if a.Failed[i].Name != want {
				t.Fatalf("failure %d = %q, want %q", i, a.Failed[i].Name, want)
			}
		}
	})
}
