package httpapi_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// behindProxy makes the test server trust the loopback client as a proxy,
// so that X-Forwarded-For names the client address.
func behindProxy() envOption {
	return withConfig(func(c *server.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
}

func from(addr string, r request) request {
	h := map[string]string{"X-Forwarded-For": addr}
	for k, v := range r.header {
		h[k] = v
	}
	r.header = h
	return r
}

func wantRetryAfter(t *testing.T, r response, min, max int) {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < min || n > max {
		t.Errorf("Retry-After %q, want %d to %d seconds", r.header.Get("Retry-After"), min, max)
	}
}

// TestFailedAuthLimits: past the per-(key, address) limit an attacker gets
// 429s in each family's shape, with Retry-After; the key's owner, calling
// from another address, is not affected.
func TestFailedAuthLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, behindProxy(), withConfig(func(c *server.Config) {
		c.AuthLimits = account.AuthLimits{PerPair: 4, PerAddr: 50, Window: time.Minute}
	}))
	key, secret := e.newAccount(t, account.NewAccount{})
	const attacker, owner = "203.0.113.9", "198.51.100.20"
	balance := func(secret string) request {
		return request{method: "GET", path: "/account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {secret}}}
	}
	for range 4 {
		wantLegacy(t, e.do(t, from(attacker, balance("Wrong1Secret"))), 401, "authentication failed")
	}
	r := e.do(t, from(attacker, balance("Wrong1Secret")))
	wantLegacy(t, r, 429, "rate limit exceeded")
	wantRetryAfter(t, r, 1, 15)
	// Even the right secret: a locked-out guesser cannot tell.
	wantLegacy(t, e.do(t, from(attacker, balance(secret))), 429, "rate limit exceeded")
	r = e.do(t, from(attacker, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: []string{key, "Wrong2Secret"}}))
	wantProblem(t, r, 429, "#throttled", "Rate Limit Hit")
	wantRetryAfter(t, r, 1, 15)
	if r.header.Get("WWW-Authenticate") != "" {
		t.Errorf("a 429 asks for credentials: %q", r.header.Get("WWW-Authenticate"))
	}

	// The owner, elsewhere, is served.
	if r := e.do(t, from(owner, balance(secret))); r.status != 200 {
		t.Errorf("owner from another address: %d %s", r.status, r.body)
	}
	if r := e.do(t, from(owner, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: []string{key, secret}})); r.status != 200 {
		t.Errorf("owner on E4: %d %s", r.status, r.body)
	}
	// A client cannot pick its address: without the trusted proxy in
	// front, X-Forwarded-For is ignored (see TestClientAddrSpoofing).
}

// TestClientAddrSpoofing: a server that trusts no proxy counts failures
// under the connection's address whatever X-Forwarded-For says.
func TestClientAddrSpoofing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(func(c *server.Config) {
		c.AuthLimits = account.AuthLimits{PerPair: 3, PerAddr: 50, Window: time.Minute}
	}))
	key, _ := e.newAccount(t, account.NewAccount{})
	for i := range 6 {
		r := e.do(t, from("198.51.100."+strconv.Itoa(i), request{method: "GET", path: "/account/get-balance", basic: []string{key, "Wrong1Secret"}}))
		want := 401
		if i >= 3 {
			want = 429
		}
		if r.status != want {
			t.Errorf("attempt %d with a forged X-Forwarded-For: %d, want %d", i+1, r.status, want)
		}
	}
}

// TestCallRateLimit: an account's max-calls-per-second is enforced when
// the service is configured to, with the contract's 429 bodies.
func TestCallRateLimit(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, withConfig(func(c *server.Config) { c.CallRateLimit, c.LimiterClock = true, clock }))
	limits := account.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 2}
	key, secret := e.newAccount(t, account.NewAccount{Limits: &limits})
	other, otherSecret := e.newAccount(t, account.NewAccount{APIKey: "otheracct"})
	creds := []string{key, secret}
	for range 2 {
		if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: creds}); r.status != 200 {
			t.Fatalf("within the limit: %d %s", r.status, r.body)
		}
	}
	r := e.do(t, request{method: "POST", path: "/account/settings", basic: creds})
	wantLegacy(t, r, 429, "rate limit exceeded")
	wantRetryAfter(t, r, 1, 1)
	r = e.do(t, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: creds})
	m := wantProblem(t, r, 429, "#throttled", "Rate Limit Hit")
	if m["detail"] != "rate limit hit: this account may make at most 2 calls per second" {
		t.Errorf("detail %q", m["detail"])
	}
	wantRetryAfter(t, r, 1, 1)
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{other, otherSecret}}); r.status != 200 {
		t.Errorf("another account: %d", r.status)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: creds}); r.status != 200 {
		t.Errorf("a second later: %d %s", r.status, r.body)
	}
}

// TestMaxInFlight: past Config.MaxInFlight requests a request is answered
// 503 in its family's shape, /healthz still answers, and the slot comes
// back when the request ends.
func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	// Hold the one slot with a request stopped inside its handler: an
	// account creation whose clock, once armed, waits for release. (A
	// request whose body has not arrived holds no slot: its body is read
	// before the slot is taken.)
	var armed atomic.Bool
	inside, release := make(chan struct{}), make(chan struct{})
	e := newEnv(t, withConfig(func(c *server.Config) {
		c.MaxInFlight = 1
		// The callback worker reads the clock too: after its first poll
		// at start, keep it from polling again while the hook is armed.
		c.WebhookPoll = time.Hour
		c.Clock = func() time.Time {
			if armed.CompareAndSwap(true, false) {
				close(inside)
				<-release
			}
			return clock
		}
	}))
	key, secret := e.newAccount(t, account.NewAccount{})
	armed.Store(true)

	type result struct {
		status int
		err    error
	}
	held := make(chan result, 1)
	hr, _ := http.NewRequest("POST", e.srv.URL+"/admin/accounts", strings.NewReader(`{}`))
	hr.Header.Set("Authorization", "Bearer "+adminToken)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	go func() {
		res, err := client.Do(hr)
		if err != nil {
			held <- result{0, err}
			return
		}
		res.Body.Close()
		held <- result{res.StatusCode, nil}
	}()
	<-inside

	wantLegacy(t, e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}, allow500: true}), 503, "service unavailable")
	r := e.do(t, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: []string{key, secret}, allow500: true})
	wantProblem(t, r, 503, "#unavailable", "Service Unavailable")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("503 Retry-After %q", r.header.Get("Retry-After"))
	}
	if r := e.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz while full: %d", r.status)
	}

	close(release)
	if res := <-held; res.err != nil || res.status != 201 {
		t.Fatalf("held request: %d %v", res.status, res.err)
	}
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}}); r.status != 200 {
		t.Errorf("after the slot came back: %d", r.status)
	}
}
