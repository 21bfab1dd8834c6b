package tray

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrorKind says what went wrong with a Tray call, and so whether trying
// again can help.
type ErrorKind int

const (
	// KindTransport: the request did not complete (connection refused,
	// reset, timed out). Retryable.
	KindTransport ErrorKind = iota + 1
	// KindRateLimited: Tray answered 429. Retryable after RetryAfter.
	KindRateLimited
	// KindServer: Tray answered 5xx. Retryable.
	KindServer
	// KindAuth: Tray answered 401 or 403: the token is wrong, expired or
	// lacks the right. Permanent.
	KindAuth
	// KindRequest: Tray answered another 4xx. Permanent.
	KindRequest
	// KindGraphQL: the GraphQL answer carries errors[] (e.g. a missing
	// required value). Permanent: the same request fails the same way.
	KindGraphQL
	// KindDecode: the answer is not what the API documents. Permanent.
	KindDecode
	// KindInput: the call was refused before sending (e.g. a config value
	// that is not JSON). Permanent.
	KindInput
)

var kindNames = map[ErrorKind]string{
	KindTransport: "transport", KindRateLimited: "rate limited", KindServer: "server error",
	KindAuth: "not authorised", KindRequest: "bad request", KindGraphQL: "GraphQL error",
	KindDecode: "unexpected answer", KindInput: "invalid input",
}

func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Error is a failed Tray call. It never carries a token: bodies and
// messages are redacted before they are stored.
type Error struct {
	// Op is what was attempted, e.g. `upgradeSolutionInstance "inst-1"`.
	Op   string
	Kind ErrorKind
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Messages are Tray's own words: the GraphQL errors' messages, or an
	// excerpt of the body. The rollout records them.
	Messages []string
	// RetryAfter is how long Tray asked to wait (429, some 5xx).
	RetryAfter time.Duration
	// Attempts is how many requests were made.
	Attempts int
	Err      error
	// unsent: the request never left (the connection could not be made).
	unsent bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tray: %s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if m := e.Message(); m != "" {
		b.WriteString(": ")
		b.WriteString(m)
	}
	if e.Err != nil && e.Kind != KindGraphQL {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Message is Tray's message, the GraphQL errors joined by "; ".
func (e *Error) Message() string { return strings.Join(e.Messages, "; ") }

// Retryable reports whether the same call may succeed later: transport
// failures, 429 and 5xx.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindTransport, KindRateLimited, KindServer:
		return true
	}
	return false
}

// notExecuted reports whether Tray certainly did not execute the request:
// it answered 429, or the request never left. After a timeout, a 5xx or a
// lost answer nobody knows.
func (e *Error) notExecuted() bool {
	return e.Kind == KindRateLimited || e.Kind == KindTransport && e.unsent || e.Kind == KindInput
}

// MayHaveExecuted reports whether err is a Tray failure after which the
// request may still have been carried out (a timeout, a 5xx, a lost
// answer): re-read the state before repeating it.
func MayHaveExecuted(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable() && !e.notExecuted()
}

// IsRetryable reports whether err is a Tray failure worth retrying later.
// A cancelled context is neither retryable nor permanent.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// IsPermanent reports whether err is a Tray failure that the same call will
// meet again (a GraphQL error, 4xx, a malformed answer or invalid input):
// the rollout records it with Tray's message and moves on.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Retryable()
}
