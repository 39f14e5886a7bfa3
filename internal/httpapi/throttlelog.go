package httpapi

import (
	"sync"
	"time"
)

// Throttle refusals are security events, but a flood makes tens of
// thousands a second, each already counted in /metrics
// (vonage_auth_total) and each with its own request line. So the Warn line
// "request throttled" is written for the first refusal of a (key, client,
// limit) and then at most once a throttleLogWindow; the next line written
// for it says, in "repeats", how many refusals were not logged meanwhile.
// Distinct (key, client, limit) triples are remembered up to
// throttleLogEntries; past that (an attack from many addresses or on many
// keys), new triples are only counted, and the next line written says how
// many in "unlogged_others".

const (
	throttleLogWindow  = 10 * time.Second
	throttleLogEntries = 4096
)

type throttleKey struct{ apiKey, client, limit string }

type throttleSeen struct {
	logged  time.Time // when the last line for this key was written
	repeats int       // refusals since, not logged
}

type throttleLog struct {
	now func() time.Time

	mu     sync.Mutex
	seen   map[throttleKey]*throttleSeen
	others int // refusals of triples not remembered (the map was full)
}

func newThrottleLog(now func() time.Time) *throttleLog {
	if now == nil {
		now = time.Now
	}
	return &throttleLog{now: now, seen: map[throttleKey]*throttleSeen{}}
}

// note records one refusal and reports whether to write its line, with
// the counts that line must carry.
func (l *throttleLog) note(k throttleKey) (write bool, repeats, others int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.seen[k]; ok {
		if now.Sub(e.logged) < throttleLogWindow {
			e.repeats++
			return false, 0, 0
		}
		repeats, others = e.repeats, l.others
		e.logged, e.repeats, l.others = now, 0, 0
		return true, repeats, others
	}
	if len(l.seen) >= throttleLogEntries {
		for key, e := range l.seen { // forget the triples whose window is over
			if now.Sub(e.logged) >= throttleLogWindow {
				delete(l.seen, key)
			}
		}
		if len(l.seen) >= throttleLogEntries {
			l.others++
			return false, 0, 0
		}
	}
	l.seen[k] = &throttleSeen{logged: now}
	others, l.others = l.others, 0
	return true, 0, others
}
