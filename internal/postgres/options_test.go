package postgres

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
)

func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	s, _ := open(t, WithStatementTimeout(100*time.Millisecond))
	_, err := s.pool.Exec(t.Context(), `SELECT pg_sleep(1)`)
	wantState(t, "pg_sleep(1) with a 100ms statement timeout", err, "57014") // query_canceled
	// The pool is still usable afterwards.
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after a timeout: %v", err)
	}
}

// TestConnectionSettings: what each way of configuring the pool gives.
func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	schema, _ := pgtest.NewSchema(t, "test")
	url := pgtest.URL(t)
	defaultMax := max(4, int32(runtime.NumCPU()))
	for _, tc := range []struct {
		name                string
		url                 string
		opts                []Option
		maxConns            int32
		statement, lock, as string
	}{
		{"defaults", url, nil, defaultMax, "5s", "0", "vonage"},
		{"options", url, []Option{WithMaxConns(7), WithStatementTimeout(1500 * time.Millisecond), WithLockTimeout(time.Second)},
			7, "1500ms", "1s", "vonage"},
		// A statement timeout of 1ms would cancel the checking query itself
		// on a loaded machine, so the fraction rides on a whole second.
		{"fractions of a millisecond round up", url, []Option{WithStatementTimeout(time.Second + time.Microsecond), WithLockTimeout(time.Microsecond)},
			defaultMax, "1001ms", "1ms", "vonage"},
		{"zero disables", url, []Option{WithStatementTimeout(0)}, defaultMax, "0", "0", "vonage"},
		{"url", withQuery(url, "pool_max_conns=3&statement_timeout=2500&lock_timeout=700&application_name=mine"), nil,
			3, "2500ms", "700ms", "mine"},
		{"options over url", withQuery(url, "pool_max_conns=3&statement_timeout=2500"), []Option{WithMaxConns(5), WithStatementTimeout(time.Second)},
			5, "1s", "0", "vonage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openAt(t, tc.url, schema, tc.opts...)
			if got := s.pool.Config().MaxConns; got != tc.maxConns {
				t.Errorf("MaxConns %d, want %d", got, tc.maxConns)
			}
			var statement, lock, as string
			if err := s.pool.QueryRow(t.Context(), `SELECT current_setting('statement_timeout'),
					current_setting('lock_timeout'), current_setting('application_name')`).
				Scan(&statement, &lock, &as); err != nil {
				t.Fatal(err)
			}
			if statement != tc.statement || lock != tc.lock || as != tc.as {
				t.Errorf("statement_timeout %s, lock_timeout %s, application_name %s; want %s, %s, %s",
					statement, lock, as, tc.statement, tc.lock, tc.as)
			}
		})
	}
}

// withQuery adds the parameters in query to url, which may have some already.
func withQuery(url, query string) string {
	if strings.Contains(url, "?") {
		return url + "&" + query
	}
	return url + "?" + query
}

// openAt opens a Store on url with opts, its search_path schema (and no
// application_name, which the tests check), and closes it when the test ends.
func openAt(t *testing.T, url, schema string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, append([]Option{withRuntimeParam("search_path", schema)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenErrors(t *testing.T) {
	url := pgtest.URL(t)
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  string
		opts []Option
	}{
		{"not a connection string", "postgres://%zz", nil},
		{"negative pool size", url, []Option{WithMaxConns(-1)}},
		{"negative statement timeout", url, []Option{WithStatementTimeout(-time.Second)}},
		{"negative lock timeout", url, []Option{WithLockTimeout(-time.Second)}},
		{"nobody listening", "postgres://vonage:hunter22@127.0.0.1:1/none?sslmode=disable&connect_timeout=5", nil},
		{"no such schema", url, []Option{withRuntimeParam("search_path", "test_does_not_exist")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, tc.opts...)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// TestPoolTimeouts: opening a connection and the pool's health check of an
// idle one are bounded by default (pgxpool would try a connect for two
// minutes and wait for a ping forever), by the URL, or by the options.
func TestPoolTimeouts(t *testing.T) {
	t.Parallel()
	schema, _ := pgtest.NewSchema(t, "test")
	url := pgtest.URL(t)
	for _, tc := range []struct {
		name          string
		url           string
		opts          []Option
		connect, ping time.Duration
	}{
		{"defaults", url, nil, DefaultConnectTimeout, DefaultPingTimeout},
		{"url", withQuery(url, "connect_timeout=3&pool_ping_timeout=4s"), nil, 3 * time.Second, 4 * time.Second},
		{"options over url", withQuery(url, "connect_timeout=3&pool_ping_timeout=4s"),
			[]Option{WithConnectTimeout(time.Second), WithPingTimeout(2 * time.Second)}, time.Second, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openAt(t, tc.url, schema, tc.opts...)
			cfg := s.pool.Config()
			if cfg.ConnConfig.ConnectTimeout != tc.connect || cfg.PingTimeout != tc.ping {
				t.Errorf("connect timeout %v, ping timeout %v; want %v and %v",
					cfg.ConnConfig.ConnectTimeout, cfg.PingTimeout, tc.connect, tc.ping)
			}
		})
	}
}

// TestStatementTimeoutIsUnavailable: a store call the server cancels for
// its statement_timeout is EUNAVAILABLE (503 with Retry-After), not an
// internal error.
func TestStatementTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	s, _ := open(t, WithStatementTimeout(100*time.Millisecond))
	err := s.write(t.Context(), "sleep", func(tx dbTx) error {
		_, err := tx.Exec(t.Context(), `SELECT pg_sleep(1)`)
		return err
	})
	if account.ErrorCode(err) != account.EUNAVAILABLE {
		t.Errorf("a statement over statement_timeout: %v, want EUNAVAILABLE", err)
	}
	wantState(t, "the cause", err, "57014")
}
