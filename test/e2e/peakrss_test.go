package e2e

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// peakRSS samples a running process's peak resident memory (VmHWM of
// /proc/PID/status, Linux) until it exits, then returns it in bytes; 0
// where /proc does not say. The rusage of the finished process is no
// measure: a child that the test binary started takes over the test
// binary's high-water mark when it execs, and the test binary holds the
// fake GitHub's repositories.
func peakRSS(pid int, exited <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if v, ok := vmHWM(pid); ok {
				peak = max(peak, v)
			}
			select {
			case <-exited:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func vmHWM(pid int) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
