package account

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newFakeClock() *FakeClock { return NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) }

func wantLimit(t *testing.T, err error, reason string, after time.Duration) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) || ErrorCode(err) != ERATELIMIT {
		t.Fatalf("got %v, want a LimitError", err)
	}
	if le.Reason != reason {
		t.Errorf("reason %q, want %q", le.Reason, reason)
	}
	if after > 0 && (le.RetryAfter() <= 0 || le.RetryAfter() > after) {
		t.Errorf("RetryAfter %v, want in (0, %v]", le.RetryAfter(), after)
	}
}

func TestFailLimiterPerPair(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f := newLocalFailLimiter(AuthLimits{PerPair: 20, PerAddr: 100, Window: time.Minute}, clk.Now)
	for i := range 20 {
		r, err := f.admit("victim01", "192.0.2.1")
		if err != nil {
			t.Fatalf("failure %d refused: %v", i+1, err)
		}
		f.record(r, outcomeFailed)
	}
	_, err := f.admit("victim01", "192.0.2.1")
	wantLimit(t, err, LimitFailuresPair, 3*time.Second)

	// The owner, calling from elsewhere, is not locked out; nor is the
	// attacker's address for another key.
	if _, err := f.admit("victim01", "198.51.100.7"); err != nil {
		t.Errorf("same key from another address: %v", err)
	}
	if _, err := f.admit("other001", "192.0.2.1"); err != nil {
		t.Errorf("another key from the same address: %v", err)
	}

	// One failure's worth refills in Window/PerPair.
	clk.Advance(3 * time.Second)
	r, err := f.admit("victim01", "192.0.2.1")
	if err != nil {
		t.Fatalf("after 3s: %v", err)
	}
	f.record(r, outcomeFailed)
	_, err = f.admit("victim01", "192.0.2.1")
	wantLimit(t, err, LimitFailuresPair, 3*time.Second)
}

func TestFailLimiterPerAddr(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f := newLocalFailLimiter(AuthLimits{PerPair: 20, PerAddr: 100, Window: time.Minute}, clk.Now)
	for i := range 100 {
		r, err := f.admit("key"+strconv.Itoa(i), "2001:db8:1:2::"+strconv.FormatInt(int64(i), 16))
		if err != nil {
			t.Fatalf("failure %d refused: %v", i+1, err)
		}
		f.record(r, outcomeFailed)
	}
	// The whole /64 is one client.
	_, err := f.admit("fresh001", "2001:db8:1:2:ffff::1")
	wantLimit(t, err, LimitFailuresAddr, time.Second)
	if _, err := f.admit("fresh001", "2001:db8:1:3::1"); err != nil {
		t.Errorf("another /64: %v", err)
	}
}

