// Package postgres is the account.Store on PostgreSQL, for several server
// instances sharing one database (contract section 7).
//
// The invariants of account.Store are enforced by the schema itself (see
// migrations/0001_init.sql), under READ COMMITTED: every write that depends
// on an account's state first locks the account's row, and the triggers take
// the same lock, so whatever the number of instances (or raw SQL clients)
// they take turns. The Go code maps the database's refusals to
// *account.Error values.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Store is an account.Store on a pool of PostgreSQL connections. Credit,
// Charge and TopUp come from the embedded account.Ledger, which runs the
// money rules in the Store's transactions.
type Store struct {
	account.Ledger
	pool     *pgxpool.Pool
	readPool *pgxpool.Pool // the connections of reads' shared statements
	reads    *secretReads  // AccountWithSecret's shared statements
}

var _ account.Store = (*Store)(nil)

// DefaultStatementTimeout bounds every statement unless the connection
// string or WithStatementTimeout says otherwise: a stuck query fails instead
// of holding an account's row lock and a pool connection forever.
const DefaultStatementTimeout = 5 * time.Second

// Option changes how Open connects. The zero set of options gives pgxpool's
// defaults, or whatever the connection string sets, and
// DefaultStatementTimeout.
type Option func(*options)

type options struct {
	maxConns         int32             // 0: the connection string's pool_max_conns or pgxpool's default
	statementTimeout *time.Duration    // nil: the connection string's or DefaultStatementTimeout
	lockTimeout      *time.Duration    // nil: the connection string's or the server's
	runtimeParams    map[string]string // set on every connection (tests set search_path)
	connectTimeout   time.Duration     // 0: the connection string's connect_timeout, or DefaultConnectTimeout
	pingTimeout      time.Duration     // 0: the connection string's pool_ping_timeout, or DefaultPingTimeout
}

// DefaultConnectTimeout bounds opening a connection unless the connection
// string (connect_timeout) or WithConnectTimeout says otherwise: pgxpool
// would otherwise let a connection it opens in the background try for two
// minutes, against a database that accepts TCP but does not answer.
const DefaultConnectTimeout = 5 * time.Second

// DefaultPingTimeout bounds the pool's health check of an idle connection
// before it is handed out, unless the connection string
// (pool_ping_timeout) or WithPingTimeout says otherwise: pgxpool's default
// is no bound.
const DefaultPingTimeout = 5 * time.Second

// WithConnectTimeout bounds opening each connection of the pool.
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) { o.connectTimeout = d }
}

// WithPingTimeout bounds the pool's health check of an idle connection.
func WithPingTimeout(d time.Duration) Option {
	return func(o *options) { o.pingTimeout = d }
}

// WithMaxConns sets the size of the connection pool; 0 keeps the
// connection string's pool_max_conns or pgxpool's default, max(4, number of
// CPUs). The shared statements of AccountWithSecret have connections of
// their own besides (batch.go): min(2, the pool's size).
func WithMaxConns(n int32) Option {
	return func(o *options) { o.maxConns = n }
}

// WithStatementTimeout sets the server's statement_timeout on every
// connection; 0 disables it. It is rounded up to whole milliseconds.
func WithStatementTimeout(d time.Duration) Option {
	return func(o *options) { o.statementTimeout = &d }
}

// WithLockTimeout sets the server's lock_timeout on every connection: how
// long a statement waits for a row lock (such as a busy account's) before it
// fails; 0 disables it. It is rounded up to whole milliseconds.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = &d }
}

