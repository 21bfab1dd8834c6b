package formattest

import (
	"fmt"
	"strconv"
	"testing"
)

// FuzzParseCorpus: reading a corpus entry never panics, and what it reads
// is what the fuzzer would write back.
func FuzzParseCorpus(f *testing.F) {
	f.Add([]byte("go test fuzz v1\nbyte('\\x06')\n[]byte(\"{\\\"a\\\": 1}\")\n"))
	f.Add([]byte("go test fuzz v1\nstring(`raw`)\nbool(true)\nint(-3)\nuint8(255)\n"))
	f.Add([]byte("go test fuzz v1\nbyte('\\u0082')\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := ParseCorpus(data)
		if err != nil {
			return
		}
		out := "go test fuzz v1\n"
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				out += "[]byte(" + strconv.Quote(string(v)) + ")\n"
			case string:
				out += "string(" + strconv.Quote(v) + ")\n"
			case uint8:
				out += fmt.Sprintf("uint8(%d)\n", v)
			case bool:
				out += fmt.Sprintf("bool(%t)\n", v)
			case int:
				out += fmt.Sprintf("int(%d)\n", v)
			}
		}
		again, err := ParseCorpus([]byte(out))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(vals) {
			t.Fatalf("%q reads as %v, written back as %q, read again as %v (%v)", data, vals, out, again, err)
		}
	})
}
