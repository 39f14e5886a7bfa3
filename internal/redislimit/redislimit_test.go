package redislimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/redislimit"
)

// redisURL is VONAGE_TEST_REDIS_URL; the test is skipped without it.
func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("VONAGE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("VONAGE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	return u
}

// prefix is a key prefix of this test's own; its keys are deleted when it
// ends.
func prefix(t testing.TB, url string) string {
	b := make([]byte, 6)
	rand.Read(b)
	p := "vonage-test:" + t.Name() + ":" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		o, _ := redis.ParseURL(url)
		c := redis.NewClient(o)
		defer c.Close()
		ctx := context.Background()
		keys, _ := c.Keys(ctx, p+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return p
}

// counting is a fallback store that counts the operations it answers.
type counting struct {
	account.LimitStore
	mu sync.Mutex
	n  int
}

func (c *counting) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *counting) Check(bs ...account.Bucket) (int, time.Duration) {
	c.add()
	return c.LimitStore.Check(bs...)
}

func (c *counting) Charge(bs ...account.Bucket) { c.add(); c.LimitStore.Charge(bs...) }

func (c *counting) TakeCall(k string, n int) (time.Duration, bool) {
	c.add()
	return c.LimitStore.TakeCall(k, n)
}

func open(t *testing.T, url string, o redislimit.Options) (*redislimit.Limits, *counting) {
	t.Helper()
	fb := &counting{LimitStore: account.NewLocalLimits(0, nil)}
	o.Fallback = fb
	l, err := redislimit.Open(t.Context(), url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, fb
}

// The failure buckets in Redis behave as the local ones: capacity, a
// refill that gives one attempt every window/capacity, debt down to minus
// the capacity, a fill that clears, and each kind apart.
func TestBuckets(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	l, fb := open(t, url, redislimit.Options{Prefix: prefix(t, url), Timeout: time.Second})
	pair := account.Bucket{Kind: account.BucketPair, Key: "victim01\x00192.0.2.0/24", Capacity: 20, Rate: 20.0 / 60}
	addr := account.Bucket{Kind: account.BucketAddr, Key: "192.0.2.0/24", Capacity: 100, Rate: 100.0 / 60}
	same := account.Bucket{Kind: account.BucketAddr, Key: pair.Key, Capacity: 20, Rate: 20.0 / 60}
	for n := range 20 {
		if i, _ := l.Check(pair, addr); i != -1 {
			t.Fatalf("after %d failures: bucket %d is empty", n, i)
		}
		l.Charge(pair, addr)
	}
	i, after := l.Check(addr, pair)
	if i != 1 || after <= 0 || after > 3*time.Second {
		t.Fatalf("after 20 failures: Check = %d, %v; want 1 (the pair), up to 3s", i, after)
	}
	if i, _ := l.Check(same); i != -1 {
		t.Errorf("an address bucket with the pair's key is empty too: kinds are not apart")
	}
	for range 40 {
		l.Charge(pair)
	}
	if _, after := l.Check(pair); after <= 60*time.Second || after > 63*time.Second {
		t.Errorf("deep in debt: wait %v, want over 60s, up to 63s (debt bounded at minus the capacity)", after)
	}
	l.Fill(pair)
	if i, _ := l.Check(pair, addr); i != -1 {
		t.Errorf("after Fill: bucket %d is empty", i)
	}
	if n := fb.count(); n != 0 || l.Fallbacks() != 0 || l.State() != redislimit.StateRedis {
		t.Errorf("fallback answered %d operations (Fallbacks %d, State %s); want none", n, l.Fallbacks(), l.State())
	}
}

// The call rate is a sliding window: perSecond calls in any second, the
// next admitted once the oldest is a second old.
func TestTakeCall(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	l, _ := open(t, url, redislimit.Options{Prefix: prefix(t, url), Timeout: time.Second})
	for i := range 5 {
		if _, ok := l.TakeCall("busy0001", 5); !ok {
			t.Fatalf("call %d refused", i+1)
		}
	}
	after, ok := l.TakeCall("busy0001", 5)
	if ok || after <= 0 || after > time.Second {
		t.Fatalf("call 6: %v, %v; want refused, wait in (0, 1s]", ok, after)
	}
	if _, ok := l.TakeCall("calm0001", 5); !ok {
		t.Errorf("another account refused")
	}
	time.Sleep(after)
	if _, ok := l.TakeCall("busy0001", 5); !ok {
		t.Errorf("refused after the wait it was given")
	}
}

// CheckURL refuses what is not a Redis URL without repeating it.
func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "127.0.0.1:6379", "http://u:hunter2@x/", "redis://u:hunter2@x/notadb"} {
		err := redislimit.CheckURL(bad)
		if err == nil {
			t.Errorf("CheckURL(%q) = nil", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("CheckURL's error shows the password: %v", err)
		}
	}
	if err := redislimit.CheckURL("redis://:pw@127.0.0.1:6379/0"); err != nil {
		t.Error(err)
	}
}

