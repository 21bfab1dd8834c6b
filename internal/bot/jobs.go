package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// Event is a recorded webhook delivery, as a handler gets it.
type Event struct {
	DeliveryID     string
	Name           string // X-GitHub-Event
	Action         string
	InstallationID int64
	Repo           string // owner/name, "" when the event has none
	Payload        []byte
	// Attempt is the job's attempt, from 1: a handler may run again after a
	// crash or an error, so it must be idempotent.
	Attempt int
}

// Handler acts on one event inside its job. An error retries the job with
// River's backoff; wrap it in river.JobCancel for an error no retry can fix.
type Handler func(ctx context.Context, ev Event) error

// DeliveryArgs is the job recorded with each delivery.
type DeliveryArgs struct {
	DeliveryID string `json:"delivery_id"`
	Event      string `json:"event"`
}

// Kind is the job's kind.
func (DeliveryArgs) Kind() string { return "github_delivery" }

type deliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	b *Bot
}

// Work runs the handlers of the delivery's event, then marks it processed.
// A delivery already processed (a job rescued after its work was done)
// is not handled again.
func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	b := w.b
	start := time.Now()
	st := b.Store()
	handlers := b.handlers[job.Args.Event]
	if len(handlers) == 0 {
		// Recorded only (until a handler is registered): no need to read
		// the payload back.
		b.log.Debug("no handler for the event: recorded only", "delivery", job.Args.DeliveryID, "event", job.Args.Event)
		err := st.MarkDeliveryProcessed(ctx, job.Args.DeliveryID)
		if errors.Is(err, store.ErrNotFound) {
			return river.JobCancel(err)
		}
		b.metrics.jobs.WithLabelValues(job.Kind, "ok").Observe(time.Since(start).Seconds())
		return err
	}
	d, err := st.Delivery(ctx, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("delivery %s is not in the store", job.Args.DeliveryID))
	}
	if err != nil {
		return err
	}
	if d.ProcessedAt != nil {
		return nil
	}
	ev := Event{DeliveryID: d.ID, Name: d.Event, Action: d.Action, InstallationID: d.InstallationID, Repo: d.Repo, Payload: d.Payload, Attempt: job.Attempt}
	log := b.log.With("delivery", d.ID, "event", d.Event, "action", d.Action, "repo", d.Repo, "attempt", job.Attempt)
	outcome := "ok"
	for _, h := range handlers {
		if err := h(ctx, ev); err != nil {
			outcome = "error"
			b.metrics.jobs.WithLabelValues(job.Kind, outcome).Observe(time.Since(start).Seconds())
			log.Warn("handling the delivery failed", "err", err)
			return err
		}
	}
	if err := st.MarkDeliveryProcessed(ctx, d.ID); err != nil {
		return err
	}
	b.metrics.jobs.WithLabelValues(job.Kind, outcome).Observe(time.Since(start).Seconds())
	log.Info("delivery handled", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// pruneArgs is the periodic job that forgets old processed deliveries.
type pruneArgs struct{}

func (pruneArgs) Kind() string { return "prune_deliveries" }

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	b *Bot
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	n, err := w.b.Store().PruneDeliveries(ctx, w.b.cfg.Now().Add(-DeliveryRetention))
	if err == nil && n > 0 {
		w.b.log.Info("pruned processed deliveries", "count", n, "older_than", DeliveryRetention)
	}
	return err
}

// jobErrors logs failed and panicking jobs; River retries them.
type jobErrors struct{ b *Bot }

func (h *jobErrors) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.b.log.Warn("job failed", "job", job.ID, "kind", job.Kind, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", err)
	return nil
}

func (h *jobErrors) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.b.log.Error("job panicked", "job", job.ID, "kind", job.Kind, "panic", fmt.Sprint(panicVal), "trace", trace)
	return nil
}
