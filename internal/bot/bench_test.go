package bot_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

var (
	loadTime   = flag.Duration("bot.loadtime", 3*time.Second, "how long BenchmarkAck sends deliveries (the issue's figure is 30s)")
	loadRate   = flag.Int("bot.rate", 500, "deliveries per second BenchmarkAck sends")
	loadRounds = flag.Int("bot.rounds", 3, "how many alternating floor/bot rounds BenchmarkAck splits -bot.loadtime into")
)

// load is the outcome of sending deliveries at a fixed rate.
type load struct {
	latencies []time.Duration // of the acknowledged ones
	acked     []string
	failed    int
	sent      int
	sending   time.Duration // how long the sending took (took adds the last answers)
	took      time.Duration
}

// add appends m's outcome to l's.
func (l *load) add(m load) {
	l.latencies = append(l.latencies, m.latencies...)
	l.acked = append(l.acked, m.acked...)
	l.failed += m.failed
	l.sent += m.sent
	l.sending += m.sending
	l.took += m.took
}

func (l load) quantile(q float64) time.Duration {
	if len(l.latencies) == 0 {
		return 0
	}
	s := slices.Clone(l.latencies)
	slices.Sort(s)
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

// sendAt sends signed deliveries to url at rate per second for d, open
// loop: a slow answer does not slow the sending down, and a generator
// starved of CPU catches up (sends what is due) rather than sending less.
func sendAt(b *testing.B, url string, payload []byte, rate int, d time.Duration, prefix string) load {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}, Timeout: 30 * time.Second}
	sig := sign(payload)
	var mu sync.Mutex
	var l load
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	start := time.Now()
	for i := range total {
		if due := start.Add(time.Duration(i) * interval); time.Until(due) > 0 {
			time.Sleep(time.Until(due))
		}
		id := fmt.Sprintf("%s-%06d", prefix, i)
		l.sent++ // only this goroutine writes it before wg.Wait
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
			req.Header.Set("X-GitHub-Event", "check_run")
			req.Header.Set("X-GitHub-Delivery", id)
			req.Header.Set("X-Hub-Signature-256", sig)
			resp, err := client.Do(req)
			lat := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				l.failed++
				return
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				l.failed++
				return
			}
			l.latencies = append(l.latencies, lat)
			l.acked = append(l.acked, id)
		}()
	}
	sending := time.Since(start)
	wg.Wait()
	l.took = time.Since(start)
	l.sending = sending
	return l
}

// floor is the least a webhook server does: verify the signature, answer
// 202, store nothing.
func floor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bot.Signature([]byte(secret), body) != r.Header.Get("X-Hub-Signature-256") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// BenchmarkAck measures the acknowledgement latency and throughput of
// POST /webhook on loopback at -bot.rate deliveries per second for
// -bot.loadtime, on SQLite and PostgreSQL with the workers running, side
// by side with the floor server; then checks that every acknowledged
// delivery is in the store. The floor and the bot get the same load
// generator and take turns (-bot.rounds rounds of loadtime/rounds each), so
// both meet the same background load of a shared machine; the spread of
// the per-round ratios is reported beside the overall one. Run it once:
//
//	go test -run '^$' -bench Ack -benchtime 1x ./internal/bot -bot.loadtime 30s
func BenchmarkAck(b *testing.B) {
	_, pemKey := testKey(b)
	payload := encode(b, toRepo(example(b, "check_run", "requested_action")))
	rounds := max(*loadRounds, 1)
	slice := *loadTime / time.Duration(rounds)
	for _, backend := range storetest.Backends {
		b.Run(backend.Name, func(b *testing.B) {
			fl := httptest.NewServer(floor())
			defer fl.Close()

			bt, err := bot.New(bot.Config{WebhookSecrets: [][]byte{[]byte(secret)}, AppID: appID, PrivateKey: pemKey,
				DatabaseURL: backend.URL(b), GitHubAPIURL: "http://127.0.0.1:9", Logger: testLogger(b), PollInterval: 100 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			st, err := bt.Open(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if err := st.Start(ctx); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(bt.Handler())
			defer srv.Close()

			var floorLoad, botLoad load
			minRatio, maxRatio := math.Inf(1), 0.0
			b.ResetTimer()
			for r := range rounds {
				f := sendAt(b, fl.URL, payload, *loadRate, slice, fmt.Sprintf("floor-%d", r))
				l := sendAt(b, srv.URL+"/webhook", payload, *loadRate, slice, fmt.Sprintf("bot-%s-%d", backend.Name, r))
				floorLoad.add(f)
				botLoad.add(l)
				ratio := float64(l.quantile(0.99)) / float64(max(f.quantile(0.99), time.Microsecond))
				minRatio, maxRatio = min(minRatio, ratio), max(maxRatio, ratio)
			}
			b.StopTimer()

			lost := 0
			for _, id := range botLoad.acked {
				if _, err := st.Delivery(ctx, id); err != nil {
					lost++
				}
			}
			p99, fp99 := botLoad.quantile(0.99), floorLoad.quantile(0.99)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(botLoad.quantile(0.5)), "p50-ms")
			b.ReportMetric(ms(p99), "p99-ms")
			b.ReportMetric(ms(floorLoad.quantile(0.5)), "floor-p50-ms")
			b.ReportMetric(ms(fp99), "floor-p99-ms")
			b.ReportMetric(float64(p99)/float64(max(fp99, time.Microsecond)), "p99/floor")
			b.ReportMetric(minRatio, "round-p99/floor-min")
			b.ReportMetric(maxRatio, "round-p99/floor-max")
			// sent/s is what the generator managed (below -bot.rate when
			// the process is starved of CPU and catching up takes longer
			// than the slice); acked/s counts until the last answer came
			// back.
			b.ReportMetric(float64(floorLoad.sent)/floorLoad.sending.Seconds(), "floor-sent/s")
			b.ReportMetric(float64(botLoad.sent)/botLoad.sending.Seconds(), "sent/s")
			b.ReportMetric(float64(len(botLoad.acked))/botLoad.took.Seconds(), "acked/s")
			b.ReportMetric(float64(botLoad.failed), "refused")
			b.ReportMetric(float64(lost), "lost")
			if lost > 0 || botLoad.failed > 0 {
				b.Errorf("%d acknowledged deliveries lost, %d not acknowledged", lost, botLoad.failed)
			}
			ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			st.Stop(ctx2) //nolint:errcheck
		})
	}
}
