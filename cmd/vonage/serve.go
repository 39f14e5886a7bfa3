package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/httpapi"
	"github.com/vonage/vonage-go-sdk/internal/postgres"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// serveConfig is everything `vonage serve` needs, from flags and environment.
type serveConfig struct {
	addr, db          string
	logLevel, logFmt  string
	adminToken        string
	bootstrapKey      string
	bootstrapSecret   string
	shutdownTimeout   time.Duration
	hashParams        account.HashParams
	maxBodyBytes      int64
	readHeaderTimeout time.Duration
	requestTimeout    time.Duration
	idleTimeout       time.Duration
	maxHeaderBytes    int
	pgMaxConns        int
	pgStmtTimeout     time.Duration
	pgLockTimeout     time.Duration

	// Credential hardening (README "Limits").
	pepper          string // VONAGE_PEPPER, environment only
	authLimits      account.AuthLimits
	trustedProxies  string
	clientIPHeader  string
	rateLimit       bool
	hashConcurrency int
	hashQueue       int
	maxInFlight     int
	maxConnections  int
}

// runServe starts the Account API server and blocks until ctx is cancelled
// (SIGTERM or SIGINT in main), then drains in-flight requests and returns nil.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := serveConfig{
		adminToken:        getenv("VONAGE_ADMIN_TOKEN"),
		bootstrapKey:      getenv("VONAGE_BOOTSTRAP_API_KEY"),
		bootstrapSecret:   getenv("VONAGE_BOOTSTRAP_API_SECRET"),
		hashParams:        account.DefaultHashParams,
		maxBodyBytes:      64 << 10,
		readHeaderTimeout: 5 * time.Second,
		requestTimeout:    30 * time.Second,
		idleTimeout:       2 * time.Minute,
		maxHeaderBytes:    64 << 10,
		pepper:            getenv("VONAGE_PEPPER"),
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vonage serve [--addr HOST:PORT] [--db PATH] [--log-level LEVEL] [--log-format text|json]")
		fmt.Fprintln(stderr, "\nEnvironment: VONAGE_ADDR, VONAGE_DB, VONAGE_LOG_LEVEL, VONAGE_ADMIN_TOKEN (turns on /admin/),")
		fmt.Fprintln(stderr, "VONAGE_BOOTSTRAP_API_KEY and VONAGE_BOOTSTRAP_API_SECRET (the first account), VONAGE_PEPPER")
		fmt.Fprintln(stderr, "(an HMAC key mixed into new secret hashes, at least 16 bytes; never stored in the database).")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "VONAGE_ADDR", "127.0.0.1:8080"), "address to listen on (VONAGE_ADDR)")
	fs.StringVar(&cfg.db, "db", envOr(getenv, "VONAGE_DB", "vonage.db"), "SQLite file, or a postgres:// URL (VONAGE_DB)")
	fs.StringVar(&cfg.logLevel, "log-level", envOr(getenv, "VONAGE_LOG_LEVEL", "info"), "debug, info, warn or error (VONAGE_LOG_LEVEL)")
	fs.StringVar(&cfg.logFmt, "log-format", envOr(getenv, "VONAGE_LOG_FORMAT", "text"), "text or json (VONAGE_LOG_FORMAT)")
	fs.IntVar(&cfg.pgMaxConns, "pg-max-conns", envInt(getenv, "VONAGE_PG_MAX_CONNS", 0), "PostgreSQL pool size; 0 keeps pgxpool's default, max(4, CPUs) (VONAGE_PG_MAX_CONNS)")
	fs.DurationVar(&cfg.pgStmtTimeout, "pg-statement-timeout", envDuration(getenv, "VONAGE_PG_STATEMENT_TIMEOUT", 5*time.Second), "PostgreSQL statement_timeout (VONAGE_PG_STATEMENT_TIMEOUT)")
	fs.DurationVar(&cfg.pgLockTimeout, "pg-lock-timeout", envDuration(getenv, "VONAGE_PG_LOCK_TIMEOUT", 0), "PostgreSQL lock_timeout; 0 means none (VONAGE_PG_LOCK_TIMEOUT)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	def := account.DefaultAuthLimits
	fs.IntVar(&cfg.authLimits.PerPair, "auth-fail-limit-pair", envInt(getenv, "VONAGE_AUTH_FAIL_LIMIT_PAIR", def.PerPair), "failed authentications allowed per (API key, client address) per window; 0 turns the limit off (VONAGE_AUTH_FAIL_LIMIT_PAIR)")
	fs.IntVar(&cfg.authLimits.PerAddr, "auth-fail-limit-addr", envInt(getenv, "VONAGE_AUTH_FAIL_LIMIT_ADDR", def.PerAddr), "failed authentications allowed per client address per window; 0 turns the limit off (VONAGE_AUTH_FAIL_LIMIT_ADDR)")
	fs.DurationVar(&cfg.authLimits.Window, "auth-fail-window", envDuration(getenv, "VONAGE_AUTH_FAIL_WINDOW", def.Window), "the window of the failed-authentication limits (VONAGE_AUTH_FAIL_WINDOW)")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", getenv("VONAGE_TRUSTED_PROXIES"), "comma-separated CIDRs of proxies whose forwarding header gives the client address (VONAGE_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.clientIPHeader, "client-ip-header", envOr(getenv, "VONAGE_CLIENT_IP_HEADER", httpapi.HeaderXForwardedFor), "the header trusted proxies write: X-Forwarded-For or Forwarded (VONAGE_CLIENT_IP_HEADER)")
	fs.BoolVar(&cfg.rateLimit, "rate-limit", envBool(getenv, "VONAGE_RATE_LIMIT", true), "enforce each account's max-calls-per-second on this instance (VONAGE_RATE_LIMIT)")
	fs.IntVar(&cfg.hashConcurrency, "hash-concurrency", envInt(getenv, "VONAGE_HASH_CONCURRENCY", 0), "argon2id hashes run at once; 0 means GOMAXPROCS-1, at least 1 (VONAGE_HASH_CONCURRENCY)")
	fs.IntVar(&cfg.hashQueue, "hash-queue", envInt(getenv, "VONAGE_HASH_QUEUE", 0), "verifications waiting for a hash slot before 429s; 0 means 16 per slot (VONAGE_HASH_QUEUE)")
	fs.IntVar(&cfg.maxInFlight, "max-in-flight", envInt(getenv, "VONAGE_MAX_IN_FLIGHT", 1024), "API requests served at once before 503s; 0 means no limit (VONAGE_MAX_IN_FLIGHT)")
	fs.IntVar(&cfg.maxConnections, "max-connections", envInt(getenv, "VONAGE_MAX_CONNECTIONS", 2048), "open connections at once; 0 means no limit (VONAGE_MAX_CONNECTIONS)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("serve takes no arguments, got %q", fs.Args())}
	}
	if err := cfg.check(); err != nil {
		return usageError{err}
	}
	logger, err := newLogger(stderr, cfg.logLevel, cfg.logFmt)
	if err != nil {
		return usageError{err}
	}
	return serve(ctx, cfg, logger, stdout)
}

