package postgres

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// The tests run against the database VONAGE_TEST_POSTGRES_URL names and
// are skipped without it (see internal/pgtest). Each Store lives in a fresh
// schema of its own, dropped when its test ends, so tests run in parallel
// and leave nothing behind.

// withRuntimeParam sets a server parameter on every connection (for
// search_path, application_name and timezone).
func withRuntimeParam(name, value string) Option {
	return func(o *options) {
		if o.runtimeParams == nil {
			o.runtimeParams = map[string]string{}
		}
		o.runtimeParams[name] = value
	}
}

// inSchema are the options that put a Store in schema. Its connections
// carry the schema's name as application_name, so that a test can find
// them.
func inSchema(schema string) []Option {
	return []Option{withRuntimeParam("search_path", schema), withRuntimeParam("application_name", schema)}
}

// openIn opens a Store in schema and closes it when the test ends (before
// the schema is dropped).
func openIn(tb testing.TB, schema string, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), pgtest.URL(tb), append(inSchema(schema), opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// open opens a Store in a fresh schema.
func open(tb testing.TB, opts ...Option) (*Store, string) {
	tb.Helper()
	schema, _ := pgtest.NewSchema(tb, "test")
	return openIn(tb, schema, opts...), schema
}

// openEmpty opens a Store in a fresh schema: the storetest.Opener.
func openEmpty(tb testing.TB) account.Store {
	s, _ := open(tb)
	return s
}

// raw connects to schema with plain pgx, bypassing the Store, as any other
// client could.
func raw(t *testing.T, schema string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	if schema != "" {
		cfg.RuntimeParams["search_path"] = schema
	}
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// sqlState returns the SQLSTATE of err, or "" when err is not from the
// server.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// wantState fails unless err carries that SQLSTATE.
func wantState(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := sqlState(err); got != code {
		t.Errorf("%s: error %v (SQLSTATE %q), want SQLSTATE %s", what, err, got, code)
	}
}

var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897000, time.UTC)

// seed creates an account with one secret (and balance, when positive).
func seed(t *testing.T, s *Store, key string, balance account.Money) account.Secret {
	t.Helper()
	return storetest.Seed(t, s, key, balance, t0)
}

// addSecret gives key a second secret.
func addSecret(t *testing.T, s *Store, key string) account.Secret {
	t.Helper()
	sec := account.Secret{ID: account.NewID(), APIKey: key, Hash: "$argon2id$test", CreatedAt: t0}
	if err := s.AddSecret(t.Context(), sec); err != nil {
		t.Fatal(err)
	}
	return sec
}

func TestStore(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storetest.Run(t, openEmpty)
}

// BenchmarkStore measures the store's hot paths (see storetest.Bench),
// each read one round trip to the server: go test -run '^$' -bench .
// ./internal/postgres with VONAGE_TEST_POSTGRES_URL set. The parallel read
// runs 4 goroutines per CPU, as reads spend their time waiting on the
// network.
func BenchmarkStore(b *testing.B) { storetest.Bench(b, openEmpty, 4) }

// migrationsApplied returns schema_migrations, one line per row.
func migrationsApplied(t *testing.T, schema string) []string {
	t.Helper()
	rows, err := raw(t, schema).Query(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var (
			v    int
			name string
			at   time.Time
		)
		err := r.Scan(&v, &name, &at)
		return fmt.Sprint(v, " ", name, " ", at.UnixMicro()), err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// migrationFiles returns the number of embedded migrations.
func migrationFiles(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	return len(files)
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	schema, _ := pgtest.NewSchema(t, "test")
	for range 3 {
		s, err := Open(t.Context(), pgtest.URL(t), inSchema(schema)...)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	first := migrationsApplied(t, schema)
	if len(first) != migrationFiles(t) {
		t.Fatalf("%d migrations recorded, want %d: %v", len(first), migrationFiles(t), first)
	}
	s := openIn(t, schema)
	seed(t, s, "migrate1", 1)
	if again := migrationsApplied(t, schema); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("re-opening changed schema_migrations:\n%s\nwas\n%s", again, first)
	}
}

// TestConcurrentOpen: instances starting at the same moment on an empty
// schema all come up, and each migration is applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	const rounds, instances = 5, 4
	for round := range rounds {
		schema, _ := pgtest.NewSchema(t, "test")
		stores := make([]*Store, instances)
		errs := storetest.Race(instances, func(i int) error {
			var err error
			stores[i], err = Open(t.Context(), pgtest.URL(t), inSchema(schema)...)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: Open %d: %v", round, i, err)
				continue
			}
			stores[i].Close()
		}
		var versions, distinct int
		if err := raw(t, schema).QueryRow(t.Context(),
			`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct); err != nil {
			t.Fatal(err)
		}
		if want := migrationFiles(t); versions != want || distinct != want {
			t.Errorf("round %d: schema_migrations has %d rows of %d versions, want %d of %d", round, versions, distinct, want, want)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	_, schema := open(t)
	if _, err := raw(t, schema).Exec(t.Context(),
		`INSERT INTO schema_migrations (version, name) VALUES (999999, '999999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), pgtest.URL(t), inSchema(schema)...)
	storetest.WantNewerSchemaRefused(t, s, err)
}

// TestNothingLeftBehind: once a test is over, its schema is gone and its
// Store has closed every connection.
func TestNothingLeftBehind(t *testing.T) {
	t.Parallel()
	var schema string
	t.Run("inner", func(t *testing.T) {
		var s *Store
		s, schema = open(t)
		seed(t, s, "leftover", 5)
		if _, err := s.Credit(t.Context(), account.Movement{APIKey: "leftover", Amount: 1, Now: t0, IdempotencyKey: "k", Fingerprint: "f"}); err != nil {
			t.Fatal(err)
		}
	})
	conn := raw(t, "")
	var schemas int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if schemas != 0 {
		t.Errorf("schema %s is still there", schema)
	}
	// A closed connection's server process ends a moment after the client
	// hangs up, and there is nothing to wait on but the process list.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var backends int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, schema).Scan(&backends); err != nil {
			t.Fatal(err)
		}
		if backends == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections of the closed Store are still open", backends)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTimesRoundTrip: times come back as the same instant in UTC, whatever
// the session's time zone, to the microsecond.
func TestTimesRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := open(t, withRuntimeParam("timezone", "Asia/Kolkata"))
	when := time.Date(2031, time.December, 31, 23, 59, 59, 999999000, time.UTC)
	sec := account.Secret{ID: account.NewID(), APIKey: "times001", Hash: "h", CreatedAt: when}
	if err := s.CreateAccount(t.Context(), account.Account{APIKey: "times001", Balance: 1, CreatedAt: when}, sec); err != nil {
		t.Fatal(err)
	}
	acct, err := s.Account(t.Context(), "times001")
	if err != nil {
		t.Fatal(err)
	}
	secs, err := s.Secrets(t.Context(), "times001")
	if err != nil {
		t.Fatal(err)
	}
	txs, err := s.Transactions(t.Context(), "times001", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]time.Time{"account": acct.CreatedAt, "secret": secs[0].CreatedAt, "ledger": txs[0].CreatedAt} {
		if got != when { // == : same instant, location and no monotonic reading
			t.Errorf("%s CreatedAt %v, want %v", what, got, when)
		}
	}
}
