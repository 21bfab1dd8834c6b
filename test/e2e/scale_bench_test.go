package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
)

// BenchmarkActionScale is the action's run, as the binary, on a pull
// request that changes N Tray exports (copies of the real sample pair, see
// prruntest.TrayExports), for each workspace: a full checkout, a shallow
// one that needs a fetch, and none. Every iteration starts from a fresh
// repository (a first run: labels created, comment posted). It reports:
//
//   - ns/op: the binary's wall time; cpu-s/op: its user and system time,
//     which depends less on what else the machine runs;
//   - api-requests/op: requests to the REST API, which count against the
//     token's rate limit; archive-downloads/op: source archives fetched from
//     the codeload host the API redirects to; git-requests/op: requests to
//     the git host (a fetch);
//   - peak-rss-MB: the binary's peak resident memory (VmHWM, see peakRSS).
//
// Run: go test -run '^$' -bench ActionScale -benchtime 1x ./test/e2e
func BenchmarkActionScale(b *testing.B) {
	for _, n := range []int{20, 100, 300} {
		base, head := prruntest.TrayExports(b, n)
		for _, checkout := range prruntest.Checkouts {
			b.Run(fmt.Sprintf("N=%d/checkout=%s", n, checkout), func(b *testing.B) {
				var m scaleMetrics
				for b.Loop() {
					b.StopTimer()
					s := prruntest.NewGit(b, base, head, checkout)
					b.StartTimer()
					r := runAction(b, s)
					b.StopTimer()
					if r.code != 1 {
						b.Fatalf("exit code %d, want 1\n%s", r.code, r.stderr)
					}
					m.add(s, r)
					b.StartTimer()
				}
				m.report(b)
			})
		}
	}
}

// scaleMetrics add up what the iterations of a scale run cost.
type scaleMetrics struct {
	runs               int
	api, archives, git int
	peakRSS            int64         // bytes
	cpu                time.Duration // the binary's user and system time
}

func (m *scaleMetrics) add(s *prruntest.Scenario, r result) {
	m.runs++
	api, archives := requestCounts(s)
	m.api += api
	m.archives += archives
	m.git += len(s.GitServer.Requests())
	m.peakRSS = max(m.peakRSS, r.maxRSS)
	m.cpu += r.cpu
}

func (m *scaleMetrics) report(b *testing.B) {
	n := float64(max(m.runs, 1))
	b.ReportMetric(float64(m.api)/n, "api-requests/op")
	b.ReportMetric(float64(m.archives)/n, "archive-downloads/op")
	b.ReportMetric(float64(m.git)/n, "git-requests/op")
	b.ReportMetric(float64(m.peakRSS)/(1<<20), "peak-rss-MB")
	b.ReportMetric(m.cpu.Seconds()/n, "cpu-s/op")
}

// requestCounts are the REST API requests a run sent and the source
// archives it downloaded.
func requestCounts(s *prruntest.Scenario) (api, archives int) {
	return len(s.Fake.Requests()), len(s.Fake.Downloads())
}