// check refuses settings that cannot work, before anything starts.
func (cfg *serveConfig) check() error {
	if cfg.pepper != "" && len(cfg.pepper) < account.MinPepperLen {
		return fmt.Errorf("VONAGE_PEPPER must be at least %d bytes", account.MinPepperLen)
	}
	if cfg.authLimits.PerPair < 0 || cfg.authLimits.PerAddr < 0 {
		return errors.New("--auth-fail-limit-pair and --auth-fail-limit-addr must not be negative")
	}
	if cfg.authLimits.Window <= 0 {
		return errors.New("--auth-fail-window must be positive")
	}
	if _, err := httpapi.ParseTrustedProxies(cfg.trustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	switch {
	case strings.EqualFold(cfg.clientIPHeader, httpapi.HeaderXForwardedFor):
		cfg.clientIPHeader = httpapi.HeaderXForwardedFor
	case strings.EqualFold(cfg.clientIPHeader, httpapi.HeaderForwarded):
		cfg.clientIPHeader = httpapi.HeaderForwarded
	default:
		return fmt.Errorf("--client-ip-header must be X-Forwarded-For or Forwarded, not %q", cfg.clientIPHeader)
	}
	if cfg.hashConcurrency < 0 || cfg.hashQueue < 0 || cfg.maxInFlight < 0 || cfg.maxConnections < 0 {
		return errors.New("--hash-concurrency, --hash-queue, --max-in-flight and --max-connections must not be negative")
	}
	return nil
}

func serve(ctx context.Context, cfg serveConfig, logger *slog.Logger, stdout io.Writer) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	trusted, _ := httpapi.ParseTrustedProxies(cfg.trustedProxies) // checked in check
	opts := []account.Option{
		account.WithHashParams(cfg.hashParams),
		account.WithLogger(logger),
		account.WithAuthLimits(cfg.authLimits),
		account.WithCallRateLimit(cfg.rateLimit),
		account.WithHashConcurrency(account.HashConcurrency{Slots: cfg.hashConcurrency, Queue: cfg.hashQueue}),
	}
	if cfg.pepper != "" {
		opts = append(opts, account.WithPepper([]byte(cfg.pepper)))
	}
	svc := account.NewService(store, opts...)
	created, key, generated, err := svc.Bootstrap(ctx, cfg.bootstrapKey, cfg.bootstrapSecret)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		// Printed once, to stdout and never to the log: this is the only
		// time the generated secret exists outside its hash.
		if generated != "" {
			fmt.Fprintf(stdout, "Created the first account.\n  API key:    %s\n  API secret: %s\nThe secret is shown only this once.\n", key, generated)
		}
		logger.Info("bootstrap account created", "api_key", key)
	}

	handler := httpapi.NewServer(httpapi.Config{
		Service:        svc,
		Logger:         logger,
		AdminToken:     cfg.adminToken,
		MaxBodyBytes:   cfg.maxBodyBytes,
		TrustedProxies: trusted,
		ClientIPHeader: cfg.clientIPHeader,
		MaxInFlight:    cfg.maxInFlight,
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.readHeaderTimeout,
		ReadTimeout:       cfg.requestTimeout,
		WriteTimeout:      cfg.requestTimeout,
		IdleTimeout:       cfg.idleTimeout,
		MaxHeaderBytes:    cfg.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	ln = httpapi.LimitListener(ln, cfg.maxConnections)
	fmt.Fprintf(stdout, "Listening on http://%s\n", ln.Addr())
	logger.Info("server started", "addr", ln.Addr().String(), "db", describeDB(cfg.db), "admin", cfg.adminToken != "",
		"pepper", cfg.pepper != "", "auth_fail_limit_pair", cfg.authLimits.PerPair, "auth_fail_limit_addr", cfg.authLimits.PerAddr,
		"auth_fail_window", cfg.authLimits.Window.String(), "trusted_proxies", len(trusted), "rate_limit", cfg.rateLimit,
		"max_in_flight", cfg.maxInFlight, "max_connections", cfg.maxConnections)

	pruneCtx, stopPruning := context.WithCancel(ctx)
	defer stopPruning()
	go pruneIdempotencyKeys(pruneCtx, svc, logger, time.Hour)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("server stopped")
	return nil
}

// pruneIdempotencyKeys forgets idempotency keys older than
// account.IdempotencyTTL, once at start and then every interval, so the
// table does not grow without bound. Several instances pruning at once is
// harmless: the delete is idempotent.
func pruneIdempotencyKeys(ctx context.Context, svc *account.Service, logger *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := svc.PruneIdempotencyKeys(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("pruning idempotency keys failed", "err", err)
		case n > 0:
			logger.Info("pruned idempotency keys", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// openStore picks the storage from the --db value: a postgres:// URL or a
// SQLite file path.
func openStore(ctx context.Context, cfg serveConfig) (account.Store, error) {
	if isPostgresURL(cfg.db) {
		opts := []postgres.Option{postgres.WithStatementTimeout(cfg.pgStmtTimeout)}
		if cfg.pgMaxConns > 0 {
			opts = append(opts, postgres.WithMaxConns(int32(cfg.pgMaxConns)))
		}
		if cfg.pgLockTimeout > 0 {
			opts = append(opts, postgres.WithLockTimeout(cfg.pgLockTimeout))
		}
		s, err := postgres.Open(ctx, cfg.db, opts...)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database: %w", err)
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, cfg.db)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", cfg.db, err)
	}
	return s, nil
}

func isPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// describeDB names the database for the log without any password in it.
func describeDB(db string) string {
	if isPostgresURL(db) {
		return "postgres"
	}
	return "sqlite:" + db
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("bad log format %q: want text or json", format)
}

// envInt and envDuration read a default from the environment; a value that
// does not parse is left for the flag package to report when passed as a
// flag, and here falls back to def.
func envInt(getenv func(string) string, name string, def int) int {
	if n, err := strconv.Atoi(getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(name)); err == nil {
		return d
	}
	return def
}

func envBool(getenv func(string) string, name string, def bool) bool {
	if b, err := strconv.ParseBool(getenv(name)); err == nil {
		return b
	}
	return def
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
