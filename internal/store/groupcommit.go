package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// groupCommit records deliveries arriving together in one transaction, on
// both backends. Each commit pays one durable write (SQLite's WAL sync,
// PostgreSQL's WAL flush) and a few round trips whatever its size, so
// concurrent webhook handlers committing one delivery each would queue for
// the disk one commit at a time; batched, the cost per delivery shrinks as
// the load grows. Committer goroutines take whatever is queued (no added
// wait when idle: a lone delivery commits at once), commit it, and each
// caller returns once its own delivery is committed, so the acknowledgement
// still follows the commit. SQLite has one committer (it has one
// connection); PostgreSQL has a few, so the next batch fills and commits
// while one waits for its flush. A batch takes three statements whatever
// its size (commitMany); should one delivery fail them, or a concurrent
// writer (another replica) record one of its IDs first, the batch is
// recorded again delivery by delivery, each under its own savepoint, so one
// failing or duplicate delivery leaves the others untouched (commitEach).
type groupCommit struct {
	db   batchDB
	reqs chan *pendingRecord
	// marks are MarkDeliveryProcessed calls, batched the same way: workers
	// would otherwise take the connection for one fsync per job.
	marks   chan *pendingMark
	quit    chan struct{} // closed by stop
	stopped chan struct{} // closed when every committer has drained and left
}

