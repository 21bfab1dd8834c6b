package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// groupCommit records deliveries arriving together in one SQLite
// transaction. SQLite has one connection and pays one fsync per commit,
// so concurrent webhook handlers would otherwise queue for it one commit
// each. One goroutine per store takes whatever is queued (no added wait
// when idle: a lone delivery commits at once), commits it, and each caller
// returns once its own delivery is durable. Each delivery runs under its
// own savepoint, so one failing or duplicate delivery leaves the others in
// the batch untouched.
type groupCommit struct {
	db      *sqliteDB
	reqs    chan *pendingRecord
	quit    chan struct{} // closed by stop
	stopped chan struct{} // closed when the goroutine has drained and left
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

func startGroupCommit(db *sqliteDB) *groupCommit {
	g := &groupCommit{db: db, reqs: make(chan *pendingRecord, 4*maxGroup), quit: make(chan struct{}), stopped: make(chan struct{})}
	go g.run()
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
	defer close(g.stopped)
	for {
		var first *pendingRecord
		select {
		case first = <-g.reqs:
		case <-g.quit:
			for {
				batch := g.take(nil)
				if len(batch) == 0 {
					return
				}
				g.commit(batch)
			}
		}
		g.commit(g.take([]*pendingRecord{first}))
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
			undo := err != nil || rec.Duplicate
			if undo {
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
	for i, p := range batch {
		if err != nil {
			results[i] = recordResult{err: err}
		}
		p.done <- results[i]
	}
}
