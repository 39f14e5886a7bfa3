package multiinstance_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/redislimit"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// The limits shared through Redis (--limits-url, contract section 7): with
// it, two instances count one account's calls and one client's failures
// together; without Redis answering, each counts on its own and no call
// waits for it.

// testRedisURL is VONAGE_TEST_REDIS_URL; the test is skipped without it.
func testRedisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("VONAGE_TEST_REDIS_URL")
	if u == "" {
		t.Skip("VONAGE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)")
	}
	return u
}

// limitsPrefix is a key prefix of the test's own, whose keys are deleted
// when it ends.
func limitsPrefix(t *testing.T, url string) string {
	b := make([]byte, 6)
	rand.Read(b)
	p := "vonage-test:" + t.Name() + ":" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		o, err := redis.ParseURL(url)
		if err != nil {
			return
		}
		c := redis.NewClient(o)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if keys, _ := c.Keys(ctx, p+"*").Result(); len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return p
}

// withLimits sets the instances' Redis and key prefix, and turns the
// accounts' call rates on.
func withLimits(url, prefix string, timeout time.Duration) func(*server.Config) {
	return func(c *server.Config) {
		c.LimitsURL, c.LimitsPrefix, c.CallRateLimit = url, prefix, true
		if timeout > 0 {
			c.LimitsTimeout = timeout
		}
	}
}

// accurateTimeout is the Redis deadline of the tests that count exactly:
// long enough that a loaded machine does not push an instance onto its
// local limits, which would make the count one instance's. The tests check
// that it did not happen (noFallbacks).
const accurateTimeout = 2 * time.Second

func noFallbacks(t *testing.T, ins ...*instance) {
	t.Helper()
	for _, in := range ins {
		if n := in.srv.Limits.Fallbacks(); n > 0 {
			t.Fatalf("instance %s counted %d operations locally: Redis did not answer within %v", in.name, n, accurateTimeout)
		}
	}
}

