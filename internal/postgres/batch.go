package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// AccountWithSecret runs on every authenticated request, and on PostgreSQL
// it must read the database every time: another instance may have revoked
// the secret a moment ago. What can be saved is the cost of each read, and
// most of it is per statement, not per row: a round trip, a Bind and an
// Execute on the server, two syscalls on each side. So concurrent reads
// share statements, DataLoader style: a read joins a queue; at most
// maxRunning statements run at once, and each one that starts takes every
// read queued at that moment (up to maxBatch) and answers them all. At low
// load a read runs alone at once; at high load the reads that arrive while
// the statements in flight run are answered together by the next one.
//
// Why a shared answer is as fresh as a read of its own: a read is queued
// before the statement that answers it is taken from the queue, and so
// before that statement is sent. The statement runs outside a transaction,
// under READ COMMITTED, so its snapshot is taken when the server starts
// it, after it was sent: every write whose commit was acknowledged before
// the read was called, on any instance, is in it. A read is never answered
// by a statement that was already on its way when the read arrived. That
// is the guarantee a read of its own gives, and what
// TestBatchedReadSeesEarlierRevoke checks.

// readPoolConfig is cfg for the pool of the shared statements: n
// connections, on which the statement is planned once. PostgreSQL plans a
// prepared statement anew for its parameters (a custom plan) until a
// generic plan looks no dearer; the generic plan guesses ten pairs, so for
// batches of fewer the custom plans look cheaper and every execution is
// planned again, which measured three times the cost of the whole
// one-account read (pgbench, one pair: 0.16-0.25 ms against 0.06 ms).
// The generic plan is the right one for every size: one index lookup in
// secrets and one in accounts per pair. It is forced on these connections
// only, which run nothing else.
func readPoolConfig(cfg *pgxpool.Config, n int) *pgxpool.Config {
	c := cfg.Copy()
	c.MaxConns = int32(n)
	c.MinConns = min(c.MinConns, c.MaxConns)
	c.MinIdleConns = min(c.MinIdleConns, c.MaxConns)
	c.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	return c
}

// defaultBatch is the most reads one statement answers.
const defaultBatch = 128

// defaultStatements is how many shared statements run at once, each on a
// connection of the read pool (never more than the main pool's size):
// two, so that one can travel while the other runs. More would make
// smaller batches, each costing a statement; on the 2-core bench machine
// one, two and four in flight measured 0.52x, 0.53x and 0.42x of the
// baseline (balance reads, 300 accounts, 5 rounds, noisy, before the
// generic plan of readPoolConfig).
const defaultStatements = 2

// secretReads coalesces concurrent AccountWithSecret reads.
type secretReads struct {
	pool       *pgxpool.Pool
	maxRunning int // statements in flight at most
	maxBatch   int // reads one statement answers at most

	mu      sync.Mutex
	queue   []*secretRead // waiting for a statement
	running int           // statements in flight

	// afterQuery, when set (by tests), runs once a statement has read its
	// rows and before its reads are answered.
	afterQuery func()
}

// secretRead is one AccountWithSecret call: its question, its deadline and,
// once done is closed, its answer.
type secretRead struct {
	apiKey, id string
	deadline   time.Time // zero: none

	done  chan struct{}
	acct  account.Account
	found bool
	err   error
}

func newSecretReads(pool *pgxpool.Pool, maxRunning, maxBatch int) *secretReads {
	return &secretReads{pool: pool, maxRunning: max(maxRunning, 1), maxBatch: max(maxBatch, 1)}
}

// read answers one AccountWithSecret call: queued, then answered by the
// next statement to start, or abandoned when ctx ends first.
func (b *secretReads) read(ctx context.Context, apiKey, id string) (account.Account, bool, error) {
	// A key or id PostgreSQL cannot store (a NUL byte, invalid UTF-8)
	// names nothing; sent, it would fail the whole statement, and every
	// read sharing it.
	if !storable(apiKey) || !storable(id) {
		return account.Account{}, false, nil
	}
	if err := ctx.Err(); err != nil {
		return account.Account{}, false, err
	}
	r := &secretRead{apiKey: apiKey, id: id, done: make(chan struct{})}
	r.deadline, _ = ctx.Deadline()
	b.mu.Lock()
	b.queue = append(b.queue, r)
	start := b.running < b.maxRunning
	if start {
		b.running++
	}
	b.mu.Unlock()
	if start {
		// Not run here: the statement must not keep this caller past its
		// own deadline, nor end when this caller leaves.
		go b.run()
	}
	select {
	case <-r.done:
		return r.acct, r.found, r.err
	case <-ctx.Done():
		return account.Account{}, false, ctx.Err()
	}
}

// run is one of the maxRunning statement slots: it answers what is queued,
// a batch at a time, until the queue is empty.
func (b *secretReads) run() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), b.maxBatch)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		batch := make([]*secretRead, n)
		copy(batch, b.queue)
		rest := copy(b.queue, b.queue[n:])
		clear(b.queue[rest:])
		b.queue = b.queue[:rest]
		b.mu.Unlock()
		b.answer(batch)
	}
}

// answer reads every account of batch with the secret asked for, in one
// statement, and closes each read's done, whatever happens: a read left
// unanswered would wait out its caller's deadline.
func (b *secretReads) answer(batch []*secretRead) {
	var err error
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("postgres: account with secret: panic: %v", p)
		}
		for _, r := range batch {
			if err != nil {
				r.acct, r.found, r.err = account.Account{}, false, err
			}
			close(r.done)
		}
	}()
	err = wrap("account with secret", b.query(batch))
	if b.afterQuery != nil {
		b.afterQuery()
	}
}

// query runs batchQuery for batch and sets the answers of the reads found.
func (b *secretReads) query(batch []*secretRead) error {
	// The statement serves several callers: no one caller's leaving ends
	// it. It is bounded by the latest of their deadlines (once that has
	// passed, nobody waits for the answer), and by statement_timeout.
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	var last time.Time
	for _, r := range batch {
		if r.deadline.IsZero() {
			last = time.Time{}
			break
		}
		if r.deadline.After(last) {
			last = r.deadline
		}
	}
	if !last.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, last)
	}
	defer cancel()

	keys := make([]string, len(batch))
	ids := make([]string, len(batch))
	for i, r := range batch {
		keys[i], ids[i] = r.apiKey, r.id
	}
	rows, err := b.pool.Query(ctx, batchQuery, keys, ids)
	if err != nil {
		return err
	}
	var i int64
	return forEachAccount(rows, &i, func(a account.Account) {
		if i >= 1 && i <= int64(len(batch)) { // ordinality counts from 1
			batch[i-1].acct, batch[i-1].found = a, true
		}
	})
}

// batchQuery reads, for each pair ($1[i], $2[i]) of an account's key and a
// secret id, the account if it holds the secret: a row of accountColumns
// and i, or no row. Joined item by item, each pair is an index lookup in
// accounts and one in secrets, whatever the number of pairs, and a secret
// is found only with its own account, whatever the other pairs ask.
var batchQuery = `SELECT ` + qualified("a", accountColumns) + `, q.i
	FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(api_key, secret_id, i)
	JOIN accounts a ON a.api_key = q.api_key
	JOIN secrets s ON s.id = q.secret_id AND s.api_key = q.api_key`

// qualified prefixes each of the comma-separated columns with table.
func qualified(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// forEachAccount scans rows of accountColumns followed by the column extra
// scans into, and calls fn with each account.
func forEachAccount(rows pgx.Rows, extra any, fn func(account.Account)) error {
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows, extra)
		if err != nil {
			return err
		}
		fn(a)
	}
	return rows.Err()
}