// A Redis that stops answering costs each operation at most the timeout
// (a frozen connection), then none (known down): the fallback answers,
// the switch is logged once at Warn, and the limits go back to Redis once
// the probe finds it answering.
func TestFallbackAndBack(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	px := newFreezer(t, o.Addr)
	proxied := strings.Replace(url, o.Addr, px.addr, 1)
	logs := &logCount{}
	// Generous for a loaded machine: a spurious timeout before the freeze
	// would only delay the test (waitState).
	const timeout = 100 * time.Millisecond
	l, fb := open(t, proxied, redislimit.Options{Prefix: prefix(t, url), Timeout: timeout,
		ProbeInterval: 20 * time.Millisecond, Logger: slog.New(logs)})
	waitState(t, l, redislimit.StateRedis)
	fbBefore, warnBefore, fallbacksBefore := fb.count(), logs.count(slog.LevelWarn), l.Fallbacks()

	px.freeze(true)
	// The bound has slack for a loaded machine; the point is that nothing
	// waits for Redis's answer, which does not come while the proxy is
	// frozen.
	const bound = timeout + 500*time.Millisecond
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			start := time.Now()
			l.Check(account.Bucket{Kind: account.BucketAddr, Key: "a", Capacity: 1, Rate: 1})
			if d := time.Since(start); d > bound {
				t.Errorf("Check took %v with Redis frozen; bound %v", d, bound)
			}
		})
	}
	wg.Wait()
	if l.State() != redislimit.StateFallback || !l.Degraded() || fb.count()-fbBefore != 20 || l.Fallbacks()-fallbacksBefore != 20 {
		t.Fatalf("with Redis frozen: State %s, fallback answered %d, Fallbacks %d; want %s, 20, 20",
			l.State(), fb.count()-fbBefore, l.Fallbacks()-fallbacksBefore, redislimit.StateFallback)
	}
	// The local limits apply: one failure allowed, the second refused.
	b := account.Bucket{Kind: account.BucketPair, Key: "k\x00a", Capacity: 1, Rate: 1.0 / 60}
	l.Charge(b)
	if i, _ := l.Check(b); i != 0 {
		t.Errorf("fallback: a charged bucket of capacity 1 is not empty")
	}
	if w := logs.count(slog.LevelWarn) - warnBefore; w != 1 {
		t.Errorf("%d warnings logged, want 1", w)
	}

	px.freeze(false)
	waitState(t, l, redislimit.StateRedis)
	n := fb.count()
	if _, ok := l.TakeCall("k", 1000); !ok || fb.count() != n {
		t.Errorf("back on Redis: call admitted %v, fallback answered %d more", ok, fb.count()-n)
	}
	if i := logs.count(slog.LevelInfo); i < 2 {
		t.Errorf("the switch back was not logged at Info")
	}
}

// waitState waits, at most 10 s, until l is in state.
func waitState(t *testing.T, l *redislimit.Limits, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for l.State() != state {
		if time.Now().After(deadline) {
			t.Fatalf("State is %s after 10s, want %s", l.State(), state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A Redis that is not there at start: the instance starts on its local
// limits, and says so.
func TestStartWithoutRedis(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	l, fb := open(t, "redis://"+addr+"/0", redislimit.Options{})
	if l.State() != redislimit.StateFallback {
		t.Fatalf("State %s, want %s", l.State(), redislimit.StateFallback)
	}
	if _, ok := l.TakeCall("k", 1); !ok {
		t.Error("first call refused")
	}
	if _, ok := l.TakeCall("k", 1); ok {
		t.Error("second call in the second admitted: local limits not applied")
	}
	if fb.count() != 2 {
		t.Errorf("fallback answered %d operations, want 2", fb.count())
	}
}

// freezer is a TCP proxy to a Redis whose forwarding can be frozen: it
// keeps reading but forwards nothing, as a Redis that hangs.
type freezer struct {
	addr   string
	mu     sync.Mutex
	frozen bool
	thaw   chan struct{}
}

func newFreezer(t *testing.T, upstream string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{addr: ln.Addr().String(), thaw: make(chan struct{})}
	close(f.thaw)
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		f.freeze(false)
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, u)
			mu.Unlock()
			conns.Add(2)
			go func() { defer conns.Done(); f.pipe(u, c) }()
			go func() { defer conns.Done(); f.pipe(c, u) }()
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			thaw := f.thaw
			f.mu.Unlock()
			<-thaw
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on == f.frozen {
		return
	}
	f.frozen = on
	if on {
		f.thaw = make(chan struct{})
	} else {
		close(f.thaw)
	}
}

// logCount counts records by level.
type logCount struct {
	mu sync.Mutex
	n  map[slog.Level]int
}

func (h *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCount) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[slog.Level]int{}
	}
	h.n[r.Level]++
	return nil
}
func (h *logCount) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCount) WithGroup(string) slog.Handler      { return h }

func (h *logCount) count(l slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[l]
}
