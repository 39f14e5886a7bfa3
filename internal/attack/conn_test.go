package attack_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// Slow and idle connections (issue 11, H1 and H2): what they cost must fall
// on the attacker, not on the users. The caps are scaled down from the
// defaults (1,024 requests in flight, 2,048 connections) so each attack
// needs tens of connections, not thousands; the shape is the same.

// connTargets are the honest client's targets under attack.
const (
	connMinSuccess = 0.99
	connMaxP99     = time.Second
	connMaxFresh   = time.Second // a brand-new connection's first answer
)

// TestSlowBodiesHoldNoSlot is H1: many connections from one address each
// send a legacy POST announcing a 60,000-byte body and send one byte. Each
// used to hold a request slot for the whole 30 s read timeout, and every
// API call was a 503. The body is now read, under BodyReadTimeout, before
// the slot is taken: the honest client is served, and each slow request is
// answered 400 after BodyReadTimeout.
func TestSlowBodiesHoldNoSlot(t *testing.T) {
	t.Parallel()
	const slots, attackers = 8, 32 // attackers: 4 times the slots
	srv, key, secret, honest := connSetup(t, func(c *server.Config) {
		c.MaxInFlight = slots
		c.MaxConnections = 256
		c.BodyReadTimeout = 400 * time.Millisecond // 5 s by default
	})

	req := fmt.Sprintf("POST /account/settings?api_key=%s HTTP/1.1\r\nHost: attack\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\na", key)
	atk := connStartAttack(t, srv, "127.0.0.2", attackers, func(c net.Conn, first func()) int {
		if _, err := c.Write([]byte(req)); err != nil {
			return 0
		}
		first()
		return connReadStatus(c, 5*time.Second)
	})
	// Long enough for every attacker to be answered and come back twice.
	ok, lat := connHonestLoad(t, honest, srv.URL, key, secret, 1500*time.Millisecond)
	fresh := connFresh(t, srv.URL, key, secret)
	statuses := atk.stop()

	connCheckHonest(t, ok, lat, fresh)
	t.Logf("attacker answers by status: %v", statuses)
	if statuses[http.StatusBadRequest] == 0 {
		t.Errorf("no slow body was answered 400 after BodyReadTimeout: %v", statuses)
	}
	for st, n := range statuses {
		if st != http.StatusBadRequest && st != 0 {
			t.Errorf("%d slow bodies answered %d, want 400", n, st)
		}
	}
}

// TestIdleConnectionsOneAddress is H2 from one address: connections that
// make one request and stay idle used to fill MaxConnections, and no new
// client was served until the idle timeout (2 minutes). One address now
// holds at most MaxConnectionsPerAddr; its further connections are closed
// at once.
func TestIdleConnectionsOneAddress(t *testing.T) {
	t.Parallel()
	srv, key, secret, honest := connIdleSetup(t)

	idle := connIdleConns(t, srv, "127.0.0.2", connIdleMax+16)
	if idle > connIdlePerAddr {
		t.Errorf("one address holds %d idle connections, want at most %d", idle, connIdlePerAddr)
	}
	ok, lat := connHonestLoad(t, honest, srv.URL, key, secret, 500*time.Millisecond)
	fresh := connFresh(t, srv.URL, key, secret)
	connCheckHonest(t, ok, lat, fresh)
}

// TestIdleConnectionsNearCap is H2 from several addresses, each within its
// MaxConnectionsPerAddr, together filling MaxConnections with idle
// connections: a new client is still served at once, because at the cap
// the connection idle the longest is closed for it.
func TestIdleConnectionsNearCap(t *testing.T) {
	t.Parallel()
	srv, key, secret, honest := connIdleSetup(t)

	held := 0
	for i := 2; i < 2+connIdleMax/connIdlePerAddr; i++ {
		held += connIdleConns(t, srv, fmt.Sprintf("127.0.0.%d", i), connIdlePerAddr)
	}
	if held != connIdleMax {
		t.Fatalf("the attackers hold %d idle connections, want the cap, %d", held, connIdleMax)
	}
	fresh := connFresh(t, srv.URL, key, secret)
	ok, lat := connHonestLoad(t, honest, srv.URL, key, secret, 500*time.Millisecond)
	connCheckHonest(t, ok, lat, fresh)
}

// connSetup starts a server that change configures, with the per-account
// call rate off (the honest client calls often), and returns it with the
// honest user's account and client (4 connections, 2 s timeout).
func connSetup(t *testing.T, change func(*server.Config)) (srv *server.Server, key, secret string, honest *http.Client) {
	t.Helper()
	srv = startServer(t, func(c *server.Config) {
		c.CallRateLimit = false
		change(c)
	})
	key, secret = connAccount(t, srv)
	honest = clientFrom(t, honestIP, 4)
	honest.Timeout = 2 * time.Second
	return srv, key, secret, honest
}

// The idle-connection tests' caps: at most connIdleMax connections, and
// connIdlePerAddr from one address.
const connIdleMax, connIdlePerAddr = 64, 16

// connIdleSetup is connSetup with the idle-connection tests' caps.
func connIdleSetup(t *testing.T) (srv *server.Server, key, secret string, honest *http.Client) {
	t.Helper()
	return connSetup(t, func(c *server.Config) {
		c.MaxConnections = connIdleMax
		c.MaxConnectionsPerAddr = connIdlePerAddr
	})
}

