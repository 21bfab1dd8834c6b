package formattest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ParseCorpus reads one entry of a Go fuzz corpus (testdata/fuzz/FuzzX/…,
// "go test fuzz v1" and one value per line), so the pairs the fuzzer found
// can be replayed through other tests. It knows the types the repository's
// fuzz targets take: []byte, string, byte/uint8, bool and int.
func ParseCorpus(data []byte) ([]any, error) {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "go test fuzz v1" {
		return nil, fmt.Errorf("not a fuzz corpus entry: missing the %q header", "go test fuzz v1")
	}
	var out []any
	for _, line := range lines[1:] {
		open := strings.IndexByte(line, '(')
		if open < 0 || !strings.HasSuffix(line, ")") {
			return nil, fmt.Errorf("corpus line %q: want type(value)", line)
		}
		typ, lit := line[:open], line[open+1:len(line)-1]
		switch typ {
		case "[]byte", "string":
			s, err := strconv.Unquote(lit)
			if err != nil {
				return nil, fmt.Errorf("corpus line %q: %w", line, err)
			}
			if typ == "string" {
				out = append(out, s)
			} else {
				out = append(out, bytes.Clone([]byte(s)))
			}
		case "byte", "uint8":
			var v uint64
			var err error
			if strings.HasPrefix(lit, "'") {
				// The fuzzer writes a byte as a rune literal: '\x06', '\u0082'.
				var s string
				if s, err = strconv.Unquote(lit); err == nil {
					r := []rune(s)
					if len(r) != 1 || r[0] > 0xff {
						err = fmt.Errorf("%s is not one byte", lit)
					} else {
						v = uint64(r[0])
					}
				}
			} else {
				v, err = strconv.ParseUint(lit, 0, 8)
			}
			if err != nil {
				return nil, fmt.Errorf("corpus line %q: %w", line, err)
			}
			out = append(out, uint8(v))
		case "bool":
			v, err := strconv.ParseBool(lit)
			if err != nil {
				return nil, fmt.Errorf("corpus line %q: %w", line, err)
			}
			out = append(out, v)
		case "int":
			v, err := strconv.ParseInt(lit, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("corpus line %q: %w", line, err)
			}
			out = append(out, int(v))
		default:
			return nil, fmt.Errorf("corpus line %q: type %s is not supported", line, typ)
		}
	}
	return out, nil
}