// batchDB is a backend that can enqueue many jobs in one statement.
type batchDB interface {
	db
	// insertMany enqueues jobs inside the transaction q belongs to (a
	// querier of inTx), in the order of params.
	insertMany(ctx context.Context, q querier, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// maxGroup bounds one transaction (and so the wait of its first caller).
const maxGroup = 64

type recordReq struct {
	ctx      context.Context
	d        Delivery
	received time.Time
	job      Job
}

type pendingRecord struct {
	recordReq
	done chan recordResult // buffered: the committer never blocks on it
}

type recordResult struct {
	rec Recorded
	err error
}

var errStoreClosed = errors.New("the store is closed")

// startGroupCommit starts n committers on db.
func startGroupCommit(db batchDB, n int) *groupCommit {
	g := &groupCommit{db: db, reqs: make(chan *pendingRecord, 4*maxGroup), marks: make(chan *pendingMark, 4*maxGroup),
		quit: make(chan struct{}), stopped: make(chan struct{})}
	var wg sync.WaitGroup
	for range n {
		wg.Go(g.run)
	}
	go func() {
		wg.Wait()
		close(g.stopped)
	}()
	return g
}

// stop commits what is queued and ends the goroutine.
func (g *groupCommit) stop() {
	close(g.quit)
	<-g.stopped
}

func (g *groupCommit) record(ctx context.Context, req recordReq) (Recorded, error) {
	p := &pendingRecord{recordReq: req, done: make(chan recordResult, 1)}
	select {
	case g.reqs <- p:
	case <-g.quit:
		return Recorded{}, errStoreClosed
	case <-ctx.Done():
		return Recorded{}, ctx.Err()
	}
	select {
	case r := <-p.done:
		return r.rec, r.err
	case <-g.stopped: // queued after the last drain
		select {
		case r := <-p.done:
			return r.rec, r.err
		default:
			return Recorded{}, errStoreClosed
		}
	case <-ctx.Done():
		// It may still be committed: a redelivery then finds it.
		return Recorded{}, ctx.Err()
	}
}

func (g *groupCommit) run() {
	for {
		select {
		case first := <-g.reqs:
			g.commit(g.take([]*pendingRecord{first}))
		case first := <-g.marks:
			g.commitMarks(g.takeMarks([]*pendingMark{first}))
		case <-g.quit:
			for {
				batch, marks := g.take(nil), g.takeMarks(nil)
				if len(batch) == 0 && len(marks) == 0 {
					return
				}
				if len(batch) > 0 {
					g.commit(batch)
				}
				if len(marks) > 0 {
					g.commitMarks(marks)
				}
			}
		}
	}
}

// take adds to batch whatever is queued, up to maxGroup.
func (g *groupCommit) take(batch []*pendingRecord) []*pendingRecord {
	for len(batch) < maxGroup {
		select {
		case p := <-g.reqs:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

func (g *groupCommit) commit(batch []*pendingRecord) {
	// The batch belongs to no single caller: one giving up must not fail
	// the others.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(batch) == 1 { // no savepoint needed: the transaction is the delivery's own
		p := batch[0]
		var r recordResult
		err := g.db.inTx(ctx, func(q querier, insert insertFunc) error {
			r.rec, r.err = recordOne(ctx, q, insert, p.d, p.received, p.job)
			if r.err == nil && r.rec.Duplicate {
				return errRollback
			}
			return r.err
		})
		if err != nil && !errors.Is(err, errRollback) {
			r = recordResult{err: err}
		}
		p.done <- r
		return
	}
	// Rows go in ID order, so two transactions (committers, replicas)
	// never wait for each other's rows in opposite orders: a deadlock.
	slices.SortStableFunc(batch, func(a, b *pendingRecord) int { return strings.Compare(a.d.ID, b.d.ID) })
	results, err := g.commitMany(ctx, batch)
	for try := 0; err != nil && ctx.Err() == nil && try < 3; try++ {
		// One delivery can fail the whole statement (a job that does not
		// encode), or another replica record one meanwhile: record them
		// one by one, so only it fails or is a duplicate. PostgreSQL may
		// still pick this transaction as a deadlock victim against a
		// writer outside the group commit: that is worth another try.
		results, err = g.commitEach(ctx, batch)
		if !isDeadlock(err) {
			break
		}
	}
	for i, p := range batch {
		if err != nil {
			results[i] = recordResult{err: err}
		}
		p.done <- results[i]
	}
}

// commitEach records a batch delivery by delivery, each under its own
// savepoint, so one failing or duplicate delivery leaves the others
// untouched.
func (g *groupCommit) commitEach(ctx context.Context, batch []*pendingRecord) ([]recordResult, error) {
	results := make([]recordResult, len(batch))
	err := g.db.inTx(ctx, func(q querier, insert insertFunc) error {
		for i, p := range batch {
			if p.ctx.Err() != nil { // its caller gave up before it started
				results[i].err = p.ctx.Err()
				continue
			}
			if _, err := q.exec(ctx, "SAVEPOINT delivery"); err != nil {
				return err
			}
			rec, err := recordOne(ctx, q, insert, p.d, p.received, p.job)
			if err != nil || rec.Duplicate {
				if _, rerr := q.exec(ctx, "ROLLBACK TO delivery"); rerr != nil {
					return fmt.Errorf("roll back delivery %s: %w (after %v)", p.d.ID, rerr, err)
				}
			}
			if _, err := q.exec(ctx, "RELEASE delivery"); err != nil {
				return err
			}
			results[i] = recordResult{rec: rec, err: err}
		}
		return nil
	})
	return results, err
}

// errRecordedMeanwhile: a delivery of the batch was recorded by a
// concurrent transaction (another replica) after the batch looked.
var errRecordedMeanwhile = errors.New("a delivery of the batch was recorded concurrently")

// commitMany records a batch in one transaction of three statements,
// whatever its size: which IDs are recorded already, the new deliveries'
// jobs in one River insert, and the new deliveries in one multi-row
// INSERT. A delivery whose ID came earlier (before, or earlier in the
// batch) is a duplicate and enqueues nothing. On SQLite the write lock is
// held from BEGIN IMMEDIATE, so nothing else records between the first
// statement and the last; on PostgreSQL another transaction may, and the
// INSERT then skips that ID (ON CONFLICT DO NOTHING, after waiting for the
// other transaction), which fails the batch with errRecordedMeanwhile: its
// job must not be enqueued, and commitEach records the batch again.
// The caller has put the batch in ID order.
func (g *groupCommit) commitMany(ctx context.Context, batch []*pendingRecord) ([]recordResult, error) {
	results := make([]recordResult, len(batch))
	err := g.db.inTx(ctx, func(q querier, _ insertFunc) error {
		ids := make([]any, 0, len(batch))
		for _, p := range batch {
			ids = append(ids, p.d.ID)
		}
		rs, err := q.query(ctx, `SELECT id FROM webhook_deliveries WHERE id IN (`+placeholders(1, len(ids))+`)`, ids...)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				rs.Close()
				return err
			}
			seen[id] = true
		}
		rs.Close()
		if err := rs.Err(); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		var fresh []int // indexes into batch
		for i, p := range batch {
			switch {
			case p.ctx.Err() != nil: // its caller gave up before it started
				results[i].err = p.ctx.Err()
			case seen[p.d.ID]:
				results[i].rec = Recorded{Duplicate: true}
			default:
				seen[p.d.ID] = true
				fresh = append(fresh, i)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		var params []river.InsertManyParams
		for _, i := range fresh {
			if p := batch[i]; p.job.Args != nil {
				params = append(params, river.InsertManyParams{Args: p.job.Args, InsertOpts: p.job.Opts})
			}
		}
		var jobs []*rivertype.JobInsertResult
		if len(params) > 0 {
			if jobs, err = g.db.insertMany(ctx, q, params); err != nil {
				return fmt.Errorf("enqueue %d jobs: %w", len(params), err)
			}
		}
		var args []any
		next := 0
		for _, i := range fresh {
			p := batch[i]
			var jobID *int64
			if p.job.Args != nil {
				res := jobs[next]
				next++
				jobID = &res.Job.ID
				results[i].rec.Job = JobResult{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}
			}
			args = append(args, p.d.ID, p.d.Event, p.d.Action, p.d.InstallationID, p.d.Repo, p.d.Payload, p.received, jobID)
		}
		values := make([]string, len(fresh))
		for k := range fresh {
			values[k] = "(" + placeholders(8*k+1, 8) + ")"
		}
		ins, err := q.query(ctx, `INSERT INTO webhook_deliveries
			(id, event, action, installation_id, repo, payload, received_at, job_id) VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (id) DO NOTHING RETURNING id`, args...)
		if err != nil {
			return err
		}
		n := 0
		for ins.Next() {
			n++
		}
		ins.Close()
		if err := ins.Err(); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if n != len(fresh) {
			return errRecordedMeanwhile
		}
		return nil
	})
	return results, err
}

// isDeadlock reports whether PostgreSQL aborted the transaction to break a
// deadlock or a serialization conflict (the same transaction may succeed
// when retried).
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// placeholders is "$from, $from+1, …" n of them.
func placeholders(from, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+k))
	}
	return b.String()
}

// pendingMark is a MarkDeliveryProcessed call waiting for its batch.
type pendingMark struct {
	ctx  context.Context
	id   string
	at   time.Time
	done chan error // buffered
}

func (g *groupCommit) mark(ctx context.Context, id string, at time.Time) error {
	p := &pendingMark{ctx: ctx, id: id, at: at, done: make(chan error, 1)}
	select {
	case g.marks <- p:
	case <-g.quit:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-g.stopped:
		select {
		case err := <-p.done:
			return err
		default:
			return errStoreClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeMarks adds to marks whatever is queued, up to 4×maxGroup.
func (g *groupCommit) takeMarks(marks []*pendingMark) []*pendingMark {
	for len(marks) < 4*maxGroup {
		select {
		case p := <-g.marks:
			marks = append(marks, p)
		default:
			return marks
		}
	}
	return marks
}

// commitMarks marks a batch processed in one transaction: one UPDATE that
// returns the IDs it marked and, only when some were not (processed
// before, or not recorded), one SELECT for those; callers of IDs that are
// not recorded get ErrNotFound. A delivery processed before keeps its
// first time.
func (g *groupCommit) commitMarks(marks []*pendingMark) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	found := map[string]bool{}
	// collect adds the IDs a statement returns to found.
	collect := func(rs rows, err error) error {
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var id string
			if err := rs.Scan(&id); err != nil {
				return err
			}
			found[id] = true
		}
		if err := rs.Err(); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	}
	err := g.db.inTx(ctx, func(q querier, _ insertFunc) error {
		args := []any{marks[0].at}
		for _, m := range marks {
			args = append(args, m.id)
		}
		if err := collect(q.query(ctx, `UPDATE webhook_deliveries SET processed_at = $1
			WHERE processed_at IS NULL AND id IN (`+placeholders(2, len(marks))+`) RETURNING id`, args...)); err != nil {
			return err
		}
		var rest []any
		for _, m := range marks {
			if !found[m.id] {
				rest = append(rest, m.id)
			}
		}
		if len(rest) == 0 {
			return nil
		}
		return collect(q.query(ctx, `SELECT id FROM webhook_deliveries WHERE id IN (`+placeholders(1, len(rest))+`)`, rest...))
	})
	for _, m := range marks {
		switch {
		case err != nil:
			m.done <- fmt.Errorf("mark delivery %s processed: %w", m.id, err)
		case !found[m.id]:
			m.done <- fmt.Errorf("mark delivery processed: delivery %s: %w", m.id, ErrNotFound)
		default:
			m.done <- nil
		}
	}
}