// Open connects to the database that url names (a postgres:// URL or a
// keyword/value string, with pgx's pool_* parameters if wanted) and brings
// its schema up to date. Several instances may open one database at the
// same moment: the migrations are applied once, by whichever comes first,
// while the others wait (bounded by ctx only). The schema lives in the first
// schema of the connection's search_path, which the URL may set.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if o.maxConns < 0 {
		return nil, fmt.Errorf("postgres: open: pool size %d is not positive", o.maxConns)
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
		cfg.MinConns = min(cfg.MinConns, cfg.MaxConns)
		cfg.MinIdleConns = min(cfg.MinIdleConns, cfg.MaxConns)
	}
	if o.connectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = o.connectTimeout
	} else if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if o.pingTimeout > 0 {
		cfg.PingTimeout = o.pingTimeout
	} else if cfg.PingTimeout == 0 {
		cfg.PingTimeout = DefaultPingTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	for name, value := range o.runtimeParams {
		params[name] = value
	}
	if _, ok := params["application_name"]; !ok {
		params["application_name"] = "vonage"
	}
	if o.statementTimeout != nil {
		if params["statement_timeout"], err = milliseconds("statement", *o.statementTimeout); err != nil {
			return nil, err
		}
	} else if _, ok := params["statement_timeout"]; !ok {
		params["statement_timeout"], _ = milliseconds("statement", DefaultStatementTimeout)
	}
	if o.lockTimeout != nil {
		if params["lock_timeout"], err = milliseconds("lock", *o.lockTimeout); err != nil {
			return nil, err
		}
	}

	statements := min(defaultStatements, int(cfg.MaxConns))
	readCfg := readPoolConfig(cfg, statements)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	readPool, err := pgxpool.NewWithConfig(ctx, readCfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, readPool: readPool, reads: newSecretReads(readPool, statements, defaultBatch)}
	s.Ledger = account.Ledger{InTx: s.inLedgerTx}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// milliseconds renders a timeout as a server parameter value, rounding up
// so that a positive timeout never becomes 0 (which would disable it).
func milliseconds(what string, d time.Duration) (string, error) {
	if d < 0 {
		return "", fmt.Errorf("postgres: open: negative %s timeout %v", what, d)
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatInt(int64(ms), 10) + "ms", nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes every connection of the pools, waiting for those in use.
func (s *Store) Close() error {
	s.pool.Close()
	s.readPool.Close()
	return nil
}

// write runs fn in a READ COMMITTED transaction and commits it when fn
// returns nil. Domain errors from fn pass through untouched; any other
// error is wrapped with op.
//
// READ COMMITTED is asked for explicitly: the row locks are designed for it
// (a statement after a lock sees what the previous holder committed), and
// under a database default of SERIALIZABLE the same transactions would fail
// with serialization errors that nothing retries.
func (s *Store) write(ctx context.Context, op string, fn func(tx dbTx) error) error {
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted},
		func(tx pgx.Tx) error { return fn(dbTx{tx}) })
	return wrap(op, err)
}

// dbTx is a write transaction of the Store. Its methods are the ledger's
// reads and writes: it is the account.LedgerTx the money rules run in.
type dbTx struct{ pgx.Tx }

var _ account.LedgerTx = dbTx{}

// inLedgerTx runs fn in a write transaction: account.Ledger's InTx.
func (s *Store) inLedgerTx(ctx context.Context, op string, fn func(account.LedgerTx) error) error {
	return s.write(ctx, op, func(tx dbTx) error { return fn(tx) })
}

// wrap adds op to unexpected errors and leaves domain errors alone. A
// statement the server cancelled for its statement_timeout or lock_timeout
// is EUNAVAILABLE: the database did not answer in time, and the caller
// may retry (503 with Retry-After, like the service's own deadline).
func wrap(op string, err error) error {
	if err == nil || account.AsError(err) != nil {
		return err
	}
	err = fmt.Errorf("postgres: %s: %w", op, err)
	if violates(err, codeQueryCanceled, "") || violates(err, codeLockNotAvailable, "") {
		return account.Unavailable("the database did not answer in time; retry later", err)
	}
	return err
}

// SQLSTATEs the code tells apart. The VN class is the schema's own (see
// migrations/0001_init.sql).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeLastSecret          = "VN001"
	codeQueryCanceled       = "57014" // statement_timeout (or a cancel request)
	codeLockNotAvailable    = "55P03" // lock_timeout
)

// pgError returns the server error in err's chain, or nil.
func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// violates reports whether err is the server refusing a statement with
// SQLSTATE code, on the named constraint when constraint is not empty.
func violates(err error, code, constraint string) bool {
	pe := pgError(err)
	return pe != nil && pe.Code == code && (constraint == "" || pe.ConstraintName == constraint)
}

// storable reports whether PostgreSQL can hold s in a text column: not
// with a NUL byte or invalid UTF-8. A key that is not storable names no
// account; sent as a parameter, it would fail the statement (SQLSTATE
// 22021) and a lookup that should answer "not found" with a server error.
// The reads that a client's key reaches before it is authenticated
// (Account, Secrets, Signature, AccountWithSecret) check it first.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// fromDB returns a timestamptz as the service hands times in: UTC. pgx
// returns them in time.Local.
func fromDB(t time.Time) time.Time { return t.UTC() }

// nullString maps "" to NULL, for optional references.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
