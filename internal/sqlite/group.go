package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Group commit: money movements (Credit, Charge, TopUp through
// account.Ledger) that arrive together share one write transaction and
// so one synced commit, the cost that bounds a single writer. Each runs
// in a savepoint of its own: a movement refused with a domain error
// (EFUNDS, ENOTFOUND, ...) is rolled back alone and the others commit. Its
// caller hears the outcome only once the commit that holds it has
// returned, synced (synchronous=FULL): nothing is acknowledged that a
// crash could take back. A movement sees those before it in the batch, as
// it would see them committed, so the ledger rules and idempotency keys
// behave as with one transaction each.

// maxBatch bounds the movements of one transaction.
const maxBatch = 128

// batchTimeout bounds one batch's transaction: the movements run with
// the batch's context, not their callers', so that a caller leaving
// cannot interrupt a statement (SQLite would roll back the whole
// transaction, the other callers' movements with it).
const batchTimeout = 30 * time.Second

// movement is one caller's ledger transaction waiting for a batch.
type movement struct {
	ctx  context.Context
	op   string
	fn   func(account.LedgerTx) error
	done chan error // buffered: the committer never waits for the caller
}

// committer queues movements for the goroutine that batches them.
type committer struct {
	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan *movement
	exited chan struct{}
}

// startCommitter starts the goroutine that runs s's batches.
func (s *Store) startCommitter() {
	c := &committer{queue: make(chan *movement, 4*maxBatch), exited: make(chan struct{})}
	s.group = c
	go func() {
		defer close(c.exited)
		for m := range c.queue {
			batch := []*movement{m}
		fill:
			for len(batch) < maxBatch {
				select {
				case m, ok := <-c.queue:
					if !ok {
						break fill
					}
					batch = append(batch, m)
				default:
					break fill
				}
			}
			s.commitBatch(batch)
		}
	}()
}

// stop lets the queued movements finish and ends the goroutine.
func (c *committer) stop() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.exited
}

// BatchStats counts the ledger batches run since Open (each one write
// transaction and one synced commit) and the movements they held: their
// ratio is how many movements share a commit.
type BatchStats struct {
	Batches, Movements int64
}

// BatchStats returns the counts so far.
func (s *Store) BatchStats() BatchStats {
	return BatchStats{Batches: s.batches.Load(), Movements: s.movements.Load()}
}

var errClosed = errors.New("sqlite: the store is closed")

// inLedgerTx runs fn in a batch's transaction: account.Ledger's InTx. It
// returns once the batch has committed, or once ctx ends (the movement may
// then still commit, as a write whose caller left during its commit can).
func (s *Store) inLedgerTx(ctx context.Context, op string, fn func(account.LedgerTx) error) error {
	m := &movement{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	c := s.group
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	select {
	case c.queue <- m:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return fmt.Errorf("sqlite: %s: waiting for a batch: %w", op, ctx.Err())
	}
	select {
	case err := <-m.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sqlite: %s: waiting for its commit: %w", op, ctx.Err())
	}
}

// commitBatch runs the movements in one write transaction and tells each
// caller its outcome after the commit.
func (s *Store) commitBatch(batch []*movement) {
	s.batches.Add(1)
	s.movements.Add(int64(len(batch)))
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	// The statements run with a context that never ends: one that can
	// end costs database/sql and the driver a goroutine per statement to
	// watch it, most of a prepared statement's cost. The deadline still
	// bounds the batch: once ctx ends, database/sql rolls the transaction
	// back as soon as the running statement returns, and the rest fail.
	sctx := context.WithoutCancel(ctx)
	results := make([]error, len(batch))
	ran := make([]bool, len(batch))
	err := s.write(ctx, "ledger batch", func(tx dbTx) error {
		for i, m := range batch {
			if err := m.ctx.Err(); err != nil {
				results[i] = fmt.Errorf("sqlite: %s: %w", m.op, err) // left before it started
				continue
			}
			if _, err := tx.exec(sctx, stSavepoint); err != nil {
				return err
			}
			ch := &txChanges{}
			err := m.fn(batchTx{dbTx{tx.Tx, ch, tx.st}, sctx})
			ran[i] = true
			if err == nil {
				tx.ch.list = append(tx.ch.list, ch.list...)
				if _, err := tx.exec(sctx, stRelease); err != nil {
					return err
				}
				continue
			}
			if account.AsError(err) == nil {
				return wrap(m.op, err) // unexpected: the whole batch fails
			}
			results[i] = err // refused: this movement alone is undone
			if _, err := tx.exec(sctx, stRollbackTo); err != nil {
				return err
			}
			if _, err := tx.exec(sctx, stRelease); err != nil {
				return err
			}
		}
		return nil
	})
	for i, m := range batch {
		switch {
		case results[i] != nil:
			m.done <- results[i]
		case !ran[i] && err == nil:
			m.done <- fmt.Errorf("sqlite: %s: not run", m.op)
		default:
			m.done <- err
		}
	}
}

// batchTx is a LedgerTx of one movement in a batch: its statements run
// with the batch's context, whatever context the ledger passes.
type batchTx struct {
	tx  dbTx
	ctx context.Context
}

var _ account.LedgerTx = batchTx{}

func (b batchTx) Balance(_ context.Context, apiKey string) (account.Money, *account.AutoReload, error) {
	return b.tx.Balance(b.ctx, apiKey)
}

func (b batchTx) Insert(_ context.Context, t account.Transaction) (account.Transaction, error) {
	return b.tx.Insert(b.ctx, t)
}

func (b batchTx) TxByID(_ context.Context, apiKey string, id int64) (account.Transaction, error) {
	return b.tx.TxByID(b.ctx, apiKey, id)
}

func (b batchTx) ReloadAmount(_ context.Context, apiKey, trx string) (account.Money, bool, error) {
	return b.tx.ReloadAmount(b.ctx, apiKey, trx)
}

func (b batchTx) LookupKey(_ context.Context, apiKey, key string) (account.KeyRecord, bool, error) {
	return b.tx.LookupKey(b.ctx, apiKey, key)
}

func (b batchTx) RecordKey(_ context.Context, rec account.KeyRecord) error {
	return b.tx.RecordKey(b.ctx, rec)
}
