package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/pgschema"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// hashCost is the argon2id cost of the server and of the pool's hashes.
type hashCost struct{ params account.HashParams }

func defaultHashCost() hashCost { return hashCost{account.DefaultHashParams} }

func (h hashCost) String() string {
	p := h.params
	return fmt.Sprintf("argon2id m=%d KiB, t=%d, p=%d", p.Memory, p.Time, p.Threads)
}

// serve listens on a free loopback port and serves h with the http.Server
// settings and connection cap of vonage serve (server.DefaultConfig); it
// returns the base URL and a function that stops the server. The baseline
// runs on it, so both sides of a leg share the HTTP settings.
func serve(h http.Handler) (string, func(), error) {
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	ln, err := cfg.Listen()
	if err != nil {
		return "", nil, err
	}
	srv := cfg.NewHTTPServer(h)
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// target is one side of a leg: the baseline or the server.
type target struct {
	name       string
	server     bool
	url        string
	adminToken string
}

// benchServer is the real server, in this process.
type benchServer struct {
	url        string
	adminToken string
	storeName  string
	store      account.Store
	cleanups   []func()
}

func (s *benchServer) target() *target {
	return &target{name: "server", server: true, url: s.url, adminToken: s.adminToken}
}

// close stops the server and releases the database, newest first.
func (s *benchServer) close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
}

// startServer serves the real API, built by internal/server exactly as
// vonage serve builds it (server.DefaultConfig: the per-account call rate
// limit, the in-flight and connection caps, the timeouts), on the database
// cfg.db names, with the admin API on and argon2id at the bench's cost.
// Request logs are formatted as in production and thrown away, so their
// cost is measured without a terminal's.
func startServer(ctx context.Context, cfg config, logf func(string, ...any)) (*benchServer, error) {
	s := &benchServer{}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	db, err := prepareDB(ctx, cfg, s, logf)
	if err != nil {
		return nil, err
	}
	scfg := server.DefaultConfig()
	scfg.Addr = "127.0.0.1:0"
	scfg.DB = db
	scfg.HashParams = cfg.hashCost.params
	scfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	scfg.AdminToken = randomHex(16)
	srv, err := server.New(ctx, scfg)
	if err != nil {
		return nil, err
	}
	s.cleanups = append(s.cleanups, func() { srv.Close() })
	if err := srv.Start(); err != nil {
		return nil, err
	}
	s.url, s.adminToken, s.store = srv.URL, scfg.AdminToken, srv.Store
	ok = true
	return s, nil
}

// prepareDB returns the database the server opens: cfg.db, a fresh
// schema of the PostgreSQL database it names, or a SQLite file in a
// temporary directory. It registers the cleanups on s.
func prepareDB(ctx context.Context, cfg config, s *benchServer, logf func(string, ...any)) (string, error) {
	if server.IsPostgresURL(cfg.db) {
		schema := "bench_" + randomHex(6)
		u, err := pgschema.Create(ctx, cfg.db, schema)
		if err != nil {
			return "", err
		}
		s.dropLater(cfg.keepDB, logf, "PostgreSQL schema "+schema, func() {
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := pgschema.Drop(dctx, cfg.db, schema); err != nil {
				logf("dropping schema %s: %v", schema, err)
			}
		})
		s.storeName = "PostgreSQL (pgxpool default size)"
		return u, nil
	}
	if cfg.db != "" {
		s.storeName = "SQLite (" + cfg.db + ")"
		return cfg.db, nil
	}
	dir, err := os.MkdirTemp("", "vonage-bench-")
	if err != nil {
		return "", err
	}
	s.dropLater(cfg.keepDB, logf, dir, func() { os.RemoveAll(dir) })
	s.storeName = "SQLite (temporary file)"
	return filepath.Join(dir, "bench.db"), nil
}

// dropLater registers drop, which deletes the database the bench made
// (named by what), as a cleanup of s; with --keep-db (keep) the cleanup
// only says what it kept.
func (s *benchServer) dropLater(keep bool, logf func(string, ...any), what string, drop func()) {
	s.cleanups = append(s.cleanups, func() {
		if keep {
			logf("kept %s", what)
			return
		}
		drop()
	})
}

// Fixed bodies of the baseline, of the real answers' sizes.
const (
	baselineSecretID = "ad6dc56f-07b5-46e1-a527-85530e625800"
	baselineBalance  = `{"value":1000000.00000000,"autoReload":false}` + "\n"
	baselineSecret   = `{"_links":{"self":{"href":"/accounts/bench0000000/secrets/` + baselineSecretID + `"}},"id":"` +
		baselineSecretID + `","created_at":"2026-01-01T00:00:00Z"}` + "\n"
	baselineSecrets = `{"_links":{"self":{"href":"/accounts/bench0000000/secrets"}},"_embedded":{"secrets":[` +
		`{"_links":{"self":{"href":"/accounts/bench0000000/secrets/` + baselineSecretID + `"}},"id":"` +
		baselineSecretID + `","created_at":"2026-01-01T00:00:00Z"}]}}` + "\n"
	baselineCharge = `{"transaction":{"id":1,"kind":"charge","amount":"-0.01","balance_after":"999999.99",` +
		`"reference":"bench","created_at":"2026-01-01T00:00:00Z"},"reload":null,"balance":"999999.99"}` + "\n"
)

// baselineServer answers the scenarios' routes with fixed bodies: no
// authentication, no storage, the same http.Server settings.
type baselineServer struct {
	url  string
	stop func()
}

func startBaseline() (*baselineServer, error) {
	mux := http.NewServeMux()
	fixed := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if body != "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
	mux.Handle("GET /account/get-balance", fixed(http.StatusOK, baselineBalance))
	mux.Handle("GET /accounts/{api_key}/secrets", fixed(http.StatusOK, baselineSecrets))
	mux.Handle("POST /accounts/{api_key}/secrets", fixed(http.StatusCreated, baselineSecret))
	mux.Handle("DELETE /accounts/{api_key}/secrets/{id}", fixed(http.StatusNoContent, ""))
	mux.Handle("POST /admin/accounts/{api_key}/charges", fixed(http.StatusCreated, baselineCharge))
	u, stop, err := serve(mux)
	if err != nil {
		return nil, err
	}
	return &baselineServer{url: u, stop: stop}, nil
}

func (b *baselineServer) target() *target {
	return &target{name: "baseline", url: b.url, adminToken: "unused"}
}

func (b *baselineServer) close() { b.stop() }

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// Memory. The server runs in this process, so what is measured is the
// resident set of the whole process: server, load generator and, between
// legs, the other side's idle server.

// resetPeakRSS resets VmHWM (Linux: "5" > /proc/self/clear_refs), so that
// a leg's peak is its own.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// readRSS returns VmRSS and VmHWM in bytes, from /proc/self/status.
func readRSS() (rss, hwm int64, err error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/self/status %s: %w", k, err)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("/proc/self/status has no VmRSS")
	}
	return rss, hwm, sc.Err()
}
