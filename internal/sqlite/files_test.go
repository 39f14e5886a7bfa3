package sqlite_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// TestFileModes (L7): the database file and its -wal and -shm companions
// hold the secrets' hashes, so a new database is created readable by its
// owner only; an existing file others can read is logged as a warning.
func TestFileModes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "modes.db")
	var logs testutil.LockedBuffer
	s, err := sqlite.Open(t.Context(), path, sqlite.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	seed(t, s, "modes", 0) // a write, so the -wal holds something
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s was created %v, want -rw-------", filepath.Base(f), got)
		}
	}
	if strings.Contains(logs.String(), "other users") {
		t.Errorf("a new private file was warned about: %s", logs.String())
	}

	old := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	var oldLogs testutil.LockedBuffer
	s2, err := sqlite.Open(t.Context(), old, sqlite.WithLogger(slog.New(slog.NewTextHandler(&oldLogs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	if got := oldLogs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "other users") || !strings.Contains(got, "old.db") {
		t.Errorf("opening a world-readable file logged %q, want a warning naming it", got)
	}
}

// TestWriterRecoversFromReadOnly (L1): a write that finds the file
// read-only fails EUNAVAILABLE, and so does Ping; once the file is writable
// again, the next write succeeds on a reopened connection.
func TestWriterRecoversFromReadOnly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ro.db")
	first, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, first, "first", 0)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	testutil.SetReadOnly(t, path, true)
	s := open(t, path)
	if err := s.Ping(t.Context()); account.ErrorCode(err) != account.EUNAVAILABLE {
		t.Errorf("Ping on a read-only file: %v, want EUNAVAILABLE", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	acct := account.Account{APIKey: "second", Limits: account.DefaultLimits, CreatedAt: now}
	sec := account.Secret{ID: account.NewID(), APIKey: "second", Hash: "h", CreatedAt: now}
	if err := s.CreateAccount(t.Context(), acct, sec); account.ErrorCode(err) != account.EUNAVAILABLE {
		t.Errorf("write on a read-only file: %v, want EUNAVAILABLE", err)
	}
	testutil.SetReadOnly(t, path, false)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping once the file is writable: %v", err)
	}
	if err := s.CreateAccount(t.Context(), acct, sec); err != nil {
		t.Errorf("write once the file is writable: %v", err)
	}
}
