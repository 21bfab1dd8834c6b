package signing

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The error classes. Every error Verify returns is one of them (errors.Is);
// the CLI exits 1 for ErrNotVerified and 2 for anything else.
var (
	// ErrNotVerified: the bundle was examined and does not satisfy the
	// policy (tampered tarball, wrong key or identity, expired material, a
	// malformed bundle). The message says why.
	ErrNotVerified = errors.New("does not verify")
	// ErrCannotRun: verification or signing could not be carried out (bad
	// policy, unreadable key, no trusted root, network failure).
	ErrCannotRun = errors.New("cannot run")
	// ErrBadKey: a PEM key that cannot be used. It is also ErrCannotRun.
	ErrBadKey = errors.New("unusable key")
)

// classedError keeps a message for people and the classes for errors.Is,
// without prefixing the message with the class names.
type classedError struct {
	msg     string
	classes []error
	cause   error
}

func (e *classedError) Error() string { return e.msg }

func (e *classedError) Unwrap() []error {
	if e.cause == nil {
		return e.classes
	}
	return append(append([]error(nil), e.classes...), e.cause)
}

func notVerified(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &classedError{msg: err.Error(), classes: []error{ErrNotVerified}, cause: errors.Unwrap(err)}
}

func cannotRun(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &classedError{msg: err.Error(), classes: []error{ErrCannotRun}, cause: errors.Unwrap(err)}
}

func badKey(format string, args ...any) error {
	return &classedError{msg: fmt.Sprintf(format, args...), classes: []error{ErrBadKey, ErrCannotRun}}
}

// maxErrorLen bounds messages that quote a service's answer (sigstore-go
// includes whole response bodies).
const maxErrorLen = 2000

// redact returns err with every secret replaced. When a secret occurs, the
// original chain is dropped (an Unwrap would hand it back) and only the
// classes a caller branches on survive.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	found := false
	for _, s := range secrets {
		if len(s) < 4 { // a tiny "secret" would mangle ordinary words
			continue
		}
		if strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			found = true
		}
	}
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen] + "… (cut)"
		found = true
	}
	if !found {
		return err
	}
	var classes []error
	for _, c := range []error{ErrNotVerified, ErrCannotRun, ErrBadKey, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			classes = append(classes, c)
		}
	}
	return &classedError{msg: msg, classes: classes}
}
