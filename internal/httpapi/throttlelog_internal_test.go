package httpapi

import (
	"fmt"
	"testing"
	"time"
)

// TestThrottleLogBounded: once throttleLogEntries triples are within their
// window, a new triple is counted, not logged, and the next line written
// says how many were left out; a triple whose window is over makes room.
func TestThrottleLogBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newThrottleLog(func() time.Time { return now })
	for i := range throttleLogEntries {
		if write, _, _ := l.note(throttleKey{apiKey: fmt.Sprint(i), client: "127.0.0.2", limit: "call-rate"}); !write {
			t.Fatalf("triple %d not logged", i)
		}
	}
	extra := throttleKey{apiKey: "extra", client: "127.0.0.3", limit: "call-rate"}
	for range 3 {
		if write, _, _ := l.note(extra); write {
			t.Fatal("a triple past the bound was logged")
		}
	}
	now = now.Add(throttleLogWindow)
	write, repeats, others := l.note(throttleKey{apiKey: "0", client: "127.0.0.2", limit: "call-rate"})
	if !write || repeats != 0 || others != 3 {
		t.Errorf("after the window: write %v repeats %d others %d, want true 0 3", write, repeats, others)
	}
	if write, _, others := l.note(extra); !write || others != 0 {
		t.Errorf("the extra triple once the old ones expired: write %v others %d, want true 0", write, others)
	}
}
