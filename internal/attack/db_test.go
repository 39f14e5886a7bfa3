package attack_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// dbCheapHash keeps the accounts these tests create quick to make: the
// database, not the hashing, is what they attack.
func dbCheapHash(c *server.Config) { c.HashParams = account.TestHashParams }

// dbDo sends one request and returns its status, Retry-After and body.
func dbDo(t *testing.T, hc *http.Client, method, u, token, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// dbCreateAccount creates an account through the admin API and returns
// its key and generated secret, or the failed status.
func dbCreateAccount(t *testing.T, hc *http.Client, base string) (key, secret string, status int, retryAfter string) {
	t.Helper()
	st, ra, body := dbDo(t, hc, "POST", base+"/admin/accounts", adminToken, "{}")
	if st != http.StatusCreated {
		return "", "", st, ra
	}
	var out struct {
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("create account: %v in %q", err, body)
	}
	return out.APIKey, out.APISecret, st, ra
}

// dbReady returns the status of GET /readyz.
func dbReady(t *testing.T, hc *http.Client, base string) int {
	t.Helper()
	st, _, _ := dbDo(t, hc, "GET", base+"/readyz", "", "")
	return st
}

// TestDBReadOnlyFile (L1): a server started on a read-only database file
// is not ready and answers writes 503 with Retry-After, not 500; once the
// file is writable again, writes work again without a restart.
func TestDBReadOnlyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	first := startServer(t, func(c *server.Config) { dbCheapHash(c); c.DB = path })
	hc := clientFrom(t, honestIP, 4)
	if _, _, st, _ := dbCreateAccount(t, hc, first.URL); st != http.StatusCreated {
		t.Fatalf("create account on a writable file: %d", st)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	testutil.SetReadOnly(t, path, true)
	srv := startServer(t, func(c *server.Config) { dbCheapHash(c); c.DB = path })
	if st := dbReady(t, hc, srv.URL); st != http.StatusServiceUnavailable {
		t.Errorf("read-only file: /readyz = %d, want 503", st)
	}
	for i := range 3 {
		_, _, st, ra := dbCreateAccount(t, hc, srv.URL)
		if st != http.StatusServiceUnavailable || ra == "" {
			t.Errorf("read-only file: write %d answered %d with Retry-After %q, want 503 with Retry-After", i, st, ra)
		}
	}

	testutil.SetReadOnly(t, path, false)
	if st := dbReady(t, hc, srv.URL); st != http.StatusOK {
		t.Errorf("file writable again: /readyz = %d, want 200", st)
	}
	if _, _, st, _ := dbCreateAccount(t, hc, srv.URL); st != http.StatusCreated {
		t.Errorf("file writable again: write answered %d, want 201", st)
	}
}

// TestDBDeletedFile (L2): deleting the database file under a running
// server, or replacing it, makes /readyz fail and writes refused with 503,
// instead of 201s into a file that no one will open again.
func TestDBDeletedFile(t *testing.T) {
	for _, c := range []struct {
		name string
		do   func(path string) error
	}{
		{"deleted", os.Remove},
		{"replaced", func(path string) error {
			tmp := path + ".new"
			if err := os.WriteFile(tmp, nil, 0o600); err != nil {
				return err
			}
			return os.Rename(tmp, path)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "gone.db")
			srv := startServer(t, func(cfg *server.Config) { dbCheapHash(cfg); cfg.DB = path })
			hc := clientFrom(t, honestIP, 4)
			if _, _, st, _ := dbCreateAccount(t, hc, srv.URL); st != http.StatusCreated {
				t.Fatalf("create account: %d", st)
			}
			if st := dbReady(t, hc, srv.URL); st != http.StatusOK {
				t.Fatalf("/readyz = %d before the file was touched", st)
			}
			if err := c.do(path); err != nil {
				t.Fatal(err)
			}
			if st := dbReady(t, hc, srv.URL); st != http.StatusServiceUnavailable {
				t.Errorf("file %s: /readyz = %d, want 503", c.name, st)
			}
			for i := range 3 {
				_, _, st, ra := dbCreateAccount(t, hc, srv.URL)
				if st != http.StatusServiceUnavailable || ra == "" {
					t.Errorf("file %s: write %d answered %d with Retry-After %q, want 503 with Retry-After", c.name, i, st, ra)
				}
			}
		})
	}
}

