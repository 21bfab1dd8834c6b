package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// The acknowledgement path: the bot answers GitHub once RecordDelivery
// returns. Each benchmark measures, in the same run and on the same
// database, a baseline of one plain single-row INSERT of the same payload
// (autocommit) and reports RecordDelivery (delivery row + River job in one
// durable transaction) against it.

// benchPayload is the size of a typical pull_request delivery.
var benchPayload = bytes.Repeat([]byte(`{"action":"synchronize","number":1347,"pull_request":{"id":1}}`), 130) // ≈ 8 KB

func benchStore(b testing.TB, be storetest.Backend) *Store {
	s := open(b, be.URL(b), Options{})
	blob := "bytea"
	if s.loc.Backend == SQLite {
		blob = "BLOB"
	}
	if _, err := s.db.exec(context.Background(), `CREATE TABLE bench_baseline (id text PRIMARY KEY, payload `+blob+` NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return s
}

func baselineInsert(ctx context.Context, s *Store, id string) error {
	_, err := s.db.exec(ctx, `INSERT INTO bench_baseline (id, payload) VALUES ($1, $2)`, id, benchPayload)
	return err
}

func record(ctx context.Context, s *Store, id string) error {
	_, err := s.RecordDelivery(ctx, Delivery{ID: id, Event: "pull_request", Action: "synchronize", InstallationID: 1, Repo: "octo/app", Payload: benchPayload},
		Job{Args: workArgs{Key: id}})
	return err
}

func percentile(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)].Microseconds())
}

// BenchmarkRecordDelivery: one caller, latency per acknowledgement.
func BenchmarkRecordDelivery(b *testing.B) {
	for _, be := range storetest.Backends {
		b.Run(be.Name, func(b *testing.B) {
			s := benchStore(b, be)
			ctx := context.Background()
			var base, rec []time.Duration
			i := 0
			for b.Loop() {
				i++
				b.StopTimer()
				t0 := time.Now()
				if err := baselineInsert(ctx, s, fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
				base = append(base, time.Since(t0))
				b.StartTimer()
				t0 = time.Now()
				if err := record(ctx, s, fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
				rec = append(rec, time.Since(t0))
			}
			var sumBase, sumRec time.Duration
			for k := range rec {
				sumBase += base[k]
				sumRec += rec[k]
			}
			b.ReportMetric(sumRec.Seconds()/sumBase.Seconds(), "time-ratio")
			b.ReportMetric(percentile(rec, 0.5), "p50-µs")
			b.ReportMetric(percentile(rec, 0.99), "p99-µs")
			b.ReportMetric(percentile(base, 0.5), "baseline-p50-µs")
			b.ReportMetric(percentile(base, 0.99), "baseline-p99-µs")
		})
	}
}

// BenchmarkRecordDeliveryParallel: 16 concurrent callers (webhook
// handlers), throughput. One op is a batch of 16×8 calls.
func BenchmarkRecordDeliveryParallel(b *testing.B) {
	const callers, each = 16, 8
	for _, be := range storetest.Backends {
		b.Run(be.Name, func(b *testing.B) {
			s := benchStore(b, be)
			ctx := context.Background()
			batch := func(round int, prefix string, f func(context.Context, *Store, string) error) time.Duration {
				var wg sync.WaitGroup
				t0 := time.Now()
				for c := range callers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for k := range each {
							if err := f(ctx, s, fmt.Sprintf("%s-%d-%d-%d", prefix, round, c, k)); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				return time.Since(t0)
			}
			var sumBase, sumRec time.Duration
			round := 0
			for b.Loop() {
				round++
				b.StopTimer()
				sumBase += batch(round, "base", baselineInsert)
				b.StartTimer()
				sumRec += batch(round, "rec", record)
			}
			calls := float64(round * callers * each)
			b.ReportMetric(sumRec.Seconds()/sumBase.Seconds(), "time-ratio")
			b.ReportMetric(calls/sumRec.Seconds(), "deliveries/s")
			b.ReportMetric(calls/sumBase.Seconds(), "baseline-inserts/s")
		})
	}
}
