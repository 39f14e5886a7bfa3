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
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
// runs the money rules in the Store's write transactions; movements that
// arrive together share one transaction and one synced commit (group.go).
//
// The Store owns its file: Open takes an exclusive lock (lockOwner), so a
// second process on the file is refused, and the Store keeps its hot
// accounts and their secrets in memory (view.go), changed by each write
// after its commit, so authenticated reads seldom reach SQLite.
//
// The Store tells the truth about its file: Ping fails when a write is
// impossible (a read-only file, a deleted or replaced file, a full disk),
// and the write connection is reopened when a write finds the file
// read-only, so writes work again as soon as the file is writable.
type Store struct {
	account.Ledger
	wmu sync.Mutex  // guards w and ws, which a read-only failure replaces
	w   *sql.DB     // one connection, BEGIN IMMEDIATE
	ws  *writeStmts // the ledger's statements, prepared on w by the first write (stmts.go)
	r   *sql.DB     // several query-only connections; the same as w in memory
	q   *readStmts  // the per-request reads, prepared on r
	// view holds the hot accounts for the reads (view.go); nil when this
	// process could not take ownership of the file (no flock).
	view *view
	// wturn is the write turn: held from BEGIN until the view has the
	// commit, so the view changes in commit order.
	wturn chan struct{}
	// group batches the money movements (group.go).
	group     *committer
	batches   atomic.Int64 // batches committed (or tried)
	movements atomic.Int64 // the movements those batches held
	wdsn      string       // w's data source name, to reopen it

	path  string      // the file; "" in memory
	lock  *os.File    // held while open: this process owns the file (lockOwner)
	ident os.FileInfo // the file as opened, to notice it deleted or replaced
	log   *slog.Logger
	// lost is logged once: the file was deleted or replaced under the
	// Store, which cannot recover from it without a restart.
	lost sync.Once
	// readOnly is set while writes find the file read-only, so that the
	// change is logged once each way, not on every write.
	readOnly atomic.Bool
	// wroteAt is when a write last committed (UnixNano): Ping trusts a
	// write that recent instead of queueing its probe behind the writes.
	wroteAt atomic.Int64
}

// probeAfter is how old the last successful write may be for Ping to
// trust it rather than probe: under a steady flow of writes the probe
// would wait its turn for the one writer, and could make /readyz fail
// because the server is busy.
const probeAfter = time.Second

var _ account.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for a lock held by another
// connection to the file (a backup, the sqlite3 shell; a second Store is
// refused at Open) before giving up.
const busyTimeout = 10 * time.Second

// Memory is the path that opens a private in-memory database, for tests.
// It lives as long as the Store and is not shared with anyone.
const Memory = ":memory:"

// Option changes how Open opens the database.
type Option func(*Store)

// WithLogger sets where the Store reports its file's problems (a file
// others can read, a file deleted or replaced, a read-only file); nothing
// is logged without it.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Open opens the database at path, creating the file if needed, and brings
// its schema up to date. path may be Memory. A new file and its -wal and
// -shm companions are created readable by their owner only (0600): they
// hold the secrets' hashes; an existing file that others may read is
// logged as a warning.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty database path")
	}
	s := &Store{log: slog.New(slog.DiscardHandler), wturn: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	if path == Memory {
		return openMemory(ctx, s)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	lock, err := lockOwner(path)
	if err != nil {
		return nil, err
	}
	s.path, s.lock = path, lock
	if lock != nil {
		s.view = newView()
	}

	// journal_mode=WAL: readers and the writer do not block each other.
	// synchronous=FULL: in WAL mode the default NORMAL only syncs the WAL at
	// checkpoints, so a power cut can lose the last commits even though the
	// caller was told they succeeded. These commits are money (a charge that
	// was reported done must stay done), so every commit is synced.
	// foreign_keys: SQLite leaves them off unless asked, per connection.
	// _txlock=immediate: take the write lock at BEGIN, not at the first
	// write, so a read-then-write transaction can never be refused halfway.
	// temp_store=MEMORY: a batch's savepoints keep the pages each movement
	// changes in a sub-journal, which is otherwise a temporary file written
	// to once it passes 64 KiB; it only matters until the commit.
	s.wdsn = dsn(path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeout.Milliseconds())},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
		"_pragma":       {"temp_store(MEMORY)"},
	})
	w, err := openWriter(s.wdsn)
	if err != nil {
		s.unlock()
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
		s.unlock()
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := s.start(ctx, w, r); err != nil {
		return nil, err
	}
	// SQLite gives the -wal and -shm files the database file's mode; they
	// exist now that start has written.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm()&0o077 != 0 {
			s.log.Warn("the database file can be read by other users of this system: it holds the secrets' hashes; chmod 600 it",
				"file", f, "mode", fi.Mode().Perm().String())
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.ident = fi
	return s, nil
}

