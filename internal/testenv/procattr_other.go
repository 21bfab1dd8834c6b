//go:build !linux

package testenv

import "os/exec"

// dieWithTest has no portable equivalent outside Linux; t.Cleanup stops
// the server in every normal case.
func dieWithTest(*exec.Cmd) {}
