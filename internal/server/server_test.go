package server_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// TestCheck: every setting that cannot work is refused, naming its field,
// and the defaults are accepted.
func TestCheck(t *testing.T) {
	t.Parallel()
	if err := server.DefaultConfig().Check(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	if err := server.TestConfig().Check(); err != nil {
		t.Fatalf("TestConfig: %v", err)
	}
	for field, spoil := range map[string]func(*server.Config){
		"Pepper":                   func(c *server.Config) { c.Pepper = []byte("short") },
		"AuthLimits.PerPair":       func(c *server.Config) { c.AuthLimits.PerPair = -1 },
		"AuthLimits.PerAddr":       func(c *server.Config) { c.AuthLimits.PerAddr = -1 },
		"AuthLimits.Window":        func(c *server.Config) { c.AuthLimits.Window = 0 },
		"HashConcurrency.Slots":    func(c *server.Config) { c.HashConcurrency.Slots = -1 },
		"HashConcurrency.Queue":    func(c *server.Config) { c.HashConcurrency.Queue = -1 },
		"MaxInFlight":              func(c *server.Config) { c.MaxInFlight = -1 },
		"MaxConnections":           func(c *server.Config) { c.MaxConnections = -1 },
		"PGMaxConns":               func(c *server.Config) { c.PGMaxConns = -1 },
		"MaxBodyBytes":             func(c *server.Config) { c.MaxBodyBytes = 0 },
		"MaxHeaderBytes":           func(c *server.Config) { c.MaxHeaderBytes = 0 },
		"ReadyTimeout":             func(c *server.Config) { c.ReadyTimeout = 0 },
		"ImportProgressTimeout":    func(c *server.Config) { c.ImportProgressTimeout = 0 },
		"ShutdownTimeout":          func(c *server.Config) { c.ShutdownTimeout = 0 },
		"IdempotencyPruneInterval": func(c *server.Config) { c.IdempotencyPruneInterval = 0 },
		"ClientIPHeader":           func(c *server.Config) { c.ClientIPHeader = "X-Real-IP" },
		"MaxConnectionsPerAddr":    func(c *server.Config) { c.MaxConnectionsPerAddr = -1 },
		"IdleTimeoutNearCap":       func(c *server.Config) { c.IdleTimeoutNearCap = -1 },
		"BodyReadTimeout":          func(c *server.Config) { c.BodyReadTimeout = 0 },
		"AdminToken":               func(c *server.Config) { c.AdminToken = "23-characters-is-short" + "!" },
	} {
		cfg := server.DefaultConfig()
		spoil(&cfg)
		var ce *server.ConfigError
		if err := cfg.Check(); !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: Check() = %v, want a ConfigError naming it", field, err)
		}
	}
	// Without limits there is no window to check.
	cfg := server.DefaultConfig()
	cfg.AuthLimits.PerPair, cfg.AuthLimits.PerAddr, cfg.AuthLimits.Window = 0, 0, 0
	if err := cfg.Check(); err != nil {
		t.Errorf("limits off, no window: %v", err)
	}
	// No admin token turns the admin API off; 24 characters are enough.
	for _, token := range []string{"", "exactly-24-characters-ok"} {
		cfg := server.DefaultConfig()
		cfg.AdminToken = token
		if err := cfg.Check(); err != nil {
			t.Errorf("admin token of %d characters: %v", len(token), err)
		}
	}
}

// TestNewRefusesBeforeOpening: a Config that cannot work creates no
// database file.
func TestNewRefusesBeforeOpening(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	cfg.DB = filepath.Join(t.TempDir(), "never.db")
	cfg.MaxInFlight = -1
	if srv, err := server.New(context.Background(), cfg); err == nil {
		srv.Close()
		t.Fatal("New accepted MaxInFlight -1")
	}
	if _, err := os.Stat(cfg.DB); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused server touched its database: %v", err)
	}
}

// TestServer: the http.Server carries the Config's timeouts and caps, the
// server answers once started, and Close stops it (twice is harmless).
func TestServer(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.HTTP
	if h.ReadHeaderTimeout != cfg.ReadHeaderTimeout || h.ReadTimeout != cfg.RequestTimeout ||
		h.WriteTimeout != cfg.RequestTimeout || h.IdleTimeout != cfg.IdleTimeout || h.MaxHeaderBytes != cfg.MaxHeaderBytes {
		t.Errorf("http.Server settings %+v do not follow the Config", h)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", res.StatusCode)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(srv.URL + "/healthz"); err == nil {
		t.Error("the server still answers after Close")
	}
}
