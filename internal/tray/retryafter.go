package tray

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter clamps absurd Retry-After values so durations cannot
// overflow; the client refuses to wait anywhere near this long anyway.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): a number of
// seconds or an HTTP date, relative to now. A date in the past is 0. It
// reports false when the value is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			// All digits but too large for 64 bits is still "very long".
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return maxRetryAfter, true
			}
			return 0, false
		}
		if n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxRetryAfter:
		return maxRetryAfter, true
	}
	// Round up: waiting a fraction of a second too little means another 429.
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return d, true
}
