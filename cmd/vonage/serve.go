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
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vonage serve [--addr HOST:PORT] [--db PATH] [--log-level LEVEL] [--log-format text|json]")
		fmt.Fprintln(stderr, "\nEnvironment: VONAGE_ADDR, VONAGE_DB, VONAGE_LOG_LEVEL, VONAGE_ADMIN_TOKEN (turns on /admin/),")
		fmt.Fprintln(stderr, "VONAGE_BOOTSTRAP_API_KEY and VONAGE_BOOTSTRAP_API_SECRET (the first account).")
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
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("serve takes no arguments, got %q", fs.Args())}
	}
	logger, err := newLogger(stderr, cfg.logLevel, cfg.logFmt)
	if err != nil {
		return usageError{err}
	}
	return serve(ctx, cfg, logger, stdout)
}

func serve(ctx context.Context, cfg serveConfig, logger *slog.Logger, stdout io.Writer) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	svc := account.NewService(store, account.WithHashParams(cfg.hashParams))
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
		Service:      svc,
		Logger:       logger,
		AdminToken:   cfg.adminToken,
		MaxBodyBytes: cfg.maxBodyBytes,
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
	fmt.Fprintf(stdout, "Listening on http://%s\n", ln.Addr())
	logger.Info("server started", "addr", ln.Addr().String(), "db", describeDB(cfg.db), "admin", cfg.adminToken != "")

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

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
