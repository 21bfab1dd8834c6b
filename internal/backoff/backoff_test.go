package backoff

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"0", 0, true},
		{" 120 ", 2 * time.Minute, true},
		{"Sun, 01 Jun 2025 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Jun-25 12:01:00 GMT", time.Minute, true},
		{"Sun Jun  1 12:00:05 2025", 5 * time.Second, true},
		{"Sun, 01 Jun 2025 11:00:00 GMT", 0, true},
		{"Sun, 01 Jun 2025 12:00:30 UTC", 0, false}, // RFC 9110 dates are GMT
		{"99999999999999999999999", MaxRetryAfter, true},
		{"Mon, 31 Dec 9999 23:59:59 GMT", MaxRetryAfter, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{"soon", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseRetryAfterRoundsDatesUp(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 400*int(time.Millisecond), time.UTC)
	got, ok := ParseRetryAfter("Sun, 01 Jun 2025 12:00:30 GMT", now)
	if !ok || got != 30*time.Second {
		t.Errorf("got %v, %v; want 30s (29.6s rounded up)", got, ok)
	}
}

// FuzzParseRetryAfter: never negative, never beyond the bound, whole
// seconds, a number of seconds reads as exactly that many, and nothing
// unreadable yields a wait.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", " 7 ", "-1", "1.5", "1e3", "soon", "99999999999999999999",
		"Sun, 01 Jun 2025 12:00:30 GMT", "Sunday, 01-Jun-25 12:00:30 GMT", "Sun Jun  1 12:00:30 2025",
		"Mon, 31 Dec 9999 23:59:59 GMT"} {
		f.Add(s)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if d < 0 || d > MaxRetryAfter || (!ok && d != 0) || d%time.Second != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", v, d, ok)
		}
		trimmed := strings.TrimSpace(v)
		if trimmed == "" && ok {
			t.Fatalf("empty %q read as present", v)
		}
		if isDigits(trimmed) && len(trimmed) < 8 {
			var n int64
			for _, c := range trimmed {
				n = n*10 + int64(c-'0')
			}
			if !ok || d != time.Duration(n)*time.Second {
				t.Fatalf("ParseRetryAfter(%q) = %v, %v; want %ds", v, d, ok, n)
			}
		}
	})
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if time.Since(start) > time.Minute {
		t.Fatal("Sleep did not return when its context was cancelled")
	}
}
