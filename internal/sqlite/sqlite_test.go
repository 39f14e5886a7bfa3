package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// openFile opens a Store on a new file, as the server runs it.
func openFile(tb testing.TB) account.Store {
	return open(tb, filepath.Join(tb.TempDir(), "test.db"))
}

func TestStore(t *testing.T) { storetest.Run(t, openFile) }

func TestStoreMemory(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) account.Store { return open(tb, sqlite.Memory) })
}

// BenchmarkStore measures the store's hot paths (see storetest.Bench):
// go test -run '^$' -bench . -benchmem ./internal/sqlite.
func BenchmarkStore(b *testing.B) { storetest.Bench(b, openFile, 1) }

// open opens a Store and closes it when the test ends.
func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// openRaw opens a Store on a new file holding the account key (with the
// balance, when positive), and the same file with plain database/sql.
func openRaw(t *testing.T, key string, balance account.Money) (*sqlite.Store, account.Secret, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s := open(t, path)
	sec := seed(t, s, key, balance)
	return s, sec, raw(t, path)
}

// raw opens the file with plain database/sql, bypassing the Store, as any
// other program could.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_foreign_keys=1&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// wantSQLiteCode fails unless err is a SQLite error with that extended code.
func wantSQLiteCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	var se *msqlite.Error
	if !errors.As(err, &se) || se.Code() != code {
		t.Errorf("%s: error %v, want SQLite code %d", what, err, code)
	}
}

var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.UTC)

