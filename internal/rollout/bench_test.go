package rollout_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// BenchmarkRollout10000 is issue 10's benchmark: 10,000 instances that
// each need an upgrade call, the fake Tray admitting 500 requests per
// second (burst 20, turning away the rest with 429) with 20 ms latency
// each. The rollout runs as it does in production: the real binary plans
// it (rollout start) and works it (rollout work) on a SQLite store, with
// the budget shared through the store.
//
// Reported: time-ratio, the worker's time from start to the last upgrade
// against the ideal 10,000 / 500 s (target ≤ 1.15); rejected, requests the
// fake turned away for exceeding its limit (target 0); the peak resident
// memory of the planning and the working process for 10,000 instances and
// for 1,000 measured in the same run, and their ratio (flat: near 1).
//
// Run: go test -run '^$' -bench Rollout -benchtime 1x ./internal/rollout/
func BenchmarkRollout10000(b *testing.B) {
	const rate, latency = 500, 20 * time.Millisecond
	for b.Loop() {
		small := benchRollout(b, 1000, rate, latency)
		big := benchRollout(b, 10000, rate, latency)
		ideal := 10000.0 / rate
		b.ReportMetric(big.elapsed.Seconds(), "s/rollout")
		b.ReportMetric(big.elapsed.Seconds()/ideal, "time-ratio")
		b.ReportMetric(float64(big.rejected+small.rejected), "rejected")
		b.ReportMetric(big.workRSS/1024, "work-MB-10k")
		b.ReportMetric(small.workRSS/1024, "work-MB-1k")
		b.ReportMetric(big.workRSS/small.workRSS, "work-rss-ratio")
		b.ReportMetric(big.startRSS/1024, "start-MB-10k")
		b.ReportMetric(big.startRSS/small.startRSS, "start-rss-ratio")
		b.ReportMetric(big.plan.Seconds(), "plan-s")
		load, _ := os.ReadFile("/proc/loadavg")
		b.Logf("10,000 instances: planned in %s, upgraded in %s (ideal %.0fs); 1,000: %s; load average %s",
			big.plan.Round(time.Millisecond), big.elapsed.Round(time.Millisecond), ideal, small.elapsed.Round(time.Millisecond), load)
	}
}

type benchResult struct {
	plan, elapsed     time.Duration
	rejected          int64
	startRSS, workRSS float64 // peak resident memory, KiB
}

func benchRollout(b *testing.B, n int, rate float64, latency time.Duration) benchResult {
	s := traytest.New(b, traytest.Config{RateLimit: rate, Burst: max(20, int(rate/25)), Latency: latency})
	s.AddSolution(traytest.Solution{ID: "sol", Title: "bench", Version: 2,
		AuthSlots: []traytest.Slot{{ExternalID: "crm_auth", Title: "CRM", Recreated: true}}})
	for i := range n {
		s.AddInstance(traytest.Instance{ID: fmt.Sprintf("inst-%05d", i), Owner: fmt.Sprintf("user-%03d", i%50), SolutionID: "sol",
			Enabled: true, Version: 1, AuthValues: []traytest.AuthValue{{ExternalID: "crm_auth", AuthID: fmt.Sprintf("auth-%d", i)}}})
	}
	url := storetest.SQLiteURL(b)
	recordBenchVersion(b, url)
	bin := binary
	args := func(cmd ...string) []string {
		cmd = append(cmd, "--database", url, "--tray-url", s.GraphQLURL(), "--solution-id", "sol",
			"--rate-limit", fmt.Sprint(rate), "--burst", fmt.Sprint(max(20, int(rate/25))))
		if cmd[1] != "work" { // a worker works every package's rollouts
			cmd = append(cmd, "--package", "crm-sync")
		}
		return cmd
	}
	// run returns when the command started and its peak resident memory.
	run := func(cmd ...string) (time.Time, float64) {
		c := exec.Command(bin, args(cmd...)...)
		c.Env = append(os.Environ(), "BREAKWATER_TRAY_TOKEN="+s.MasterToken())
		start := time.Now()
		peak, out, err := runPeakRSS(c)
		if err != nil {
			b.Fatalf("%v: %v\n%s", cmd, err, out)
		}
		return start, peak
	}
	var r benchResult
	planned, startRSS := run("rollout", "start", "2.0.0")
	r.plan, r.startRSS = time.Since(planned), startRSS
	before := s.CallCount(traytest.OpUpgrade)
	worked, workRSS := run("rollout", "work", "--exit-when-done", "--concurrency", "20")
	r.workRSS = workRSS
	// Until the last upgrade was answered: the worker then notices it is
	// idle at its next once-a-second look, which is not rollout time.
	calls := s.Calls()
	r.elapsed = calls[len(calls)-1].At.Sub(worked)
	if got := s.CallCount(traytest.OpUpgrade) - before; got != n {
		b.Fatalf("%d upgrades for %d instances", got, n)
	}
	for i := range n {
		if u := s.Upgrades(fmt.Sprintf("inst-%05d", i), 2); u != 1 {
			b.Fatalf("inst-%05d upgraded %d times", i, u)
		}
	}
	r.rejected = s.Rejected()
	return r
}

func recordBenchVersion(b *testing.B, url string) {
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rec := []byte(`{"findings":[{"rule":"tray/auth-slot-recreated","upgrade":"system-input","slot":{"kind":"auth","externalId":"crm_auth","change":"recreated","required":true}}]}`)
	if err := st.RecordVersion(ctx, store.Version{Package: "crm-sync", Version: "2.0.0", ChangeRecord: rec}); err != nil {
		b.Fatal(err)
	}
}

// runPeakRSS runs c and returns its peak resident memory in KiB: VmHWM
// from /proc, read every 10 ms until it exits. (The rusage of a waited
// child is no good here: Linux keeps the high-water mark across the exec,
// so it starts at the forking test process's size, which holds the fake's
// instances.)
func runPeakRSS(c *exec.Cmd) (float64, []byte, error) {
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		return 0, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	peak := 0.0
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.Process.Pid))
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb float64
				if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
					peak = max(peak, kb)
				}
			}
		}
		select {
		case err := <-done:
			return peak, out.Bytes(), err
		case <-tick.C:
		}
	}
}
