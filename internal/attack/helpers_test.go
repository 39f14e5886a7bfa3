package attack_test

import (
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// adminToken is the admin token of every server here (24 characters or more).
const adminToken = "attack-suite-admin-token-0c5e9d"

// honestIP is where the honest client connects from; attackers use
// 127.0.0.2 and up.
const honestIP = "127.0.0.1"

// startServer serves the API as vonage serve does on its defaults
// (server.DefaultConfig), on a random loopback port over a fresh SQLite
// file, with the admin API on; change changes the Config first (a test
// lowers the hash cost, or a limit, to keep its run short).
func startServer(t *testing.T, change func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "attack.db")
	cfg.AdminToken = adminToken
	if change != nil {
		change(&cfg)
	}
	return testutil.StartServer(t, cfg)
}

// clientFrom returns an HTTP client whose connections come from the
// loopback address ip, keeping up to conns connections alive. It skips
// the test where the system cannot bind ip.
func clientFrom(t *testing.T, ip string, conns int) *http.Client {
	t.Helper()
	if !canBind(ip) {
		t.Skipf("cannot bind %s on this system", ip)
	}
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 10 * time.Second, Transport: tr}
}

// canBind reports whether a socket can connect from ip (Linux routes all of
// 127.0.0.0/8 to loopback; some systems do not).
func canBind(ip string) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false
	}
	defer ln.Close()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: time.Second}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// quantile returns the q-quantile (0 to 1) of ds, nearest rank.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s)-1) + 0.5)
	return s[i]
}
