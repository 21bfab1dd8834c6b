package tray_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// BenchmarkListInstances10000 lists 10,000 instances through the client
// (pagination, decoding, rate limiter, retry machinery) against the fake,
// side by side with a baseline that replays the same HTTP requests and
// discards the answers undecoded. time-ratio is client / baseline; both
// pay the fake's parsing, validation and execution, so the ratio shows the
// client's own cost.
// Run: go test -run '^$' -bench ListInstances -benchtime 5x ./internal/tray/
func BenchmarkListInstances10000(b *testing.B) {
	const n = 10000
	s := traytest.New(b, traytest.Config{Unlimited: true})
	s.Generate("sol", n, traytest.GenerateOptions{Quirks: true})
	c, err := tray.New(tray.Options{MasterToken: s.MasterToken(), GraphQLURL: s.GraphQLURL(), RateLimit: 1e9, Burst: 1000})
	if err != nil {
		b.Fatal(err)
	}
	bodies := baselineRequests(b, s)
	hc := &http.Client{}
	raw := func() {
		for _, body := range bodies {
			req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+s.MasterToken())
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("baseline: status %d", resp.StatusCode)
			}
		}
	}
	var clientTime, baseTime time.Duration
	before := s.CallCount(traytest.OpSolutionInstances)
	for b.Loop() {
		start := time.Now()
		got, err := c.ListInstances(b.Context(), tray.InstanceFilter{SolutionID: "sol"})
		clientTime += time.Since(start)
		if err != nil || len(got) != n {
			b.Fatalf("%d instances, %v", len(got), err)
		}
		start = time.Now()
		raw()
		baseTime += time.Since(start)
	}
	requests := s.CallCount(traytest.OpSolutionInstances) - before
	b.ReportMetric(float64(requests)/float64(b.N)/2, "requests/list")
	b.ReportMetric(clientTime.Seconds()/float64(b.N)*1000, "client-ms/list")
	b.ReportMetric(baseTime.Seconds()/float64(b.N)*1000, "baseline-ms/list")
	b.ReportMetric(clientTime.Seconds()/baseTime.Seconds(), "time-ratio")
}

// baselineRequests are the request bodies a full listing sends, with the
// cursors the fake hands out.
func baselineRequests(b *testing.B, s *traytest.Server) [][]byte {
	var bodies [][]byte
	after := ""
	for {
		vars := map[string]any{"criteria": map[string]any{"solutionId": "sol"}, "first": tray.DefaultPageSize}
		if after != "" {
			vars["after"] = after
		}
		body, _ := json.Marshal(map[string]any{"query": tray.Documents[0], "variables": vars})
		bodies = append(bodies, body)
		req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.MasterToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var page struct {
			Data struct {
				Viewer struct {
					SolutionInstances struct {
						PageInfo struct {
							HasNextPage bool   `json:"hasNextPage"`
							EndCursor   string `json:"endCursor"`
						} `json:"pageInfo"`
					} `json:"solutionInstances"`
				} `json:"viewer"`
			} `json:"data"`
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		pi := page.Data.Viewer.SolutionInstances.PageInfo
		if !pi.HasNextPage {
			return bodies
		}
		after = pi.EndCursor
	}
}

// BenchmarkUpgradesAt500PerSecond is the shape of the rollout benchmark
// (issue 10): 10,000 upgrades through the client with 20 workers, the
// client's bucket and the fake's both at 500 requests per second, 20 ms
// latency per request. time-ratio is the elapsed time against the ideal
// 10,000 / 500 s; rejected must stay 0.
// Run: go test -run '^$' -bench UpgradesAt500 -benchtime 1x ./internal/tray/
func BenchmarkUpgradesAt500PerSecond(b *testing.B) {
	const n, rps, workers = 10000, 500, 20
	s := traytest.New(b, traytest.Config{RateLimit: rps, Burst: 20, Latency: 20 * time.Millisecond})
	ids := s.Generate("sol", n, traytest.GenerateOptions{})
	c, err := tray.New(tray.Options{MasterToken: s.MasterToken(), GraphQLURL: s.GraphQLURL(), RateLimit: rps, Burst: 1})
	if err != nil {
		b.Fatal(err)
	}
	var elapsed time.Duration
	for b.Loop() {
		s.Publish("sol", nil) // every instance has a newer version again
		jobs := make(chan string)
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for id := range jobs {
					in, _ := s.Instance(id)
					up := tray.UpgradeInput{InstanceID: id}
					if _, ok := authOf(in, "crm_auth"); ok {
						up.AuthValues = []tray.AuthValue{{ExternalID: "crm_auth", AuthID: "resynced"}}
					}
					up.ConfigValues = []tray.ConfigValue{{ExternalID: "region", Value: json.RawMessage(`"eu"`)}}
					if _, err := c.UpgradeInstance(b.Context(), up); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, id := range ids {
			jobs <- id
		}
		close(jobs)
		wg.Wait()
		elapsed += time.Since(start)
	}
	ideal := time.Duration(float64(n) / rps * float64(time.Second))
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/rollout")
	b.ReportMetric(elapsed.Seconds()/float64(b.N)/ideal.Seconds(), "time-ratio")
	b.ReportMetric(float64(s.Rejected()), "rejected")
}

func authOf(in traytest.Instance, id string) (string, bool) {
	for _, a := range in.AuthValues {
		if a.ExternalID == id {
			return a.AuthID, true
		}
	}
	return "", false
}
