//go:build unix

package prrun_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
)

// BenchmarkPRRun is the whole pull request run on the real sample pair
// against the local fake GitHub: event, inputs, configuration, merge base,
// changed files, contents, diff, labels, comment, check run, summary and
// outputs. Each iteration starts from a fresh repository, so it measures a
// first run (labels created, comment posted). ns/op is wall time on loopback;
// cpu-ms/op is the process's CPU time (user+system, the fake's share
// included), which excludes time spent waiting on the network.
func BenchmarkPRRun(b *testing.B) {
	base, head := prruntest.SamplePair(b)
	testEngine(b)
	var cpu time.Duration
	requests := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s := prruntest.New(b, base, head)
		before := cpuTime()
		b.StartTimer()
		o := run(b, s)
		b.StopTimer()
		cpu += cpuTime() - before
		if o.err != nil || !o.res.Failed {
			b.Fatalf("run: %v, %+v", o.err, o.res)
		}
		requests += len(s.Fake.Requests())
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
