// Package testutil holds the small helpers that the tests of several
// packages need alike. Only _test.go files import it.
package testutil

import (
	"bytes"
	"context"
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