// createPrivate creates the database file, empty and 0600, unless it
// exists, before SQLite opens it: SQLite would create it 0644 (less the
// umask), and its companions after it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	// Nothing has locked the file yet, so closing this descriptor
	// releases no SQLite lock.
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return nil
}

// openMemory opens a private in-memory database on a single connection,
// which serves reads and writes alike: an in-memory database has no WAL and
// disappears with its last connection, so the pool keeps that one forever.
func openMemory(ctx context.Context, s *Store) (*Store, error) {
	db, err := openWriter(Memory + "?" + url.Values{
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
	}.Encode())
	if err != nil {
		return nil, err
	}
	s.view = newView() // private to this Store
	if err := s.start(ctx, db, db); err != nil {
		return nil, err
	}
	return s, nil
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

// start wires s on its write and read pools, brings the schema up to
// date and prepares the reads; on failure it closes the pools.
func (s *Store) start(ctx context.Context, w, r *sql.DB) error {
	s.w, s.r = w, r
	s.Ledger = account.Ledger{InTx: s.inLedgerTx}
	err := s.migrate(ctx)
	if err == nil {
		err = s.ping(ctx)
	}
	if err == nil {
		s.q, err = prepareReads(ctx, r)
	}
	if err != nil {
		s.Close()
		return err
	}
	s.startCommitter()
	return nil
}

// dsn builds a "file:" URI so that any character in path (even '?' or '%')
// names the file it says; the driver reads the underscore parameters from
// the query and SQLite ignores them.
func dsn(path string, params url.Values) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + params.Encode()
}