// seed creates an account with one secret (and balance, when positive).
func seed(t *testing.T, s *sqlite.Store, key string, balance account.Money) account.Secret {
	t.Helper()
	return storetest.Seed(t, s, key, balance, t0)
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	applied := func() string {
		t.Helper()
		rows, err := raw(t, path).Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v, at int64
			var name string
			if err := rows.Scan(&v, &name, &at); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(v, name, at))
		}
		if len(out) != len(files) {
			t.Fatalf("%d migrations recorded, want %d: %v", len(out), len(files), out)
		}
		return strings.Join(out, "\n")
	}
	for range 3 {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	first := applied()
	s := open(t, path)
	seed(t, s, "migrate1", 1)
	if again := applied(); again != first {
		t.Errorf("re-opening changed schema_migrations:\n%s\nwas\n%s", again, first)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "test.db")
	s := open(t, path)
	if _, err := raw(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999999, 'future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := sqlite.Open(t.Context(), path)
	storetest.WantNewerSchemaRefused(t, s2, err)
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "test.db")
	open(t, path)
	var mode string
	if err := raw(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
}

func TestSchemaAllowsTwoSecrets(t *testing.T) {
	t.Parallel()
	_, _, db := openRaw(t, "rawsecr1", 0)
	insert := func(slot int) error {
		_, err := db.Exec(`INSERT INTO secrets (id, api_key, slot, hash, created_at) VALUES (?, 'rawsecr1', ?, 'h', 0)`,
			account.NewID(), slot)
		return err
	}
	wantSQLiteCode(t, "raw insert into the taken slot 1", insert(1), sqlite3.SQLITE_CONSTRAINT_UNIQUE)
	wantSQLiteCode(t, "raw insert into slot 3", insert(3), sqlite3.SQLITE_CONSTRAINT_CHECK)
	wantSQLiteCode(t, "raw insert into slot 0", insert(0), sqlite3.SQLITE_CONSTRAINT_CHECK)
	if err := insert(2); err != nil {
		t.Fatalf("raw insert into the free slot 2: %v", err)
	}
	for _, slot := range []int{1, 2} {
		wantSQLiteCode(t, fmt.Sprintf("raw third secret in slot %d", slot), insert(slot), sqlite3.SQLITE_CONSTRAINT_UNIQUE)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM secrets WHERE api_key = 'rawsecr1'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d secrets (%v), want 2", n, err)
	}
	// Moving a secret to another slot cannot make room either.
	_, err := db.Exec(`UPDATE secrets SET slot = 3 WHERE api_key = 'rawsecr1' AND slot = 2`)
	wantSQLiteCode(t, "raw move to slot 3", err, sqlite3.SQLITE_CONSTRAINT_CHECK)
}

func TestSchemaKeepsLastSecret(t *testing.T) {
	t.Parallel()
	s, only, db := openRaw(t, "rawlast1", 0)
	count := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM secrets WHERE api_key = 'rawlast1'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	_, err := db.Exec(`DELETE FROM secrets WHERE id = ?`, only.ID)
	wantSQLiteCode(t, "raw delete of the only secret", err, sqlite3.SQLITE_CONSTRAINT_TRIGGER)

	second := account.Secret{ID: account.NewID(), APIKey: "rawlast1", Hash: "h", CreatedAt: t0}
	if err := s.AddSecret(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	// One statement deleting both: the second row's delete aborts it all.
	_, err = db.Exec(`DELETE FROM secrets WHERE api_key = 'rawlast1'`)
	wantSQLiteCode(t, "raw delete of both secrets", err, sqlite3.SQLITE_CONSTRAINT_TRIGGER)
	if n := count(); n != 2 {
		t.Errorf("%d secrets after the refused delete, want 2", n)
	}
	if _, err := db.Exec(`DELETE FROM secrets WHERE id = ?`, only.ID); err != nil {
		t.Fatalf("raw delete of one of two secrets: %v", err)
	}
	_, err = db.Exec(`DELETE FROM secrets WHERE id = ?`, second.ID)
	wantSQLiteCode(t, "raw delete of the remaining secret", err, sqlite3.SQLITE_CONSTRAINT_TRIGGER)
	if n := count(); n != 1 {
		t.Errorf("%d secrets, want 1", n)
	}
}

func TestSchemaGuardsLedger(t *testing.T) {
	t.Parallel()
	s, _, db := openRaw(t, "rawmony1", 100)

	exec := func(q string, args ...any) error { _, err := db.Exec(q, args...); return err }
	trigger := sqlite3.SQLITE_CONSTRAINT_TRIGGER
	wantSQLiteCode(t, "raw balance change", exec(`UPDATE accounts SET balance = 1000 WHERE api_key = 'rawmony1'`), trigger)
	wantSQLiteCode(t, "raw account with money", exec(`INSERT INTO accounts (api_key, balance, max_outbound_request,
		max_inbound_request, max_calls_per_second, created_at) VALUES ('rawmony2', 5, 1, 1, 1, 0)`), trigger)
	insert := func(kind string, amount, after int64) error {
		return exec(`INSERT INTO transactions (api_key, kind, amount, balance_after, created_at)
			VALUES ('rawmony1', ?, ?, ?, 0)`, kind, amount, after)
	}
	wantSQLiteCode(t, "raw row with a wrong balance_after", insert("credit", 5, 1000), trigger)
	wantSQLiteCode(t, "raw overdraft", insert("charge", -101, -1), sqlite3.SQLITE_CONSTRAINT_CHECK)
	wantSQLiteCode(t, "raw charge with a positive amount", insert("charge", 5, 105), sqlite3.SQLITE_CONSTRAINT_CHECK)
	wantSQLiteCode(t, "raw unknown kind", insert("gift", 5, 105), sqlite3.SQLITE_CONSTRAINT_CHECK)
	wantSQLiteCode(t, "raw ledger update", exec(`UPDATE transactions SET amount = 1000`), trigger)
	wantSQLiteCode(t, "raw ledger delete", exec(`DELETE FROM transactions`), trigger)

	// A correct row, written by hand, moves the balance with it.
	if err := insert("credit", 5, 105); err != nil {
		t.Fatalf("raw correct credit: %v", err)
	}
	storetest.WantBalance(t, s, "rawmony1", 105)
}

func TestPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	sec := seed(t, s, "persist1", 7)
	mo := "https://example.com/mo"
	if _, err := s.UpdateSettings(t.Context(), "persist1", account.SettingsUpdate{MoCallbackURL: &mo}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Credit(t.Context(), account.Movement{APIKey: "persist1", Amount: 3, Reference: "before close", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	credit := res.Transaction
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	acct, err := s.Account(t.Context(), "persist1")
	if err != nil || acct.Balance != 10 || acct.Settings.MoCallbackURL != mo {
		t.Errorf("after reopen: %+v, %v", acct, err)
	}
	secs, err := s.Secrets(t.Context(), "persist1")
	if err != nil || len(secs) != 1 || secs[0].ID != sec.ID || secs[0].Hash != sec.Hash {
		t.Errorf("secrets after reopen: %+v, %v", secs, err)
	}
	txs, err := s.Transactions(t.Context(), "persist1", 0, 10)
	if err != nil || len(txs) != 2 || txs[0] != credit {
		t.Errorf("ledger after reopen: %+v, %v; want the credit %+v first", txs, err, credit)
	}
}

// TestTimesRoundTrip: SQLite keeps every nanosecond the service passes in.
func TestTimesRoundTrip(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "test.db"))
	when := time.Date(2031, time.December, 31, 23, 59, 59, 999999999, time.UTC)
	sec := account.Secret{ID: account.NewID(), APIKey: "times001", Hash: "h", CreatedAt: when}
	if err := s.CreateAccount(t.Context(), account.Account{APIKey: "times001", Balance: 1, CreatedAt: when}, sec); err != nil {
		t.Fatal(err)
	}
	acct, _ := s.Account(t.Context(), "times001")
	secs, _ := s.Secrets(t.Context(), "times001")
	txs, _ := s.Transactions(t.Context(), "times001", 0, 1)
	for what, got := range map[string]time.Time{"account": acct.CreatedAt, "secret": secs[0].CreatedAt, "ledger": txs[0].CreatedAt} {
		if got != when { // == : same instant, location and no monotonic reading
			t.Errorf("%s CreatedAt %v, want %v", what, got, when)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", filepath.Join(t.TempDir(), "missing", "dir", "test.db")} {
		if s, err := sqlite.Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
	// A path with URI-special characters names exactly that file.
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd?name#with%chars.db")
	open(t, odd)
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("the file %q was not created: %v", odd, err)
	}
}
