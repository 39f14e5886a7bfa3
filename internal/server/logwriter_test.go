package server

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter records what reaches it and in how many writes.
type countingWriter struct {
	mu     sync.Mutex
	writes int
	buf    strings.Builder
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func (w *countingWriter) state() (int, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes, w.buf.String()
}

// TestLogWriterBatches: a hundred lines reach the output in one write at
// Close (the timer, an hour here, never fires), every one of them; after
// Close a line goes through at once.
func TestLogWriterBatches(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := NewLogWriter(out, time.Hour)
	line := "level=INFO msg=request " + strings.Repeat("x", 80) + "\n"
	for range 100 {
		if _, err := lw.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := out.state(); n != 0 {
		t.Fatalf("%d writes before any flush, want 0", n)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	n, got := out.state()
	if n != 1 || got != strings.Repeat(line, 100) {
		t.Fatalf("after Close: %d writes of %d bytes, want 1 of %d", n, len(got), 100*len(line))
	}
	lw.Write([]byte("late\n"))
	if _, got := out.state(); !strings.HasSuffix(got, "late\n") {
		t.Error("a line written after Close did not go through")
	}
}

// TestLogWriterTimer: the timer passes lines on without Close.
func TestLogWriterTimer(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := NewLogWriter(out, 10*time.Millisecond)
	defer lw.Close()
	lw.Write([]byte("one\n"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, got := out.state(); got == "one\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the timer never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
