package attack_test

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// TestCacheColdStart (L6): after a restart the verification cache is
// empty, and 65 distinct clients (each its own account, each from its own
// /24) arriving at once must all be served, none refused with 429, with
// the hash gate of vonage serve's defaults. The hash is cheaper than the
// default (some 10 ms instead of 30 to 60): slow enough that the 65 are
// in the gate together, fast enough that the test does not depend on how
// loaded the machine is.
func TestCacheColdStart(t *testing.T) {
	const clients = 65
	path := filepath.Join(t.TempDir(), "cold.db")
	cold := func(c *server.Config) {
		c.DB = path
		c.HashParams = account.HashParams{Memory: 8 * 1024, Time: 1, Threads: 1}
	}
	first := startServer(t, cold)
	hc := clientFrom(t, honestIP, 2)
	const secret = "Cold-Start-Secret-1"
	st, _, body := dbDo(t, hc, "POST", first.URL+"/admin/accounts", adminToken, `{"api_key":"cold0000","secret":"`+secret+`"}`)
	if st != http.StatusCreated {
		t.Fatalf("create account: %d %s", st, body)
	}
	// The other accounts share the first one's hash (the same secret,
	// hashed once): each (key, secret) pair is still its own verification.
	secrets, err := first.Store.Secrets(t.Context(), "cold0000")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := 1; i < clients; i++ {
		key := fmt.Sprintf("cold%04d", i)
		acct := account.Account{APIKey: key, Limits: account.DefaultLimits, CreatedAt: now}
		sec := account.Secret{ID: account.NewID(), APIKey: key, Hash: secrets[0].Hash, CreatedAt: now}
		if err := first.Store.CreateAccount(t.Context(), acct, sec); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, cold)
	hcs := make([]*http.Client, clients)
	for i := range hcs {
		hcs[i] = clientFrom(t, fmt.Sprintf("127.10.%d.1", i), 1)
	}
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		statuses = map[int]int{}
		slowest  time.Duration
	)
	for i, c := range hcs {
		u := srv.URL + "/account/get-balance?" + url.Values{"api_key": {fmt.Sprintf("cold%04d", i)}, "api_secret": {secret}}.Encode()
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(t.Context(), "GET", u, nil)
			<-start
			t0 := time.Now()
			resp, err := c.Do(req)
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, took)
			if err != nil {
				statuses[-1]++
				return
			}
			resp.Body.Close()
			statuses[resp.StatusCode]++
		}()
	}
	close(start)
	wg.Wait()
	t.Logf("%d cold logins at once: statuses %v, slowest %v", clients, statuses, slowest.Round(time.Millisecond))
	if statuses[http.StatusOK] != clients {
		t.Errorf("%d of %d cold logins succeeded (statuses %v), want all", statuses[http.StatusOK], clients, statuses)
	}
}