func TestFailLimiterSettle(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f := newLocalFailLimiter(AuthLimits{PerPair: 10, PerAddr: 5, Window: time.Minute}, clk.Now)
	// attempt is one admitted attempt ending in outcome.
	attempt := func(o outcome) {
		t.Helper()
		r, err := f.admit("k", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		f.record(r, o)
	}
	attempt(outcomeFailed)
	attempt(outcomeFailed)
	// A success clears the pair but not the address.
	attempt(outcomeSucceeded)
	attempt(outcomeFailed)
	attempt(outcomeFailed)
	attempt(outcomeFailed)
	if _, err := f.admit("k", "192.0.2.1"); err == nil {
		t.Fatal("the address limit (5) was not kept across a success")
	} else {
		wantLimit(t, err, LimitFailuresAddr, 0)
	}
	// Neither a failure nor a success (a store error): tokens come back.
	clk.Advance(time.Hour)
	for range 10 {
		attempt(outcomeNone)
	}
	if f.local().pairs.len() != 0 || f.local().addrs.len() != 0 {
		t.Errorf("full buckets are kept: %d pairs, %d addresses", f.local().pairs.len(), f.local().addrs.len())
	}
}

// TestFailLimiterDebt: guesses admitted together before any of them failed
// (a concurrent burst) all count when they fail; the overshoot is debt
// that delays the next attempt, so the long-run rate stays the limit.
func TestFailLimiterDebt(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f := newLocalFailLimiter(AuthLimits{PerPair: 20, PerAddr: 1000, Window: time.Minute}, clk.Now)
	var burst []attempt
	for range 25 { // all checked before the first verification ends
		a, err := f.admit("victim01", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		burst = append(burst, a)
	}
	for _, a := range burst {
		f.record(a, outcomeFailed)
	}
	// 20 tokens, 25 failures: 5 in debt, so one more attempt in 6 tokens'
	// time, 18 seconds.
	_, err := f.admit("victim01", "192.0.2.1")
	wantLimit(t, err, LimitFailuresPair, 18*time.Second)
	clk.Advance(17 * time.Second)
	if _, err := f.admit("victim01", "192.0.2.1"); err == nil {
		t.Fatal("admitted before the debt was paid")
	}
	clk.Advance(time.Second)
	if _, err := f.admit("victim01", "192.0.2.1"); err != nil {
		t.Fatalf("after 18s: %v", err)
	}
	// Debt is bounded: a huge burst locks the pair for at most two
	// windows.
	for range 1000 {
		f.record(burst[0], outcomeFailed)
	}
	_, err = f.admit("victim01", "192.0.2.1")
	wantLimit(t, err, LimitFailuresPair, 2*time.Minute+3*time.Second)
}

func TestFailLimiterBounded(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f := newLocalFailLimiter(AuthLimits{PerPair: 2, PerAddr: 1000, Window: time.Minute, MaxEntries: 50}, clk.Now)
	for i := range 10_000 {
		r, err := f.admit("k"+strconv.Itoa(i), "192.0.2."+strconv.Itoa(i%200))
		if err != nil {
			continue
		}
		f.record(r, outcomeFailed)
	}
	if f.local().pairs.len() > 50 || f.local().addrs.len() > 50 {
		t.Errorf("tables grew to %d pairs, %d addresses; bound 50", f.local().pairs.len(), f.local().addrs.len())
	}
	if newLocalFailLimiter(AuthLimits{}, clk.Now) != nil {
		t.Error("zero limits should turn the limiter off")
	}
	var off *failLimiter
	if _, err := off.admit("k", "a"); err != nil {
		t.Error(err)
	}
}

func TestClientGroup(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":                         "192.0.2.0/24",
		"192.0.2.200":                       "192.0.2.0/24",
		"::ffff:192.0.2.1":                  "192.0.2.0/24",
		"2001:db8:a:b:c:d:e:f":              "2001:db8:a:b::/64",
		"2001:db8:a:b::1%eth0":              "2001:db8:a:b::/64",
		"not an address":                    "not an address",
		"pipe@" + string(make([]byte, 100)): "pipe@" + string(make([]byte, 59)),
	} {
		if got := clientGroup(in); got != want {
			t.Errorf("clientGroup(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCallLimiter(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	c := &callLimiter{store: NewLocalLimits(0, clk.Now)}
	a := Account{APIKey: "busy0001", Limits: Limits{MaxCallsPerSecond: 30}}
	b := Account{APIKey: "calm0001", Limits: Limits{MaxCallsPerSecond: 30}}
	for i := range 30 {
		if err := c.allow(a); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	wantLimit(t, c.allow(a), LimitCallRate, time.Second/30+time.Millisecond)
	if err := c.allow(b); err != nil {
		t.Errorf("another account: %v", err)
	}
	clk.Advance(time.Second / 30)
	if err := c.allow(a); err != nil {
		t.Errorf("after 1/30 s: %v", err)
	}
	// A lowered limit applies at once; 0 means none.
	a.Limits.MaxCallsPerSecond = 1
	clk.Advance(time.Hour)
	if err := c.allow(a); err != nil {
		t.Fatal(err)
	}
	wantLimit(t, c.allow(a), LimitCallRate, time.Second)
	a.Limits.MaxCallsPerSecond = 0
	for range 100 {
		if err := c.allow(a); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHashGate(t *testing.T) {
	t.Parallel()
	g := newHashGate(HashConcurrency{Slots: 1, Queue: 1, MaxWait: time.Hour})
	ctx := context.Background()
	if err := g.acquire(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// One waiter fits in the queue; it gets the slot when it is released.
	got := make(chan error)
	go func() { got <- g.acquire(ctx, "") }()
	for g.queued() != 1 {
		time.Sleep(time.Millisecond) // nothing to wait on: the waiter is inside acquire
	}
	// The queue is full: refused at once.
	wantLimit(t, g.acquire(ctx, ""), LimitHashQueue, time.Second)
	g.release()
	if err := <-got; err != nil {
		t.Fatalf("queued waiter: %v", err)
	}
	// A request that ends while waiting is refused, not an internal error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	wantLimit(t, g.acquire(cctx, ""), LimitHashQueue, time.Second)
	// So is one that waits too long.
	g2 := newHashGate(HashConcurrency{Slots: 1, Queue: 4, MaxWait: 10 * time.Millisecond})
	if err := g2.acquire(ctx, ""); err != nil {
		t.Fatal(err)
	}
	wantLimit(t, g2.acquire(ctx, ""), LimitHashQueue, time.Second)
	g.release()
	g2.release()
}

// TestHashGateShare: a client group waits in at most max(1, Queue/8)
// places; other groups, and work for no group, still get theirs.
func TestHashGateShare(t *testing.T) {
	t.Parallel()
	g := newHashGate(HashConcurrency{Slots: 1, Queue: 16, MaxWait: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.acquire(ctx, ""); err != nil {
		t.Fatal(err)
	}
	waiters := make(chan error, 8)
	wait := func(group string, want int) {
		go func() { waiters <- g.acquire(ctx, group) }()
		for g.queued() != want {
			time.Sleep(time.Millisecond) // nothing to wait on: the waiter is inside acquire
		}
	}
	wait("192.0.2.0/24", 1)
	wait("192.0.2.0/24", 2)
	err := g.acquire(ctx, "192.0.2.0/24")
	wantLimit(t, err, LimitHashQueue, time.Second)
	if !strings.Contains(err.Error(), "from your address") {
		t.Errorf("refusal %q does not say the address's share is used up", err)
	}
	wait("198.51.100.0/24", 3)
	wait("", 4)
	wait("", 5)
	wait("", 6) // no share bounds the operator's work
	cancel()
	for range 6 {
		wantLimit(t, <-waiters, LimitHashQueue, time.Second)
	}
	if g.queued() != 0 || len(g.byGroup) != 0 {
		t.Errorf("after the waiters left: %d queued, %d groups", g.queued(), len(g.byGroup))
	}
	g.release()
}

func TestVerifyCacheLRU(t *testing.T) {
	t.Parallel()
	c := newVerifyCache(2)
	c.put("k", "a", "id-a")
	c.put("k", "b", "id-b")
	if _, ok := c.get("k", "a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.put("k", "c", "id-c") // evicts b
	if _, ok := c.get("k", "b"); ok {
		t.Error("b kept; the least recently used entry should go")
	}
	for _, s := range []string{"a", "c"} {
		if _, ok := c.get("k", s); !ok {
			t.Errorf("%s evicted", s)
		}
	}
	c.forget("k", "a")
	if _, ok := c.get("k", "a"); ok || c.ids.len() != 1 || c.ids.order.Len() != 1 {
		t.Errorf("forget left %d entries", c.ids.len())
	}
	off := newVerifyCache(0)
	off.put("k", "a", "x")
	if _, ok := off.get("k", "a"); ok {
		t.Error("a disabled cache remembered")
	}
}
