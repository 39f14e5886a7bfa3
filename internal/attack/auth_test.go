package attack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// The credential path under attack (issue 11: M1, M2, M3, L4). Addresses
// are grouped by /24 for the failure limits and the hash queue, so the
// attackers here connect from 127.0.1.0/24, away from the honest client's
// 127.0.0.0/24.

// authAttackerIP is the n-th attacker address (n from 0 to 253), all in
// one /24 that the honest client is not in.
func authAttackerIP(n int) string { return "127.0.1." + strconv.Itoa(2+n) }

// authHashCost is a hash cost that keeps these tests short while hashing
// still dominates a failed guess's time (a few milliseconds a hash here).
var authHashCost = account.HashParams{Memory: 2 * 1024, Time: 1, Threads: 1}

// authDo sends one request and returns its status and body.
func authDo(ctx context.Context, c *http.Client, method, u, body string, header map[string]string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, string(data), err
}

// authBalance is GET /account/get-balance with key and secret.
func authBalance(ctx context.Context, c *http.Client, base, key, secret string) (int, error) {
	status, _, err := authDo(ctx, c, "GET", base+"/account/get-balance?"+url.Values{"api_key": {key}, "api_secret": {secret}}.Encode(), "", nil)
	return status, err
}

// authCreateAccount creates an account through the admin API and returns
// the status.
func authCreateAccount(ctx context.Context, c *http.Client, base, key, secret string) (int, error) {
	status, _, err := authDo(ctx, c, "POST", base+"/admin/accounts", fmt.Sprintf(`{"api_key":%q,"secret":%q}`, key, secret),
		map[string]string{"Authorization": "Bearer " + adminToken})
	return status, err
}

// authCreateSecret adds a secret to key's account with its own
// credentials.
func authCreateSecret(ctx context.Context, c *http.Client, base, key, secret, newSecret string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/accounts/"+key+"/secrets", strings.NewReader(fmt.Sprintf(`{"secret":%q}`, newSecret)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(key, secret)
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// TestAuthHashQueueFairness (M1): attackers sending wrong secrets for
// unknown keys on 32 connections, from one address or from 200 addresses
// of one /24, cannot keep the hashing queue to themselves: at least 9 of
// 10 first-time (uncached) logins of honest users from another address
// succeed on the first try, and admin account creation and secret
// creation are not refused.
func TestAuthHashQueueFairness(t *testing.T) {
	for _, tc := range []struct {
		name      string
		attackers int
	}{{"one address", 1}, {"200 addresses of one /24", 200}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, func(c *server.Config) { c.HashParams = authHashCost })
			honest := clientFrom(t, honestIP, 4)
			ctx := context.Background()
			const users = 10
			for i := range users {
				if status, err := authCreateAccount(ctx, honest, srv.URL, fmt.Sprintf("honest%02d", i), "Honest1Secret"); err != nil || status != 201 {
					t.Fatalf("create honest%02d: %d %v", i, status, err)
				}
			}
			attackers := make([]*http.Client, tc.attackers)
			for i := range attackers {
				attackers[i] = clientFrom(t, authAttackerIP(i), max(1, 32/tc.attackers))
			}

			attackCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			var sent, refused atomic.Int64
			warm := make(chan struct{}) // closed at the attackers' 64th answer
			for w := range 32 {
				wg.Go(func() {
					for n := 0; attackCtx.Err() == nil; n++ {
						c := attackers[(w+n*32)%len(attackers)]
						status, err := authBalance(attackCtx, c, srv.URL, fmt.Sprintf("nokey%03d%04d", w, n%10000), "Wrong1Secret")
						if err == nil {
							if sent.Add(1) == 64 {
								close(warm)
							}
							if status == 429 {
								refused.Add(1)
							}
						}
					}
				})
			}
			defer func() { stop(); wg.Wait() }()

			// Let the attack fill the queue, then log in as each honest user
			// once, spread over the attack.
			<-warm
			ok := 0
			var statuses []int
			for i := range users {
				status, err := authBalance(ctx, honest, srv.URL, fmt.Sprintf("honest%02d", i), "Honest1Secret")
				if err != nil {
					t.Fatal(err)
				}
				statuses = append(statuses, status)
				if status == 200 {
					ok++
				}
				time.Sleep(100 * time.Millisecond) // spread over the attack: a pace, not a wait
			}
			created, err := authCreateAccount(ctx, honest, srv.URL, "latecomer1", "Late1Secret")
			if err != nil {
				t.Fatal(err)
			}
			added, err := authCreateSecret(ctx, honest, srv.URL, "honest00", "Honest1Secret", "Second1Secret")
			if err != nil {
				t.Fatal(err)
			}
			stop()
			wg.Wait()
			t.Logf("honest first-try logins: %d/%d %v; attacker: %d requests, %d answered 429; admin create %d, secret create %d",
				ok, users, statuses, sent.Load(), refused.Load(), created, added)
			if ok < 9 {
				t.Errorf("%d of %d honest first logins succeeded, want at least 9", ok, users)
			}
			if created != 201 || added != 201 {
				t.Errorf("under attack: admin account creation %d, secret creation %d; want 201 and 201", created, added)
			}
		})
	}
}

