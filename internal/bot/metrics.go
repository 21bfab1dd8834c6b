package bot

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// metrics are the bot's Prometheus metrics, on its own registry (no
// package globals): /metrics serves them.
type metrics struct {
	reg        *prometheus.Registry
	received   *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	duplicates prometheus.Counter
	ack        prometheus.Histogram
	jobs       *prometheus.HistogramVec
	apiLatency *prometheus.HistogramVec
	apiErrors  *prometheus.CounterVec

	once sync.Once
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "breakwater_webhook_deliveries_received_total",
			Help: "Webhook deliveries with a valid signature, by event."}, []string{"event"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "breakwater_webhook_deliveries_rejected_total",
			Help: "Webhook requests refused, by reason (signature, size, json, headers, method, store)."}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "breakwater_webhook_deliveries_duplicate_total",
			Help: "Redeliveries of a delivery already recorded: acknowledged, no second effect."}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "breakwater_webhook_ack_seconds",
			Help: "Time from a delivery's arrival to its acknowledgement (recorded with its job).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		jobs: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "breakwater_job_duration_seconds",
			Help: "Time a job's work took, by kind and outcome.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 16)}, []string{"kind", "outcome"}),
		apiLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "breakwater_api_request_seconds",
			Help: "Requests to GitHub and Tray, by API and status class.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, []string{"api", "code"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "breakwater_api_errors_total",
			Help: "Requests to GitHub and Tray that failed (no answer, or 4xx/5xx), by API and status class."}, []string{"api", "code"}),
	}
	m.reg.MustRegister(m.received, m.rejected, m.duplicates, m.ack, m.jobs, m.apiLatency, m.apiErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the bot's Prometheus registry: other parts (the rollout)
// register their collectors here.
func (b *Bot) Registry() *prometheus.Registry { return b.metrics.reg }

// watchQueue exports the jobs per state (queue depth), counted when
// scraped.
func (m *metrics) watchQueue(st *store.Store) {
	m.once.Do(func() {
		m.reg.MustRegister(&queueCollector{st: st, desc: prometheus.NewDesc("breakwater_jobs",
			"Jobs in the store by state (available is the queue depth).", []string{"state"}, nil)})
	})
}

type queueCollector struct {
	st   *store.Store
	desc *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.st.JobCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(state))
	}
}

// instrument measures every request through next.
func (m *metrics) instrument(api string, next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode/100) + "xx"
		}
		m.apiLatency.WithLabelValues(api, code).Observe(time.Since(start).Seconds())
		if err != nil || resp.StatusCode >= 400 {
			m.apiErrors.WithLabelValues(api, code).Inc()
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