// ping reports whether the database answers a query on the read pool, the
// one requests use.
func (s *Store) ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Ping reports whether the database can serve requests: it answers a read
// on the read pool, its file is still the one opened, the disk has room,
// and a write on the write connection succeeds (rolled back, so nothing is
// written), which reopens the connection if it finds the file read-only.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.ping(ctx); err != nil {
		return err
	}
	if err := s.checkFile(); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := diskFull(s.path); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if !s.readOnly.Load() && time.Since(time.Unix(0, s.wroteAt.Load())) < probeAfter {
		return nil
	}
	err := s.write(ctx, "ping", func(tx dbTx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (-1, 'readiness probe', 0)`); err != nil {
			return err
		}
		return errRollback
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// errRollback ends a write transaction without committing it.
var errRollback = errors.New("rolled back on purpose")

// checkFile reports an error when the path no longer names the file the
// Store opened: deleted (writes would go to a file no one will open
// again) or replaced (the Store would write to the old one). It is a
// stat, cheap enough for every write.
func (s *Store) checkFile() error {
	if s.ident == nil {
		return nil // in memory, or not opened yet
	}
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = fmt.Errorf("the database file %s was deleted", s.path)
	case err != nil:
		return nil // cannot tell: let SQLite report what it finds
	case !os.SameFile(fi, s.ident):
		err = fmt.Errorf("the database file %s was replaced by another file", s.path)
	default:
		return nil
	}
	s.lost.Do(func() {
		s.log.Error("the database file is no longer the one this server opened: writes are refused and /readyz fails until the server is restarted on the right file",
			"error", err.Error())
	})
	return err
}

// Close closes the prepared statements and both pools.
func (s *Store) Close() error {
	s.group.stop()
	errQ := s.q.close()
	var errR error
	if s.r != nil && s.r != s.w {
		errR = s.r.Close()
	}
	s.wmu.Lock()
	errS := s.ws.close()
	errW := s.w.Close()
	s.wmu.Unlock()
	s.unlock()
	if err := errors.Join(errQ, errS, errW, errR); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// unlock gives up the ownership of the file, once the pools are closed.
func (s *Store) unlock() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// dbTx is a transaction of the Store. Its methods are the ledger's reads
// and writes: a write transaction is the account.LedgerTx the money rules
// run in.
type dbTx struct {
	*sql.Tx
	ch *txChanges // what a write did to the accounts, for the view; nil in a read
	st *txStmts   // the prepared write statements; nil in a read
}

var _ account.LedgerTx = dbTx{}

// write runs fn in a write transaction (BEGIN IMMEDIATE) and commits it
// when fn returns nil. Domain errors from fn pass through untouched; any
// other error is wrapped with op.
//
// A write is refused (EUNAVAILABLE) when the file was deleted or replaced;
// one that finds the file read-only or the disk full fails EUNAVAILABLE
// too, and a read-only failure reopens the write connection, so that
// writes work again once the file is writable.
func (s *Store) write(ctx context.Context, op string, fn func(tx dbTx) error) error {
	if err := s.checkFile(); err != nil {
		return account.Unavailable("the database cannot be written", fmt.Errorf("sqlite: %s: %w", op, err))
	}
	select {
	case s.wturn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: %s: waiting for the write turn: %w", op, ctx.Err())
	}
	defer func() { <-s.wturn }()
	s.wmu.Lock()
	w, ws := s.w, s.ws
	s.wmu.Unlock()
	if ws == nil {
		ws = s.prepareWrites(ctx, w)
	}
	err := s.writeOn(ctx, w, ws, op, fn)
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_READONLY:
		s.reopenWriter(w, err)
		return account.Unavailable("the database cannot be written", err)
	case sqlite3.SQLITE_FULL:
		return account.Unavailable("the database cannot be written", err)
	}
	if (err == nil && op != "migrate") || errors.Is(err, errRollback) {
		// Committed, or the probe wrote before rolling back: the file can
		// be written. (A migration with nothing to apply writes nothing,
		// and commits on a read-only file too; so does a replayed
		// idempotent request, which leaves Ping trusting the file for
		// probeAfter at most.)
		s.wroteAt.Store(time.Now().UnixNano())
		if s.readOnly.CompareAndSwap(true, false) {
			s.log.Info("the database file can be written again", "file", s.path)
		}
	}
	return err
}

// reopenWriter replaces the write connection old, which found the file
// read-only: a SQLite connection that opened a read-only file stays
// read-only, even once the file is writable again; a new one opens it
// read-write if it can.
func (s *Store) reopenWriter(old *sql.DB, cause error) {
	if s.wdsn == "" {
		return // in memory: nothing to reopen
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.w != old {
		return // another write reopened it already
	}
	w, err := openWriter(s.wdsn)
	if err != nil {
		return
	}
	s.ws.close() // the next write prepares them on w
	s.w, s.ws = w, nil
	old.Close()
	if !s.readOnly.Swap(true) {
		s.log.Error("the database file cannot be written: writes are answered 503 and /readyz fails until it can, when writes resume by themselves",
			"file", s.path, "error", cause.Error())
	}
}

// writeOn is write on the write pool w, with its statements ws.
func (s *Store) writeOn(ctx context.Context, w *sql.DB, ws *writeStmts, op string, fn func(tx dbTx) error) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: begin: %w", op, err)
	}
	defer tx.Rollback() // a no-op once committed
	ch := &txChanges{}
	if err := fn(dbTx{tx, ch, &txStmts{prep: ws, tx: tx}}); err != nil {
		return wrap(op, err) // rolled back: the accounts are as they were
	}
	if err := tx.Commit(); err != nil {
		// Most likely not committed, but the view cannot tell.
		s.view.apply(ch, false)
		return fmt.Errorf("sqlite: %s: commit: %w", op, err)
	}
	s.view.apply(ch, true)
	return nil
}

// read runs fn in a read transaction on the read pool, so that the several
// queries fn makes see one snapshot.
func (s *Store) read(ctx context.Context, op string, fn func(tx dbTx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: %s: begin: %w", op, err)
	}
	defer tx.Rollback() // read-only: nothing to commit
	return wrap(op, fn(dbTx{Tx: tx}))
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
