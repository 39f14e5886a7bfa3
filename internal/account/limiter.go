package account

import (
	"context"
	"net/netip"
	"runtime"
	"sync"
	"time"
)

// LimitError is the ERATELIMIT the limiters return. It says how long the
// caller should wait (internal/httpapi sends it as Retry-After through the
// RetryAfter method) and, for the log only, which limit was hit.
type LimitError struct {
	Err    *Error
	After  time.Duration
	Reason string // LimitFailuresPair, LimitFailuresAddr, LimitHashQueue or LimitCallRate
}

// The reasons a LimitError gives.
const (
	LimitFailuresPair = "auth_failures_pair" // failures of this (API key, client address)
	LimitFailuresAddr = "auth_failures_addr" // failures of this client address, whatever the key
	LimitHashQueue    = "hash_queue"         // too many verifications waiting for a hashing slot
	LimitCallRate     = "call_rate"          // the account's max-calls-per-second
)

func (e *LimitError) Error() string             { return e.Err.Error() }
func (e *LimitError) Unwrap() error             { return e.Err }
func (e *LimitError) RetryAfter() time.Duration { return e.After }

// limitError is an ERATELIMIT with a safe message, a wait and a reason.
func limitError(reason string, after time.Duration, format string, args ...any) *LimitError {
	return &LimitError{Err: Errorf(ERATELIMIT, format, args...), After: after, Reason: reason}
}

// AuthLimits bound failed authentications (contract section 7). Failures
// are counted per (API key, client address) and per client address, never
// per key alone, so an attacker's failures cannot lock the key's owner out
// when the owner calls from another address. Past either limit a request is
// refused with ERATELIMIT before any hashing. Each limit is a token bucket:
// PerPair (or PerAddr) failures at once, refilled evenly over Window, so a
// client kept at the limit gets one more attempt every Window/PerPair.
type AuthLimits struct {
	PerPair int           // failures per (key, address) per Window; 0 turns the limit off
	PerAddr int           // failures per address per Window; 0 turns the limit off
	Window  time.Duration // defaults to one minute
	// MaxEntries bounds each table (pairs, addresses); the least recently
	// used entry is forgotten when it is full. 0 means DefaultLimiterEntries.
	MaxEntries int
}

// DefaultAuthLimits are the limits of a Service without WithAuthLimits.
var DefaultAuthLimits = AuthLimits{PerPair: 20, PerAddr: 100, Window: time.Minute}

// DefaultLimiterEntries bounds each limiter table: about 200 bytes an
// entry, so some 13 MiB per table at worst.
const DefaultLimiterEntries = 65536

// failLimiter counts failed authentications per pair and per address, in
// the buckets of its LimitStore.
type failLimiter struct {
	store            LimitStore
	pairCap, addrCap float64
	pairRate         float64 // tokens a second
	addrRate         float64
}