// TestDBFrozenPostgres (L3): with PostgreSQL frozen (a TCP proxy in front
// of the test database stops forwarding; the shared database itself is
// never touched), API calls answer 503 with Retry-After within the
// database deadline plus a margin, instead of hanging for the outage.
func TestDBFrozenPostgres(t *testing.T) {
	_, dbURL := pgtest.NewSchema(t, "attack_frozen")
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := dbStartProxy(t, u.Host)
	u.Host = proxy.addr()

	const deadline = time.Second
	srv := startServer(t, func(c *server.Config) {
		dbCheapHash(c)
		c.DB = u.String()
		c.DBTimeout = deadline
		c.ReadyTimeout = deadline
	})
	hc := clientFrom(t, honestIP, 8)
	key, secret, st, _ := dbCreateAccount(t, hc, srv.URL)
	if st != http.StatusCreated {
		t.Fatalf("create account: %d", st)
	}
	balance := srv.URL + "/account/get-balance?" + url.Values{"api_key": {key}, "api_secret": {secret}}.Encode()
	if st, _, body := dbDo(t, hc, "GET", balance, "", ""); st != http.StatusOK {
		t.Fatalf("get-balance before the freeze: %d %s", st, body)
	}

	proxy.freeze()
	t.Cleanup(proxy.thaw) // runs before the server's Close, registered earlier
	margin := 1500 * time.Millisecond
	calls := []struct{ name, method, url, token, body string }{
		{"get-balance", "GET", balance, "", ""},
		{"list secrets", "GET", srv.URL + "/accounts/" + key + "/secrets", "", ""},
		{"admin create", "POST", srv.URL + "/admin/accounts", adminToken, "{}"},
		{"readyz", "GET", srv.URL + "/readyz", "", ""},
	}
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(t.Context(), c.method, c.url, strings.NewReader(c.body))
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			} else if c.name == "list secrets" {
				req.SetBasicAuth(key, secret)
			}
			start := time.Now()
			resp, err := hc.Do(req)
			took := time.Since(start)
			if err != nil {
				t.Errorf("%s with the database frozen: %v after %v", c.name, err, took)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s with the database frozen: %d, Retry-After %q; want 503 with Retry-After",
					c.name, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if took > deadline+margin {
				t.Errorf("%s with the database frozen took %v, want under %v", c.name, took, deadline+margin)
			}
			t.Logf("%s with the database frozen: %d in %v", c.name, resp.StatusCode, took.Round(time.Millisecond))
		}()
	}
	wg.Wait()

	proxy.thaw()
	// Once the database answers again, so does the server (new
	// connections through the proxy).
	ok := false
	for range 20 {
		if st, _, _ := dbDo(t, hc, "GET", balance, "", ""); st == http.StatusOK {
			ok = true
			break
		}
		time.Sleep(100 * time.Millisecond) // polling a recovery: there is nothing to wait on
	}
	if !ok {
		t.Error("get-balance does not answer 200 after the database came back")
	}
}

// dbProxy forwards TCP connections to a backend until frozen: then it
// accepts connections and keeps those it has, but forwards no byte, as a
// stopped (SIGSTOP) database server would behave.
type dbProxy struct {
	ln      net.Listener
	backend string

	mu     sync.Mutex
	frozen bool
	thawed chan struct{} // closed on thaw
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func dbStartProxy(t *testing.T, backend string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, backend: backend, thawed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *dbProxy) addr() string { return p.ln.Addr().String() }

func (p *dbProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen, p.thawed = true, make(chan struct{})
	}
}

func (p *dbProxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thawed)
	}
}

// gate blocks while the proxy is frozen.
func (p *dbProxy) gate() {
	p.mu.Lock()
	frozen, thawed := p.frozen, p.thawed
	p.mu.Unlock()
	if frozen {
		<-thawed
	}
}

func (p *dbProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *dbProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.gate()
			b, err := net.DialTimeout("tcp", p.backend, 5*time.Second)
			if err != nil || !p.track(b) {
				c.Close()
				return
			}
			done := make(chan struct{}, 2)
			go func() { p.pipe(b, c); done <- struct{}{} }()
			p.pipe(c, b)
			<-done
		}()
	}
}

// pipe copies src to dst, holding each chunk while the proxy is frozen;
// it closes both ends when src ends.
func (p *dbProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF, a reset or a close: the connection is over
		}
	}
}

// close thaws the proxy, closes every connection and waits for its
// goroutines.
func (p *dbProxy) close() {
	p.thaw()
	p.ln.Close()
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	p.wg.Wait()
}
