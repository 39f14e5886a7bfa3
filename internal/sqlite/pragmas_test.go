package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestConnectionSettings checks the per-connection settings that the file
// itself does not record: they are the difference between a durable,
// constraint-checking writer and a default SQLite connection.
func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for _, c := range []struct {
		pool       string
		db         *sql.DB
		name, want string
	}{
		{"write", s.w, "journal_mode", "wal"},
		{"write", s.w, "synchronous", "2"}, // FULL
		{"write", s.w, "foreign_keys", "1"},
		{"write", s.w, "busy_timeout", "10000"},
		{"write", s.w, "query_only", "0"},
		{"write", s.w, "temp_store", "2"}, // MEMORY
		{"read", s.r, "journal_mode", "wal"},
		{"read", s.r, "busy_timeout", "10000"},
		{"read", s.r, "query_only", "1"},
	} {
		if got := pragma(c.db, c.name); got != c.want {
			t.Errorf("%s pool: PRAGMA %s = %s, want %s", c.pool, c.name, got, c.want)
		}
	}
	if s.w.Stats().MaxOpenConnections != 1 {
		t.Errorf("write pool allows %d connections, want 1", s.w.Stats().MaxOpenConnections)
	}
	if _, err := s.r.ExecContext(t.Context(), `DELETE FROM accounts`); err == nil {
		t.Error("the read pool accepted a write")
	}
}