// TestAuthFailureTiming (M2): a wrong secret takes the same time whether
// the key is unknown, has one secret or two: the medians of 300 guesses
// of each kind are within 10% of each other. Other processes share the
// machine, so a measurement outside the bound is made up to twice more
// before failing; before the fix the medians were 60-85% apart every time.
func TestAuthFailureTiming(t *testing.T) {
	srv := startServer(t, func(c *server.Config) {
		c.HashParams = account.HashParams{Memory: 1024, Time: 1, Threads: 1}
		c.AuthLimits = account.AuthLimits{} // 900 failures from one address
	})
	c := clientFrom(t, honestIP, 1)
	ctx := context.Background()
	for _, key := range []string{"timeone1", "timetwo1"} {
		if status, err := authCreateAccount(ctx, c, srv.URL, key, "Timing1Secret"); err != nil || status != 201 {
			t.Fatalf("create %s: %d %v", key, status, err)
		}
	}
	if status, err := authCreateSecret(ctx, c, srv.URL, "timetwo1", "Timing1Secret", "Timing2Secret"); err != nil || status != 201 {
		t.Fatalf("second secret: %d %v", status, err)
	}
	kinds := []string{"timenone", "timeone1", "timetwo1"} // unknown, 1 secret, 2 secrets
	const samples = 300
	measure := func() (spread float64, desc string) {
		took := make([][]time.Duration, len(kinds))
		for range samples {
			for _, k := range rand.Perm(len(kinds)) { // interleaved, so drift hits all alike
				start := time.Now()
				status, err := authBalance(ctx, c, srv.URL, kinds[k], "Wrong9Secret")
				took[k] = append(took[k], time.Since(start))
				if err != nil || status != 401 {
					t.Fatalf("%s: %d %v", kinds[k], status, err)
				}
			}
		}
		var lo, hi time.Duration
		var parts []string
		for k, ds := range took {
			m := quantile(ds, 0.5)
			parts = append(parts, fmt.Sprintf("%s p10 %v median %v p90 %v", kinds[k], quantile(ds, 0.1), m, quantile(ds, 0.9)))
			if lo == 0 || m < lo {
				lo = m
			}
			hi = max(hi, m)
		}
		return float64(hi)/float64(lo) - 1, strings.Join(parts, "; ")
	}
	for attempt := 1; ; attempt++ {
		spread, desc := measure()
		t.Logf("wrong secret, %d each: %s; medians %.1f%% apart", samples, desc, 100*spread)
		if spread <= 0.10 {
			return
		}
		if attempt == 3 {
			t.Fatalf("medians %.0f%% apart; want within 10%%", 100*spread)
		}
	}
}

