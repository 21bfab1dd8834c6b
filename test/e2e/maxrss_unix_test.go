//go:build unix

package e2e

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSS is the peak resident memory of a finished process, in bytes.
func maxRSS(state *os.ProcessState) int64 {
	ru, ok := state.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss // bytes there, kilobytes elsewhere
	}
	return ru.Maxrss * 1024
}
