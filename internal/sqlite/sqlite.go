// Package sqlite is the account.Store on an embedded SQLite database, the
// server's default storage (contract section 7: `--db vonage.db`).
//
// It uses modernc.org/sqlite, a pure-Go SQLite, so the binary needs no cgo.
// The invariants of account.Store are enforced by the schema itself (see
// the steps in migrations/); the Go code maps the database's refusals to
// *account.Error values.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Store is an account.Store on one SQLite database file.
//
// Writes go through a pool of exactly one connection whose transactions
// start with BEGIN IMMEDIATE: they queue in Go instead of racing for
// SQLite's write lock, so they never fail with SQLITE_BUSY, and every
// read-then-write inside them sees a balance no one else can change.
// Reads go through a separate pool of query-only connections: in WAL mode a
// reader never waits for a writer, so authentication does not queue behind a
// slow commit.
//
// Credit, Charge and TopUp come from the embedded account.Ledger, which
// runs the money rules in the Store's write transactions.
type Store struct {
	account.Ledger
	w *sql.DB    // one connection, BEGIN IMMEDIATE
	r *sql.DB    // several query-only connections; the same as w in memory
	q *readStmts // the per-request reads, prepared on r
}

var _ account.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for a lock held by another
// process (another Store on the same file) before giving up.
const busyTimeout = 10 * time.Second

// Memory is the path that opens a private in-memory database, for tests.
// It lives as long as the Store and is not shared with anyone.
const Memory = ":memory:"

// Open opens the database at path, creating the file if needed, and brings
// its schema up to date. path may be Memory.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty database path")
	}
	if path == Memory {
		return openMemory(ctx)
	}

	// journal_mode=WAL: readers and the writer do not block each other.
	// synchronous=FULL: in WAL mode the default NORMAL only syncs the WAL at
	// checkpoints, so a power cut can lose the last commits even though the
	// caller was told they succeeded. These commits are money (a charge that
	// was reported done must stay done), so every commit is synced.
	// foreign_keys: SQLite leaves them off unless asked, per connection.
	// _txlock=immediate: take the write lock at BEGIN, not at the first
	// write, so a read-then-write transaction can never be refused halfway.
	w, err := openWriter(dsn(path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeout.Milliseconds())},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
	}))
	if err != nil {
		return nil, err
	}

	// The write connection switches the file to WAL (journal_mode is
	// persistent) when start migrates, before any reader connects, so
	// readers need not, and cannot: they are query-only.
	r, err := sql.Open("sqlite", dsn(path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeout.Milliseconds())},
		"_query_only":   {"1"},
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return start(ctx, w, r)
}

// openMemory opens a private in-memory database on a single connection,
// which serves reads and writes alike: an in-memory database has no WAL and
// disappears with its last connection, so the pool keeps that one forever.
func openMemory(ctx context.Context) (*Store, error) {
	db, err := openWriter(Memory + "?" + url.Values{
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
	}.Encode())
	if err != nil {
		return nil, err
	}
	return start(ctx, db, db)
}

// openWriter opens a pool of one connection, kept forever, on the data
// source name: the pool every write goes through.
func openWriter(name string) (*sql.DB, error) {
	w, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	return w, nil
}

// start wires a Store on its write and read pools, brings the schema up to
// date and prepares the reads; on failure it closes the pools.
func start(ctx context.Context, w, r *sql.DB) (*Store, error) {
	s := &Store{w: w, r: r}
	s.Ledger = account.Ledger{InTx: s.inLedgerTx}
	err := s.migrate(ctx)
	if err == nil {
		err = s.Ping(ctx)
	}
	if err == nil {
		s.q, err = prepareReads(ctx, r)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds a "file:" URI so that any character in path (even '?' or '%')
// names the file it says; the driver reads the underscore parameters from
// the query and SQLite ignores them.
func dsn(path string, params url.Values) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + params.Encode()
}

// Ping reports whether the database answers a query on the read pool, the
// one requests use.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the prepared statements and both pools.
func (s *Store) Close() error {
	errQ := s.q.close()
	var errR error
	if s.r != nil && s.r != s.w {
		errR = s.r.Close()
	}
	errW := s.w.Close()
	if err := errors.Join(errQ, errW, errR); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// dbTx is a transaction of the Store. Its methods are the ledger's reads
// and writes: a write transaction is the account.LedgerTx the money rules
// run in.
type dbTx struct{ *sql.Tx }

var _ account.LedgerTx = dbTx{}

// write runs fn in a write transaction (BEGIN IMMEDIATE) and commits it
// when fn returns nil. Domain errors from fn pass through untouched; any
// other error is wrapped with op.
func (s *Store) write(ctx context.Context, op string, fn func(tx dbTx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: begin: %w", op, err)
	}
	defer tx.Rollback() // a no-op once committed
	if err := fn(dbTx{tx}); err != nil {
		return wrap(op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: commit: %w", op, err)
	}
	return nil
}

// inLedgerTx runs fn in a write transaction: account.Ledger's InTx.
func (s *Store) inLedgerTx(ctx context.Context, op string, fn func(account.LedgerTx) error) error {
	return s.write(ctx, op, func(tx dbTx) error { return fn(tx) })
}

// read runs fn in a read transaction on the read pool, so that the several
// queries fn makes see one snapshot.
func (s *Store) read(ctx context.Context, op string, fn func(tx dbTx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: %s: begin: %w", op, err)
	}
	defer tx.Rollback() // read-only: nothing to commit
	return wrap(op, fn(dbTx{tx}))
}

// wrap adds op to unexpected errors and leaves domain errors alone.
func wrap(op string, err error) error {
	if err == nil || account.AsError(err) != nil {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// eachRow calls fn on each row of rows, then closes them, and returns how
// many rows there were.
func eachRow(rows *sql.Rows, fn func(row *sql.Rows) error) (int, error) {
	defer rows.Close()
	n := 0
	for ; rows.Next(); n++ {
		if err := fn(rows); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// sqliteCode returns the extended SQLite result code in err's chain, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isUnique reports a UNIQUE or PRIMARY KEY constraint violation.
func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isTrigger reports a RAISE(ABORT, msg) from a trigger whose message
// contains msg.
func isTrigger(err error, msg string) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_TRIGGER && strings.Contains(err.Error(), msg)
}

// Timestamps are stored as nanoseconds since the Unix epoch, which keeps
// every bit of a time.Time the service passes in (between the years 1678 and
// 2262) and sorts as numbers.
func toDB(t time.Time) int64 { return t.UnixNano() }

func fromDB(n int64) time.Time { return time.Unix(0, n).UTC() }

// nullString maps "" to NULL, for optional references.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
