package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/clip"
)

// Delivery is one webhook delivery as GitHub sent it.
type Delivery struct {
	ID             string // X-GitHub-Delivery
	Event          string // X-GitHub-Event
	Action         string
	InstallationID int64
	Repo           string // owner/name, when the event has one
	Payload        []byte // the body exactly as received
	ReceivedAt     time.Time

	// Set by the store.
	JobID       int64      // the job enqueued with it (0: none)
	ProcessedAt *time.Time // when MarkDeliveryProcessed was called
}

// Recorded is the outcome of RecordDelivery.
type Recorded struct {
	// Duplicate: the delivery was recorded before (a redelivery); nothing
	// was written or enqueued.
	Duplicate bool
	// Job is the job enqueued with the delivery.
	Job JobResult
}

// maxDeliveryID bounds X-GitHub-Delivery (a GUID; GitHub Enterprise uses
// the same form).
const maxDeliveryID = 200

// RecordDelivery stores d and enqueues job in one transaction (shared with
// the deliveries recorded at the same moment: see groupCommit), so an
// acknowledged delivery always has its job and a redelivery of the same ID
// has no second effect. It returns once the transaction is committed.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery, job Job) (Recorded, error) {
	switch {
	case d.ID == "" || len(d.ID) > maxDeliveryID:
		return Recorded{}, fmt.Errorf("record delivery: id %q must be 1 to %d characters: %w", clip.Runes(d.ID, maxEcho), maxDeliveryID, ErrInvalid)
	case d.Event == "":
		return Recorded{}, fmt.Errorf("record delivery %s: no event name: %w", d.ID, ErrInvalid)
	case d.Payload == nil:
		return Recorded{}, fmt.Errorf("record delivery %s: no payload: %w", d.ID, ErrInvalid)
	}
	out, err := s.group.record(ctx, recordReq{ctx: ctx, d: d, received: s.stamp(d.ReceivedAt), job: job})
	if err != nil {
		return Recorded{}, fmt.Errorf("record delivery %s: %w", d.ID, err)
	}
	return out, nil
}

// recordOne inserts the job and the delivery through q. On a duplicate it
// reports Duplicate and the caller must roll the job back.
func recordOne(ctx context.Context, q querier, insert insertFunc, d Delivery, received time.Time, job Job) (Recorded, error) {
	// The job goes first so the delivery row carries its ID.
	res, err := enqueueTx(ctx, insert, job)
	if err != nil {
		return Recorded{}, err
	}
	var jobID *int64
	if job.Args != nil {
		jobID = &res.ID
	}
	var id string
	err = q.queryRow(ctx, `INSERT INTO webhook_deliveries
		(id, event, action, installation_id, repo, payload, received_at, job_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO NOTHING RETURNING id`,
		d.ID, d.Event, d.Action, d.InstallationID, d.Repo, d.Payload, received, jobID).Scan(&id)
	if errors.Is(err, ErrNotFound) {
		return Recorded{Duplicate: true}, nil
	}
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{Job: res}, nil
}

// errRollback ends a transaction without an error for the caller.
var errRollback = errors.New("rollback")

// Delivery returns a recorded delivery.
func (s *Store) Delivery(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	var jobID *int64
	err := s.db.queryRow(ctx, `SELECT id, event, action, installation_id, repo, payload, received_at, job_id, processed_at
		FROM webhook_deliveries WHERE id = $1`, id).
		Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Repo, &d.Payload, &d.ReceivedAt, &jobID, &d.ProcessedAt)
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery %s: %w", id, err)
	}
	if jobID != nil {
		d.JobID = *jobID
	}
	return d, nil
}

// MarkDeliveryProcessed records that the delivery's work is done (the
// first time only).
func (s *Store) MarkDeliveryProcessed(ctx context.Context, id string) error {
	return s.group.mark(ctx, id, s.stamp(time.Time{}))
}

// PruneDeliveries deletes processed deliveries received before cutoff and
// returns how many; unprocessed ones are kept whatever their age. GitHub
// lets a delivery be redelivered for 3 days, so keep them longer than
// that or a redelivery is processed again.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := s.db.exec(ctx, `DELETE FROM webhook_deliveries WHERE received_at < $1 AND processed_at IS NOT NULL`, cutoff.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", err)
	}
	return n, nil
}