// TestCallRateAcrossInstances: an account with max-calls-per-second 30,
// sent 200 calls within one second split over two instances, gets 30 ± 10%
// of them accepted (each instance alone would accept up to 30).
func TestCallRateAcrossInstances(t *testing.T) {
	t.Parallel()
	url := testRedisURL(t)
	_, a, b := twoInstancesWith(t, withLimits(url, limitsPrefix(t, url), accurateTimeout))
	c := newHTTPClient(t)
	const key, secret, perSecond, calls = "rate0001", "Rate0Secret", 30, 200
	createAccount(t, c, a, adminapi.NewAccount{APIKey: key, Secret: secret, Limits: &adminapi.LimitsPatch{MaxCallsPerSecond: new(perSecond)}})

	// Each instance verifies the secret once first (an argon2id hash, which
	// under -race on a loaded machine can take a second, and would hold the
	// burst's first calls back past its second); then the window empties.
	for _, in := range []*instance{a, b} {
		if res, err := getBalance(c, in, key, secret); err != nil || res.status != 200 {
			t.Fatalf("warm-up call: %v, %+v", err, res)
		}
	}

	// Paced evenly over half a second, so that all of them fall within
	// one second even when a loaded machine delays the last ones: the
	// window is a sliding one, and a call arriving a second after the
	// first accepted one is rightly accepted.
	const spread = 500 * time.Millisecond
	type result struct {
		status   int
		answered time.Duration // since start
	}
	var acceptedInSecond int
	for attempt := 1; ; attempt++ {
		time.Sleep(1100 * time.Millisecond) // the sliding window forgets every earlier call
		results := make([]result, calls)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range calls {
			in := []*instance{a, b}[i%2]
			wg.Go(func() {
				time.Sleep(time.Until(start.Add(spread * time.Duration(i) / calls)))
				res, err := getBalance(c, in, key, secret)
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = result{res.status, time.Since(start)}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		// A loaded machine may deliver the last calls more than a second
		// after the first: the count that must hold is that of the calls
		// answered within one second of the start, which were all admitted
		// within that second.
		accepted, inSecond := 0, 0
		acceptedInSecond = 0
		for i, r := range results {
			if r.status != 200 && r.status != 429 {
				t.Errorf("call %d: status %d", i, r.status)
			}
			if r.status == 200 {
				accepted++
			}
			if r.answered < time.Second {
				inSecond++
				if r.status == 200 {
					acceptedInSecond++
				}
			}
		}
		t.Logf("attempt %d: %d calls over both instances, all answered in %v: %d answered within the first second, %d of them accepted; %d accepted in all",
			attempt, calls, elapsed.Round(time.Millisecond), inSecond, acceptedInSecond, accepted)
		noFallbacks(t, a, b)
		if inSecond >= calls/2 {
			break
		}
		if attempt == 3 {
			t.Fatalf("only %d of the %d calls were answered within a second, three times: the machine is too slow for this test", inSecond, calls)
		}
	}
	if acceptedInSecond < perSecond*9/10 || acceptedInSecond > perSecond*11/10 {
		t.Errorf("%d calls accepted within one second, want %d ± 10%%", acceptedInSecond, perSecond)
	}
}

// wrongSecrets sends n wrong secrets for key, in turn to each of ins, one
// after the other, and returns how many were answered 401 before the
// first 429. Every answer after the first 429 must be a 429.
func wrongSecrets(t *testing.T, c *http.Client, key string, n int, ins ...*instance) int {
	t.Helper()
	failed, limited := 0, 0
	for i := range n {
		in := ins[i%len(ins)]
		res, err := getBalance(c, in, key, "Wrong"+strconv.Itoa(i)+"Secret")
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.status == 401 && limited == 0:
			failed++
		case res.status == 429:
			limited++
		default:
			t.Fatalf("wrong secret %d on %s, after %d 401s and %d 429s: %s", i+1, in.name, failed, limited, res)
		}
	}
	return failed
}

// TestFailureLimitsAcrossInstances: wrong secrets for one (key, address)
// spread over two instances are limited at the same count as on one, and
// wrong admin tokens share the address's budget across instances too.
func TestFailureLimitsAcrossInstances(t *testing.T) {
	t.Parallel()
	url := testRedisURL(t)
	_, a, b := twoInstancesWith(t, withLimits(url, limitsPrefix(t, url), accurateTimeout))
	c := newHTTPClient(t)
	createAccount(t, c, a, adminapi.NewAccount{APIKey: "fails001", Secret: "Fails1Secret"})
	createAccount(t, c, a, adminapi.NewAccount{APIKey: "fails002", Secret: "Fails2Secret"})
	start := time.Now()

	perPair := server.TestConfig().AuthLimits.PerPair
	onOne := wrongSecrets(t, c, "fails001", 2*perPair, a)
	onBoth := wrongSecrets(t, c, "fails002", 2*perPair, a, b)
	t.Logf("%d wrong secrets for one (key, address): limited after %d on one instance, after %d spread over two", 2*perPair, onOne, onBoth)
	// A failure is refilled every Window/PerPair (3 s by default): a slow
	// run may earn one more.
	if onOne < perPair || onOne > perPair+1 || onBoth != onOne {
		t.Errorf("limited after %d failures on one instance and %d on two; want %d on both", onOne, onBoth, perPair)
	}

	// The address has 2*perPair failures; wrong admin tokens on either
	// instance use up the rest of its budget (PerAddr), shared.
	perAddr := server.TestConfig().AuthLimits.PerAddr
	wrong := []*adminapi.Client{adminapi.New(a.base, "wrong-admin-token-0123456789", adminapi.WithHTTPClient(c)),
		adminapi.New(b.base, "wrong-admin-token-0123456789", adminapi.WithHTTPClient(c))}
	refused := 0
	for i := 0; i < perAddr+10; i++ {
		_, err := wrong[i%2].Account(t.Context(), "fails001")
		var ae *adminapi.Error
		if !errors.As(err, &ae) || (ae.Status != 401 && ae.Status != 429) {
			t.Fatalf("wrong admin token %d: %v", i+1, err)
		}
		if ae.Status == 429 {
			refused = i
			break
		}
	}
	// The address's refill (PerAddr a minute) may add a few in a slow run.
	slack := int(time.Since(start).Seconds()*float64(perAddr)/60) + 1
	t.Logf("then %d wrong admin tokens over both instances before a 429 (the address's budget is %d)", refused, perAddr)
	if want := perAddr - 2*perPair; refused < want || refused > want+slack {
		t.Errorf("%d wrong admin tokens before a 429, want %d (+%d for refill)", refused, want, slack)
	}
	noFallbacks(t, a, b)
}

// TestLimitsWhenRedisStops: a Redis that hangs, then one that is gone,
// leaves both instances answering on their local limits, each call
// waiting at most the short deadline (the default, 5 ms) for Redis: the
// 99th percentile of a call's latency grows by less than 50 ms. /readyz
// says where the limits are counted, and they go back to Redis when it
// answers again.
func TestLimitsWhenRedisStops(t *testing.T) {
	t.Parallel()
	proc, url := startRedis(t)
	_, a, b := twoInstancesWith(t, withLimits(url, limitsPrefix(t, url), 0))
	c := newHTTPClient(t)
	const key, secret = "outage01", "Outage1Secret"
	createAccount(t, c, a, adminapi.NewAccount{APIKey: key, Secret: secret, Limits: &adminapi.LimitsPatch{MaxCallsPerSecond: new(1_000_000)}})
	// On a loaded machine a first call may miss the 5 ms deadline and fall
	// back (as it should); the instance probes Redis again every second.
	waitReady(t, c, redislimit.StateRedis, a, b)

	up := latencies(t, c, key, secret, a, b)
	must(t, proc.Signal(syscall.SIGSTOP))
	hung := latencies(t, c, key, secret, a, b)
	wantReady(t, c, redislimit.StateFallback, a, b)
	must(t, proc.Signal(syscall.SIGCONT))
	waitReady(t, c, redislimit.StateRedis, a, b)

	must(t, proc.Kill())
	gone := latencies(t, c, key, secret, a, b)
	wantReady(t, c, redislimit.StateFallback, a, b)
	// The local limits apply: one instance refuses a pair past its own
	// count.
	perPair := server.TestConfig().AuthLimits.PerPair
	if n := wrongSecrets(t, c, key, perPair+5, a); n < perPair || n > perPair+1 {
		t.Errorf("Redis gone: limited after %d wrong secrets on one instance, want %d", n, perPair)
	}

	p99 := func(d []time.Duration) time.Duration { return d[(len(d)*99+99)/100-1] }
	t.Logf("p99 of %d calls (ms): Redis answering %.2f, hung %.2f (+%.2f), gone %.2f (+%.2f)", len(up),
		ms(p99(up)), ms(p99(hung)), ms(p99(hung)-p99(up)), ms(p99(gone)), ms(p99(gone)-p99(up)))
	for what, d := range map[string][]time.Duration{"hung": hung, "gone": gone} {
		if added := p99(d) - p99(up); added >= 50*time.Millisecond {
			t.Errorf("Redis %s: p99 grew by %v, want under 50ms", what, added)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// latencies makes 200 authenticated calls, in turn on each of ins, one
// after the other; each must answer 200. It returns their latencies,
// sorted.
func latencies(t *testing.T, c *http.Client, key, secret string, ins ...*instance) []time.Duration {
	t.Helper()
	d := make([]time.Duration, 200)
	for i := range d {
		in := ins[i%len(ins)]
		start := time.Now()
		res, err := getBalance(c, in, key, secret)
		d[i] = time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if res.status != 200 {
			t.Fatalf("call %d on %s: %s", i+1, in.name, res)
		}
	}
	slices.Sort(d)
	return d
}

// readyLimits is /readyz's "limits" on in; /readyz must answer 200.
func readyLimits(t *testing.T, c *http.Client, in *instance) string {
	t.Helper()
	res, err := in.send(c, call{method: "GET", path: "/readyz"})
	if err != nil {
		t.Fatal(err)
	}
	if res.status != 200 {
		t.Fatalf("/readyz on %s: %s", in.name, res)
	}
	return decode[struct {
		Limits string `json:"limits"`
	}](t, res.body).Limits
}

func wantReady(t *testing.T, c *http.Client, state string, ins ...*instance) {
	t.Helper()
	for _, in := range ins {
		if got := readyLimits(t, c, in); got != state {
			t.Errorf("/readyz on %s: limits %q, want %q", in.name, got, state)
		}
	}
}

// waitReady waits, at most 10 s, until each of ins says state in /readyz.
func waitReady(t *testing.T, c *http.Client, state string, ins ...*instance) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, in := range ins {
		for readyLimits(t, c, in) != state {
			if time.Now().After(deadline) {
				t.Fatalf("/readyz on %s: limits not %q after 10s", in.name, state)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// startRedis starts a redis-server of the test's own on a free loopback
// port, without persistence, and kills it when the test ends. The test is
// skipped when redis-server is not installed.
func startRedis(t *testing.T) (*os.Process, string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := fmt.Sprintf("redis://127.0.0.1:%s/0", port)
	o, _ := redis.ParseURL(url)
	rc := redis.NewClient(o)
	defer rc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rc.Ping(t.Context()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server does not answer after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd.Process, url
}