// TestAuthAdminTokenGuessing (M3): a short admin token is refused at
// start; wrong bearer tokens from one address are answered 429 with
// Retry-After once past the per-address failure limit, each failure is
// logged at Warn with the address and never the token, and the operator
// on another address is not locked out.
func TestAuthAdminTokenGuessing(t *testing.T) {
	short := server.TestConfig()
	short.AdminToken = "admintok"
	if _, err := server.New(context.Background(), short); err == nil || !strings.Contains(err.Error(), "AdminToken") {
		t.Errorf("server with an 8-character admin token: %v, want a ConfigError naming AdminToken", err)
	}

	var logs testutil.LockedBuffer
	srv := startServer(t, func(c *server.Config) {
		c.HashParams = account.TestHashParams
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	attacker := clientFrom(t, authAttackerIP(0), 8)
	ctx := context.Background()
	const guesses = 400
	var unauthorized, limited, noRetryAfter atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/admin/accounts/nosuchkey1", nil)
				req.Header.Set("Authorization", "Bearer guess-"+strconv.Itoa(i)+"-of-the-admin-token")
				res, err := attacker.Do(req)
				if err != nil {
					t.Error(err)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				switch res.StatusCode {
				case 401:
					unauthorized.Add(1)
				case 429:
					limited.Add(1)
					if res.Header.Get("Retry-After") == "" {
						noRetryAfter.Add(1)
					}
				default:
					t.Errorf("guess %d: %d", i, res.StatusCode)
				}
			}
		})
	}
	for i := range guesses {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d wrong admin tokens: %d answered 401, %d answered 429", guesses, unauthorized.Load(), limited.Load())
	limit := int64(server.DefaultConfig().AuthLimits.PerAddr)
	if unauthorized.Load() > limit+8 || limited.Load() < guesses-limit-8 || noRetryAfter.Load() > 0 {
		t.Errorf("%d answered 401 and %d 429 (%d without Retry-After); want at most the address limit (%d) answered 401",
			unauthorized.Load(), limited.Load(), noRetryAfter.Load(), limit)
	}
	// The right token from the attacker's address is refused too; the
	// operator elsewhere gets in.
	if status, _, _ := authDo(ctx, attacker, "GET", srv.URL+"/admin/accounts/nosuchkey1", "", map[string]string{"Authorization": "Bearer " + adminToken}); status != 429 {
		t.Errorf("right token from the attacker's address: %d, want 429", status)
	}
	if status, _, _ := authDo(ctx, clientFrom(t, honestIP, 1), "GET", srv.URL+"/admin/accounts/nosuchkey1", "", map[string]string{"Authorization": "Bearer " + adminToken}); status != 404 {
		t.Errorf("operator: %d, want 404 (authenticated, no such account)", status)
	}
	out := logs.String()
	warns := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "admin authentication failed") {
			warns++
			if !strings.Contains(line, "client="+authAttackerIP(0)) {
				t.Errorf("warning without the client address: %s", line)
			}
		}
	}
	if int64(warns) != unauthorized.Load() {
		t.Errorf("%d warnings for %d wrong tokens", warns, unauthorized.Load())
	}
	if strings.Contains(out, "-of-the-admin-token") || strings.Contains(out, adminToken) {
		t.Error("a token is in the log")
	}
}

// TestAuthSharedVerificationCallerLeaves (L4): two identical concurrent
// requests share one verification; when the one that started it goes
// away, the other still gets its answer (not a 500).
func TestAuthSharedVerificationCallerLeaves(t *testing.T) {
	arrived := make(chan string, 4)
	srv := startServer(t, func(c *server.Config) {
		// A verification long enough to leave during it.
		c.HashParams = account.HashParams{Memory: 32 * 1024, Time: 2, Threads: 1}
		c.Wrap = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if role := r.Header.Get("X-Test-Role"); role != "" {
					arrived <- role
				}
				h.ServeHTTP(w, r)
			})
		}
	})
	c := clientFrom(t, honestIP, 2)
	ctx := context.Background()
	const rounds = 3
	for i := range rounds {
		key := "sharedk" + strconv.Itoa(i)
		if status, err := authCreateAccount(ctx, c, srv.URL, key, "Shared1Secret"); err != nil || status != 201 {
			t.Fatalf("create %s: %d %v", key, status, err)
		}
	}
	u := func(key string) string {
		return srv.URL + "/account/get-balance?" + url.Values{"api_key": {key}, "api_secret": {"Shared1Secret"}}.Encode()
	}
	for i := range rounds {
		key := "sharedk" + strconv.Itoa(i)
		firstCtx, leave := context.WithCancel(ctx)
		first := make(chan error, 1)
		go func() {
			_, _, err := authDo(firstCtx, c, "GET", u(key), "", map[string]string{"X-Test-Role": "first"})
			first <- err
		}()
		<-arrived
		time.Sleep(20 * time.Millisecond) // a moment for the first to start the verification: the moment itself is the test
		second := make(chan int, 1)
		go func() {
			status, _, err := authDo(ctx, c, "GET", u(key), "", map[string]string{"X-Test-Role": "second"})
			if err != nil {
				t.Error(err)
			}
			second <- status
		}()
		<-arrived
		time.Sleep(20 * time.Millisecond) // the second joins the shared verification
		leave()
		<-first
		if status := <-second; status != 200 {
			t.Errorf("round %d: the caller that stayed got %d after the other left, want 200", i+1, status)
		}
	}
}
