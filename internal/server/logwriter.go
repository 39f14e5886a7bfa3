package server

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// LogFlushInterval is how long a log line may wait in a LogWriter's
// buffer: short enough for `tail -f`, long enough that a busy server
// writes its request lines in a few large writes instead of one system
// call each (issue 15: no per-request syscall that is not the response).
const LogFlushInterval = 200 * time.Millisecond

// LogWriter buffers what is written to it and passes it on every
// interval, when its buffer fills, and at Close, so that nothing written
// before a clean shutdown is lost. It is safe for concurrent use; slog
// handlers write each record with one Write call, so lines stay whole.
type LogWriter struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// logBufferSize is the buffer of a LogWriter: some 150 request lines.
const logBufferSize = 32 << 10

// NewLogWriter returns a LogWriter passing on to w every interval; the
// caller must Close it.
func NewLogWriter(w io.Writer, interval time.Duration) *LogWriter {
	lw := &LogWriter{buf: bufio.NewWriterSize(w, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.flushEvery(interval)
	return lw
}

// Write buffers p; after Close it writes through.
func (lw *LogWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	n, err := lw.buf.Write(p)
	if err == nil && lw.closed {
		err = lw.buf.Flush()
	}
	return n, err
}

// Flush passes on what is buffered.
func (lw *LogWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Flush()
}

func (lw *LogWriter) flushEvery(interval time.Duration) {
	defer close(lw.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-lw.stop:
			return
		case <-t.C:
			_ = lw.Flush() // a log that cannot be written has nowhere to say so
		}
	}
}

// Close stops the timer and flushes. Lines written after it (a late
// goroutine's) are written through at once.
func (lw *LogWriter) Close() error {
	lw.mu.Lock()
	if lw.closed {
		lw.mu.Unlock()
		return nil
	}
	lw.closed = true
	lw.mu.Unlock()
	close(lw.stop)
	<-lw.done
	return lw.Flush()
}
