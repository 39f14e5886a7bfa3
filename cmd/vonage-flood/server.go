package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	vserver "github.com/vonage/vonage-go-sdk/internal/server"
)

// The server under test is built by internal/server from DefaultConfig,
// as `vonage serve` builds it: OWASP's argon2id cost, the
// failed-authentication limits, the account call rate, the hash gate, the
// in-flight and connection caps and the HTTP timeouts. Only the flags
// below change it.

// server is the in-process server and what the load needs to know of it.
type server struct {
	url       string
	key       string
	secret    string
	throttled *throttleCounter
	close     func()
}

// throttleCounter is a slog.Handler that counts the server's "request
// throttled" lines by the limit they name, and passes warnings and errors
// on to next.
type throttleCounter struct {
	next   slog.Handler
	mu     sync.Mutex
	counts map[string]int64
}

func (h *throttleCounter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelDebug
}

func (h *throttleCounter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request throttled" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "limit" {
				h.mu.Lock()
				h.counts[a.Value.String()]++
				h.mu.Unlock()
				return false
			}
			return true
		})
		return nil // counted; at Warn, a flood would fill the output with them
	}
	if r.Level >= slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *throttleCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *throttleCounter) WithGroup(string) slog.Handler      { return h }

// take returns the counts so far and starts again from zero.
func (h *throttleCounter) take() map[string]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.counts
	h.counts = map[string]int64{}
	return c
}

// startServer serves the API, built by internal/server as vonage serve
// builds it, on a SQLite database in dir, and creates the account the load
// uses.
func startServer(ctx context.Context, dir string, cfg config, log io.Writer) (*server, error) {
	counter := &throttleCounter{next: slog.NewTextHandler(log, nil), counts: map[string]int64{}}
	scfg := vserver.DefaultConfig()
	scfg.Addr = "127.0.0.1:0"
	scfg.DB = filepath.Join(dir, "flood.db")
	scfg.Logger = slog.New(counter)
	scfg.AuthLimits.PerPair, scfg.AuthLimits.PerAddr = cfg.failPair, cfg.failAddr
	scfg.HashConcurrency.Slots = cfg.hashSlots
	if cfg.mode == modeXFF {
		scfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	srv, err := vserver.New(ctx, scfg)
	if err != nil {
		return nil, err
	}
	// The owner's quota is raised so the table measures the server, not
	// the account's max-calls-per-second.
	limits := account.DefaultLimits
	limits.MaxCallsPerSecond = cfg.honestRate
	const key, secret = "flood0001", "H0nestOwnerSecret"
	if _, _, err := srv.Service.CreateAccount(ctx, account.NewAccount{APIKey: key, Secret: secret, Balance: 10 * account.Scale, Limits: &limits}); err != nil {
		srv.Close()
		return nil, fmt.Errorf("create the account: %w", err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, err
	}
	return &server{
		url: srv.URL, key: key, secret: secret, throttled: counter,
		close: func() { srv.Close() },
	}, nil
}

// client returns an HTTP client whose connections come from the loopback
// address src (127.0.0.x) in source mode; in XFF mode every client
// connects from 127.0.0.1 and says who it is in X-Forwarded-For.
func client(mode, src string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if mode == modeSource {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			MaxIdleConns:        4096,
			MaxIdleConnsPerHost: 4096,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// canBind reports whether this machine lets a socket bind 127.0.0.2
// (Linux routes all of 127.0.0.0/8 to loopback; some systems do not).
func canBind() bool {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false
	}
	defer ln.Close()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: time.Second}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return false
	}
	c.Close()
	return true
}
