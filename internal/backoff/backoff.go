// Package backoff holds what every HTTP client of Breakwater (GitHub, npm
// registry, vNext runtime, Tray) needs to wait politely: reading a
// Retry-After header and sleeping that cancels with its context. It is
// pure: no network, no clock of its own.
package backoff

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter bounds a parsed Retry-After, far above any client's own
// limit (a client refuses waits anywhere near this long), so that huge
// numbers cannot overflow a Duration.
const MaxRetryAfter = 365 * 24 * time.Hour

// httpDates are the three date forms RFC 9110 §5.6.7 requires a recipient
// to accept: IMF-fixdate and the obsolete RFC 850 and asctime forms.
var httpDates = [...]string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
}

// ParseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay
// seconds or an HTTP date, relative to now. ok is false when the header is
// absent or unreadable. A date in the past is a wait of zero; a date is
// rounded up to whole seconds, because waiting a fraction too little only
// earns another 429.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil || s > uint64(MaxRetryAfter/time.Second) {
			// Too many digits for a number: a very long wait all the same.
			return MaxRetryAfter, true
		}
		return time.Duration(s) * time.Second, true
	}
	for _, layout := range httpDates {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		d := min(max(t.Sub(now), 0), MaxRetryAfter)
		if r := d % time.Second; r != 0 {
			d += time.Second - r
		}
		return d, true
	}
	return 0, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Sleep waits for d, or until ctx ends and then returns its error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
