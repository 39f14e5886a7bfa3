package account

import (
	"sync"
	"time"
)

// LimitStore keeps the counts behind the per-account call rate and the
// failure limits (AuthLimits): where they live decides whether the limits
// hold per instance or across instances. The local store (NewLocalLimits,
// the default) keeps them in this process; internal/redislimit keeps them in
// Redis, shared by every instance, and falls back to a local store when
// Redis does not answer. The policy (which buckets an attempt counts
// against, what a refusal says) stays in this package.
//
// No method takes a context or returns an error: a charge must not be lost
// because the request that caused it ended, and a store that cannot count
// answers from a fallback of its own within its own deadline.
type LimitStore interface {
	// Check returns the index of the first of bs holding less than one
	// token, and how long until it holds one; -1 when each holds one.
	Check(bs ...Bucket) (int, time.Duration)
	// Charge takes one token from each of bs. A bucket may go into debt
	// down to minus its capacity: failures that were already under way
	// when the limit was reached still count.
	Charge(bs ...Bucket)
	// Fill refills b.
	Fill(b Bucket)
	// TakeCall admits one call of apiKey when its account may make
	// perSecond calls a second, or returns how long until it may.
	TakeCall(apiKey string, perSecond int) (time.Duration, bool)
}

// Bucket names a token bucket of a failure limit: Capacity tokens when
// full, refilled at Rate tokens a second. Buckets of different kinds are
// kept apart (a flood of one kind does not evict the other).
type Bucket struct {
	Kind     BucketKind
	Key      string
	Capacity float64
	Rate     float64
}

// BucketKind is what a Bucket counts.
type BucketKind uint8

// The kinds of Bucket.
const (
	BucketPair BucketKind = iota // failures of one (API key, client group)
	BucketAddr                   // failures of one client group, whatever the key
)

// WithLimitStore counts the call rate and the failure limits in ls instead
// of in this process (NewLocalLimits).
func WithLimitStore(ls LimitStore) Option { return func(s *Service) { s.limitStore = ls } }

// localLimits is the LimitStore of one instance: bounded tables of token
// buckets in memory.
type localLimits struct {
	now func() time.Time

	mu           sync.Mutex // guards pairs and addrs
	pairs, addrs *lruBuckets

	callMu sync.Mutex // guards calls
	calls  *lruBuckets
}

// NewLocalLimits returns a LimitStore that counts in this process, each
// failure table bounded by maxEntries (0 means DefaultLimiterEntries), on
// the clock now (time.Now when nil). Calls are counted in a token bucket
// per API key holding one second's worth of calls.
func NewLocalLimits(maxEntries int, now func() time.Time) LimitStore {
	if now == nil {
		now = time.Now
	}
	return &localLimits{now: now, pairs: newLRUBuckets(maxEntries), addrs: newLRUBuckets(maxEntries),
		calls: newLRUBuckets(DefaultLimiterEntries)}
}

func (l *localLimits) table(k BucketKind) *lruBuckets {
	if k == BucketPair {
		return l.pairs
	}
	return l.addrs
}

func (l *localLimits) Check(bs ...Bucket) (int, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, b := range bs {
		t := l.table(b.Kind)
		tokens := t.tokens(b.Key, b.Capacity, b.Rate, now)
		t.set(b.Key, tokens, b.Capacity, now) // drops a refilled entry
		if tokens < 1-tokenSlack {
			return i, wait(tokens, b.Rate)
		}
	}
	return -1, 0
}

func (l *localLimits) Charge(bs ...Bucket) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range bs {
		t := l.table(b.Kind)
		t.set(b.Key, max(t.tokens(b.Key, b.Capacity, b.Rate, now)-1, -b.Capacity), b.Capacity, now)
	}
}

func (l *localLimits) Fill(b Bucket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.table(b.Kind).remove(b.Key)
}

func (l *localLimits) TakeCall(apiKey string, perSecond int) (time.Duration, bool) {
	rate := float64(perSecond)
	now := l.now()
	l.callMu.Lock()
	defer l.callMu.Unlock()
	tokens := l.calls.tokens(apiKey, rate, rate, now)
	if tokens < 1-tokenSlack {
		return wait(tokens, rate), false
	}
	l.calls.set(apiKey, max(tokens-1, 0), rate, now)
	return 0, true
}

// lruBuckets is a bounded table of token buckets, least recently used
// first out. It does no locking; its owner does.
type lruBuckets struct {
	*lru[string, bucket]
}

// bucket holds tokens as of time at.
type bucket struct {
	tokens float64
	at     time.Time
}

func newLRUBuckets(max int) *lruBuckets {
	if max <= 0 {
		max = DefaultLimiterEntries
	}
	return &lruBuckets{newLRU[string, bucket](max)}
}

// tokens returns key's tokens at now, refilled at rate per second up to
// capacity; a key without an entry is full.
func (t *lruBuckets) tokens(key string, capacity, rate float64, now time.Time) float64 {
	b, ok := t.peek(key)
	if !ok {
		return capacity
	}
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return min(capacity, b.tokens+elapsed*rate)
}

// set records key's tokens at now. A full bucket is dropped: it is the same
// as no entry, and keeps honest traffic out of the table.
func (t *lruBuckets) set(key string, tokens, capacity float64, now time.Time) {
	if tokens >= capacity {
		t.remove(key)
		return
	}
	t.put(key, bucket{tokens: tokens, at: now})
}

// tokenSlack absorbs float rounding: a bucket refilled for exactly one
// token's time holds one token.
const tokenSlack = 1e-6

// wait is how long a bucket with tokens takes to hold one, at rate.
func wait(tokens, rate float64) time.Duration {
	return time.Duration((1 - tokens) / rate * float64(time.Second))
}
