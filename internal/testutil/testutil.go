// Package testutil holds the small helpers that the tests of several
// packages need alike. Only _test.go files import it.
package testutil

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// LockedBuffer is a bytes.Buffer that a server's goroutines (or a child
// process's output copier) may write while the test reads it.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NewServer builds the server cfg describes (tests start from
// server.TestConfig() and change fields) without listening, for tests that
// call its handler in process, and closes it when the test ends.
func NewServer(tb testing.TB, cfg server.Config) *server.Server {
	tb.Helper()
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("server.New: %v", err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv
}

// StartServer is NewServer serving on cfg.Addr (a random loopback port in
// server.TestConfig()) until the test ends; the server's URL is srv.URL.
func StartServer(tb testing.TB, cfg server.Config) *server.Server {
	tb.Helper()
	srv := NewServer(tb, cfg)
	if err := srv.Start(); err != nil {
		tb.Fatalf("server.Start: %v", err)
	}
	return srv
}

// SetReadOnly makes the file at path read-only, or writable again, for
// this process: chmod, and as root (whom modes do not stop) the immutable
// attribute, through chattr in its own process (a descriptor this process
// opened and closed on the database file would drop SQLite's locks). It
// skips the test where neither works.
func SetReadOnly(t testing.TB, path string, ro bool) {
	t.Helper()
	if !ro {
		if os.Geteuid() == 0 {
			if out, err := exec.Command("chattr", "-i", path).CombinedOutput(); err != nil {
				t.Fatalf("chattr -i: %v: %s", err, out)
			}
		}
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return
	}
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("running as root and chattr +i failed (%v: %s): cannot make the file read-only", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
}