func newFailLimiter(l AuthLimits, store LimitStore) *failLimiter {
	if l.PerPair <= 0 && l.PerAddr <= 0 {
		return nil
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	f := &failLimiter{store: store}
	if l.PerPair > 0 {
		f.pairCap, f.pairRate = float64(l.PerPair), float64(l.PerPair)/l.Window.Seconds()
	}
	if l.PerAddr > 0 {
		f.addrCap, f.addrRate = float64(l.PerAddr), float64(l.PerAddr)/l.Window.Seconds()
	}
	return f
}

// attempt names what one authentication attempt counts against.
type attempt struct {
	pair, addr string
	counted    bool // false: the limiter is off
	addrOnly   bool // counted under the address alone (admitAddr)
}

// clientGroup is the address failures are counted and hashing slots are
// shared under: the /24 of an IPv4 address, or the /64 of an IPv6 one. A
// single host is routinely handed a whole /64, and one attacker can as
// easily rent a /24's worth of IPv4 addresses; grouping them makes 200
// addresses of one /24 one client. Anything that does not parse is used as
// it is, bounded in length.
func clientGroup(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		if len(addr) > 64 {
			addr = addr[:64]
		}
		return addr
	}
	a = a.Unmap().WithZone("")
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// admit lets an attempt go on to verification, or refuses it with a
// LimitError when its pair or its address has no failure left. The
// service checks again (check) once the attempt holds a hashing slot, just
// before hashing.
//
// Nothing is taken here: a failure is charged by record once it has
// happened, so an honest client's concurrent calls are never refused for
// failures that did not happen. Guesses already hashing when a limit is
// reached (at most the hash gate's slots) still count when they fail:
// their overshoot becomes debt (tokens below zero, down to minus the
// limit) that delays the next attempt accordingly, so the long-run rate
// stays the limit.
func (f *failLimiter) admit(apiKey, clientAddr string) (attempt, error) {
	if f == nil {
		return attempt{}, nil
	}
	if len(apiKey) > 64 {
		apiKey = apiKey[:64] // longer keys are refused anyway
	}
	group := clientGroup(clientAddr)
	a := attempt{pair: apiKey + "\x00" + group, addr: group, counted: true}
	return a, f.check(a)
}

// admitAddr is admit for an attempt counted under its address alone: a
// guess at the admin token, which has no API key to pair with.
func (f *failLimiter) admitAddr(clientAddr string) (attempt, error) {
	if f == nil {
		return attempt{}, nil
	}
	a := attempt{addr: clientGroup(clientAddr), counted: true, addrOnly: true}
	return a, f.check(a)
}

// check refuses a when its pair or its address has no failure left.
func (f *failLimiter) check(a attempt) error {
	if f == nil || !a.counted {
		return nil
	}
	bs := f.buckets(a, true)
	i, after := f.store.Check(bs...)
	if i < 0 {
		return nil
	}
	reason := LimitFailuresAddr
	if bs[i].Kind == BucketPair {
		reason = LimitFailuresPair
	}
	return limitError(reason, after, "too many failed authentication attempts; retry later")
}

// buckets are the buckets a counts against: its pair (withPair, unless it
// is counted under its address alone) and its address, each when its limit
// is on.
func (f *failLimiter) buckets(a attempt, withPair bool) []Bucket {
	bs := make([]Bucket, 0, 2)
	if f.pairRate > 0 && withPair && !a.addrOnly {
		bs = append(bs, Bucket{Kind: BucketPair, Key: a.pair, Capacity: f.pairCap, Rate: f.pairRate})
	}
	if f.addrRate > 0 {
		bs = append(bs, Bucket{Kind: BucketAddr, Key: a.addr, Capacity: f.addrCap, Rate: f.addrRate})
	}
	return bs
}

// outcome is what became of an admitted attempt, as record charges it.
type outcome int

const (
	// outcomeNone charges nothing: a store error, or a caller that left.
	outcomeNone outcome = iota
	// outcomeFailed is a wrong key or secret: charged to pair and address.
	outcomeFailed
	// outcomeRefused is a refusal after admission (a full hashing queue,
	// the address's share of it used up, or the failure limits reached
	// while waiting for a slot): charged to the address that caused it,
	// not to the pair, since no guess was made.
	outcomeRefused
	// outcomeSucceeded clears the pair.
	outcomeSucceeded
)

// record charges an attempt's outcome. A success clears its pair, so an
// owner who mistyped a few times starts afresh; the address keeps its
// count (an attacker with an account of its own must not reset it by
// interleaving good calls). A refusal after admission costs the address a
// failure, so a client that keeps the hashing queue full runs out of
// attempts like one that guesses.
func (f *failLimiter) record(a attempt, o outcome) {
	if f == nil || !a.counted || o == outcomeNone {
		return
	}
	switch o {
	case outcomeSucceeded:
		if b, ok := f.successBucket(a); ok {
			f.store.Fill(b)
		}
	case outcomeFailed:
		f.store.Charge(f.buckets(a, true)...)
	default:
		f.store.Charge(f.buckets(a, false)...)
	}
}

// successBucket is the bucket a success of a fills (record with
// outcomeSucceeded), if any.
func (f *failLimiter) successBucket(a attempt) (Bucket, bool) {
	if f == nil || !a.counted || a.addrOnly || f.pairRate <= 0 {
		return Bucket{}, false
	}
	return Bucket{Kind: BucketPair, Key: a.pair, Capacity: f.pairCap, Rate: f.pairRate}, true
}

// callLimiter enforces each account's max-calls-per-second in the
// LimitStore's call counts.
type callLimiter struct {
	store LimitStore
}

// perSecond is acct's call rate limit, 0 when none applies.
func (c *callLimiter) perSecond(acct Account) int {
	if c == nil {
		return 0
	}
	return max(acct.Limits.MaxCallsPerSecond, 0)
}

// allow admits one call of acct, or returns a LimitError. A limit of 0
// means no limit.
func (c *callLimiter) allow(acct Account) error {
	perSecond := c.perSecond(acct)
	if perSecond == 0 {
		return nil
	}
	after, ok := c.store.TakeCall(acct.APIKey, perSecond)
	return callRefusal(after, ok, perSecond)
}

// callRefusal is the LimitError of a call TakeCall refused (ok false).
func callRefusal(after time.Duration, ok bool, perSecond int) error {
	if ok {
		return nil
	}
	return limitError(LimitCallRate, after, "rate limit hit: this account may make at most %d calls per second", perSecond)
}

// succeeded charges an attempt verified as acct: its pair is filled
// (record with outcomeSucceeded), then the account's call is taken
// (allow), whose refusal it returns. When the LimitStore is a
// SuccessStore and both apply, the two are one operation of the store: a
// success then costs a store that counts in Redis one round trip, not
// two. fails and calls share s.limitStore (NewService), and
// s.successStore is that store when it can.
func (s *Service) succeeded(at attempt, acct Account) error {
	if b, fill := s.fails.successBucket(at); fill && s.successStore != nil {
		if perSecond := s.calls.perSecond(acct); perSecond > 0 {
			after, ok := s.successStore.FillTakeCall(b, acct.APIKey, perSecond)
			return callRefusal(after, ok, perSecond)
		}
	}
	s.fails.record(at, outcomeSucceeded)
	return s.calls.allow(acct)
}

// hashGate bounds how many argon2id computations run at once (each holds
// its memory cost, 19 MiB by default, while it runs) and how many wait for
// a turn. A verification that cannot get a turn soon is refused with
// ERATELIMIT rather than piling up. Each client group (clientGroup) may
// hold at most a small share of the waiting places, so one address, or
// one /24, cannot fill the queue and refuse everybody else.
type hashGate struct {
	slots       chan struct{}
	mu          sync.Mutex
	waiting     int
	byGroup     map[string]int // waiting verifications per client group
	maxWaiting  int
	maxPerGroup int
	maxWait     time.Duration
}

// HashConcurrency configures the hash gate: Slots hashes at once, at most
// Queue waiting (0 means MinHashQueue or 16 per slot, whichever is more),
// each waiting at most MaxWait (0
// means one second) or until its request ends. Slots 0 means GOMAXPROCS-1
// (at least 1): under a flood of wrong secrets, one core stays free for
// the requests that need no hashing (cached verifications, refusals),
// which cmd/vonage-flood showed more than doubles an honest client's
// throughput on two cores compared with hashing on every core. One client
// group may hold at most max(1, Queue/QueueShare) of the waiting places.
type HashConcurrency struct {
	Slots   int
	Queue   int
	MaxWait time.Duration
}

// MinHashQueue is the smallest default hash queue: 65 first-time logins at
// once after a restart (an empty verification cache) must wait, not be
// refused. A waiting place costs a goroutine, not a hash's memory, and on
// one slot at some 60 ms a hash, 128 places drain in under 10 s.
const MinHashQueue = 128

// QueueShare is the inverse of the share of the hash queue one client
// group may hold: a group waits in at most max(1, Queue/QueueShare)
// places, so at least QueueShare groups fit in the queue at once.
const QueueShare = 8

func newHashGate(c HashConcurrency) *hashGate {
	if c.Slots <= 0 {
		c.Slots = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if c.Queue <= 0 {
		c.Queue = max(MinHashQueue, 16*c.Slots)
	}
	if c.MaxWait <= 0 {
		c.MaxWait = time.Second
	}
	return &hashGate{
		slots:       make(chan struct{}, c.Slots),
		byGroup:     make(map[string]int),
		maxWaiting:  c.Queue,
		maxPerGroup: max(1, c.Queue/QueueShare),
		maxWait:     c.MaxWait,
	}
}

const errBusy = "the server is busy verifying credentials; retry later"

// errBusyShare refuses a client whose group already holds its share of
// the hash queue.
const errBusyShare = "too many credential verifications from your address are waiting; retry later"

// acquire waits for a slot on behalf of a client group ("" for work done
// for the operator or an authenticated account, which no share bounds).
// Every refusal is a LimitError: the queue is full, the group holds its
// share of it, the wait was too long, or the request ended meanwhile
// (nobody reads that answer, but it must not look like a server fault).
func (g *hashGate) acquire(ctx context.Context, group string) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	if err := g.enqueue(group); err != nil {
		return err
	}
	defer g.dequeue(group)
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	return limitError(LimitHashQueue, time.Second, "%s", errBusy)
}

// enqueue takes a waiting place for group, or refuses.
func (g *hashGate) enqueue(group string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waiting >= g.maxWaiting {
		return limitError(LimitHashQueue, time.Second, "%s", errBusy)
	}
	if group != "" {
		if g.byGroup[group] >= g.maxPerGroup {
			return limitError(LimitHashQueue, time.Second, "%s", errBusyShare)
		}
		g.byGroup[group]++
	}
	g.waiting++
	return nil
}

func (g *hashGate) dequeue(group string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting--
	if group != "" {
		if g.byGroup[group]--; g.byGroup[group] <= 0 {
			delete(g.byGroup, group)
		}
	}
}

func (g *hashGate) release() { <-g.slots }

// depth reports the verifications waiting for a slot and the hashes
// running.
func (g *hashGate) depth() (waiting, running int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting, len(g.slots)
}