// connAccount creates the honest client's account and logs in once.
func connAccount(t *testing.T, srv *server.Server) (key, secret string) {
	t.Helper()
	secret = "Honest1Secret"
	acct, _, err := srv.Service.CreateAccount(context.Background(), account.NewAccount{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	// An honest user has logged in before: the attack, not the first
	// argon2id verification, is measured.
	c := clientFrom(t, honestIP, 1)
	if err := connGet(c, srv.URL, acct.APIKey, secret); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	return acct.APIKey, secret
}

// connGet is one honest call: E1 with Basic credentials.
func connGet(c *http.Client, url, key, secret string) error {
	req, err := http.NewRequest("GET", url+"/account/get-balance", nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(key, secret)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// connHonestLoad calls E1 from four goroutines for d; it returns the number
// of successes and every call's latency.
func connHonestLoad(t *testing.T, c *http.Client, url, key, secret string, d time.Duration) (int, []time.Duration) {
	t.Helper()
	var (
		mu   sync.Mutex
		ok   int
		lat  []time.Duration
		errs = map[string]int{}
		wg   sync.WaitGroup
	)
	end := time.Now().Add(d)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				start := time.Now()
				err := connGet(c, url, key, secret)
				mu.Lock()
				lat = append(lat, time.Since(start))
				if err == nil {
					ok++
				} else {
					errs[err.Error()]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Logf("honest failures: %v", errs)
	}
	return ok, lat
}

// connFresh times one call on a brand-new connection from the honest
// address.
func connFresh(t *testing.T, url, key, secret string) time.Duration {
	t.Helper()
	c := clientFrom(t, honestIP, 1)
	c.Timeout = 3 * time.Second
	start := time.Now()
	if err := connGet(c, url, key, secret); err != nil {
		t.Errorf("a new connection: %v", err)
		return time.Since(start) + c.Timeout // counts as too slow
	}
	return time.Since(start)
}

func connCheckHonest(t *testing.T, ok int, lat []time.Duration, fresh time.Duration) {
	t.Helper()
	n := len(lat)
	p99 := quantile(lat, 0.99)
	t.Logf("honest: %d/%d ok, p50 %v, p99 %v; a new connection: %v", ok, n, quantile(lat, 0.5), p99, fresh)
	if n == 0 || float64(ok) < connMinSuccess*float64(n) {
		t.Errorf("honest success %d of %d, want at least %.0f%%", ok, n, 100*connMinSuccess)
	}
	if p99 >= connMaxP99 {
		t.Errorf("honest p99 %v, want under %v", p99, connMaxP99)
	}
	if fresh >= connMaxFresh {
		t.Errorf("a new honest connection was served after %v, want under %v", fresh, connMaxFresh)
	}
}

// connDial connects to srv from the loopback address ip (the test has
// checked it can, with connNeed).
func connDial(srv *server.Server, ip string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 2 * time.Second}
	return d.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
}

// connNeed skips the test where the system cannot bind ip.
func connNeed(t *testing.T, ip string) {
	t.Helper()
	if !canBind(ip) {
		t.Skipf("cannot bind %s on this system", ip)
	}
}

// connReadStatus reads one response from c within d and returns its status,
// 0 when none came.
func connReadStatus(c net.Conn, d time.Duration) int {
	_ = c.SetReadDeadline(time.Now().Add(d))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// connIdleConns opens n connections from ip, makes one GET /healthz on each
// and leaves them open and idle until the test ends. It returns how many
// were served (the others were closed by the server or never accepted).
func connIdleConns(t *testing.T, srv *server.Server, ip string, n int) int {
	t.Helper()
	connNeed(t, ip)
	served := 0
	for range n {
		c, err := connDial(srv, ip)
		if err != nil {
			continue
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: attack\r\n\r\n")); err != nil {
			continue
		}
		// A connection over the cap is closed at once; one waiting in the
		// backlog is not answered: a second tells them apart from a slow
		// server.
		if connReadStatus(c, time.Second) == http.StatusOK {
			served++
		}
	}
	return served
}

// connAttack is a running attack: conns goroutines, each repeating one
// exchange on a new connection until stop.
type connAttack struct {
	stopc    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	open     map[net.Conn]bool
	statuses map[int]int
}

// connStartAttack starts conns attackers from ip, each running exchange
// on a new connection again and again; exchange calls first once its
// request is sent and returns the status it got. It returns once every
// attacker has sent its first request.
func connStartAttack(t *testing.T, srv *server.Server, ip string, conns int, exchange func(c net.Conn, first func()) int) *connAttack {
	t.Helper()
	connNeed(t, ip)
	a := &connAttack{stopc: make(chan struct{}), open: map[net.Conn]bool{}, statuses: map[int]int{}}
	t.Cleanup(func() { a.stop() })
	var started sync.WaitGroup
	started.Add(conns)
	for range conns {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			once := sync.OnceFunc(started.Done)
			defer once()
			for {
				select {
				case <-a.stopc:
					return
				default:
				}
				c, err := connDial(srv, ip)
				if err != nil {
					return
				}
				a.mu.Lock()
				stopped := a.open == nil
				if !stopped {
					a.open[c] = true
				}
				a.mu.Unlock()
				if stopped {
					c.Close()
					return
				}
				st := exchange(c, once)
				a.mu.Lock()
				if a.open != nil {
					delete(a.open, c)
					a.statuses[st]++
				}
				a.mu.Unlock()
				c.Close()
			}
		}()
	}
	started.Wait()
	return a
}

// stop ends the attack, closes its connections, waits for its goroutines
// and returns the statuses its requests got before the stop.
func (a *connAttack) stop() map[int]int {
	a.mu.Lock()
	if a.open != nil {
		close(a.stopc)
		for c := range a.open {
			c.Close()
		}
		a.open = nil
	}
	a.mu.Unlock()
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.statuses
}
