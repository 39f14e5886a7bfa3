package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/vonage/vonage-go-sdk/internal/httpapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// serveFlags are the settings of `vonage serve` that are not fields of
// server.Config, or need parsing into one.
type serveFlags struct {
	logLevel, logFmt string
	bootstrapKey     string
	bootstrapSecret  string
	trustedProxies   string
	pepper           string // VONAGE_PEPPER, environment only
}

// flagOfField names the flag that sets each server.Config field a
// server.ConfigError can name (VONAGE_PEPPER has no flag).
var flagOfField = map[string]string{
	"PGMaxConns": "pg-max-conns", "ShutdownTimeout": "shutdown-timeout", "ClientIPHeader": "client-ip-header",
	"AuthLimits.PerPair": "auth-fail-limit-pair", "AuthLimits.PerAddr": "auth-fail-limit-addr", "AuthLimits.Window": "auth-fail-window",
	"HashConcurrency.Slots": "hash-concurrency", "HashConcurrency.Queue": "hash-queue",
	"MaxInFlight": "max-in-flight", "MaxConnections": "max-connections",
	"BodyReadTimeout": "body-read-timeout", "MaxConnectionsPerAddr": "max-connections-per-addr",
	"IdleTimeoutNearCap": "idle-timeout-near-cap",
	"TLSCertFile":        "tls-cert", "TLSKeyFile": "tls-key", "TLSSelfSigned": "tls-self-signed", "TLSAddr": "tls-addr", "TLSDir": "tls-dir",
	"WebhookRetryBase": "webhook-retry-base", "WebhookRetryWindow": "webhook-retry-window",
	"DashboardSessionLifetime": "dashboard-session-lifetime",
	"DBTimeout":                "db-timeout", "VerifyCacheSize": "verify-cache-size", "HashConcurrency.MaxWait": "hash-wait", "DataKeyFile": "data-key-file",
	"LimitsURL": "limits-url",
}

// envName is the environment variable of a flag: --max-in-flight is
// VONAGE_MAX_IN_FLIGHT.
func envName(flag string) string {
	return "VONAGE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// runServe starts the Account API server and blocks until ctx is cancelled
// (SIGTERM or SIGINT in main), then drains in-flight requests and returns nil.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := server.DefaultConfig()
	sf := serveFlags{
		bootstrapKey:    getenv("VONAGE_BOOTSTRAP_API_KEY"),
		bootstrapSecret: getenv("VONAGE_BOOTSTRAP_API_SECRET"),
		pepper:          getenv("VONAGE_PEPPER"),
		logLevel:        "info",
		logFmt:          "text",
	}
	cfg.AdminToken = getenv("VONAGE_ADMIN_TOKEN")
	cfg.DataKey = getenv("VONAGE_DATA_KEY")
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the usage is printed below, once, where it belongs
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: vonage serve [--addr HOST:PORT] [--db PATH] [--tls-self-signed | --tls-cert F --tls-key F] [--tls-addr HOST:PORT] [--log-level LEVEL] [--log-format text|json]")
		fmt.Fprintln(w, "\nEnvironment: each flag's variable in parentheses; VONAGE_ADMIN_TOKEN (turns on /admin/),")
		fmt.Fprintln(w, "VONAGE_BOOTSTRAP_API_KEY and VONAGE_BOOTSTRAP_API_SECRET (the first account), VONAGE_PEPPER")
		fmt.Fprintln(w, "(an HMAC key mixed into new secret hashes, at least 16 bytes; never stored in the database).")
		fmt.Fprintln(w, "A flag wins over its variable; a bad value in either stops serve with exit 2.")
		fmt.Fprintln(w, "\nFlags:")
		fs.VisitAll(func(f *flag.Flag) { f.DefValue = maskDBURL(f.DefValue) })
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	lim := &cfg.AuthLimits
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "SQLite file, or a postgres:// URL")
	fs.StringVar(&sf.logLevel, "log-level", sf.logLevel, "debug, info, warn or error")
	fs.StringVar(&sf.logFmt, "log-format", sf.logFmt, "text or json")
	fs.IntVar(&cfg.PGMaxConns, "pg-max-conns", cfg.PGMaxConns, "PostgreSQL pool size; 0 keeps pgxpool's default, max(4, CPUs); the shared credential reads open up to 2 more")
	fs.DurationVar(&cfg.PGStatementTimeout, "pg-statement-timeout", cfg.PGStatementTimeout, "PostgreSQL statement_timeout")
	fs.DurationVar(&cfg.PGLockTimeout, "pg-lock-timeout", cfg.PGLockTimeout, "PostgreSQL lock_timeout; 0 means none")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "how long SIGTERM waits for in-flight requests")
	fs.IntVar(&lim.PerPair, "auth-fail-limit-pair", lim.PerPair, "failed authentications allowed per (API key, client address) per window; 0 turns the limit off")
	fs.IntVar(&lim.PerAddr, "auth-fail-limit-addr", lim.PerAddr, "failed authentications allowed per client address per window; 0 turns the limit off")
	fs.DurationVar(&lim.Window, "auth-fail-window", lim.Window, "the window of the failed-authentication limits")
	fs.StringVar(&sf.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs of proxies whose forwarding header gives the client address")
	fs.StringVar(&cfg.ClientIPHeader, "client-ip-header", cfg.ClientIPHeader, "the header trusted proxies write: X-Forwarded-For or Forwarded")
	fs.BoolVar(&cfg.CallRateLimit, "rate-limit", cfg.CallRateLimit, "enforce each account's max-calls-per-second on this instance")
	fs.IntVar(&cfg.HashConcurrency.Slots, "hash-concurrency", cfg.HashConcurrency.Slots, "argon2id hashes run at once; 0 means GOMAXPROCS-1, at least 1")
	fs.IntVar(&cfg.HashConcurrency.Queue, "hash-queue", cfg.HashConcurrency.Queue, "verifications waiting for a hash slot before 429s; 0 means 128 or 16 per slot, whichever is more")
	fs.DurationVar(&cfg.HashConcurrency.MaxWait, "hash-wait", cfg.HashConcurrency.MaxWait, "how long a verification waits for a hash slot before a 429; 0 means one second")
	fs.IntVar(&cfg.MaxInFlight, "max-in-flight", cfg.MaxInFlight, "API requests served at once before 503s; 0 means no limit")
	fs.IntVar(&cfg.MaxConnections, "max-connections", cfg.MaxConnections, "open connections at once; 0 means no limit")
	fs.IntVar(&cfg.MaxConnectionsPerAddr, "max-connections-per-addr", cfg.MaxConnectionsPerAddr, "open connections from one address (IPv6: one /64) at once, more are closed; 0 means no limit")
	fs.DurationVar(&cfg.IdleTimeoutNearCap, "idle-timeout-near-cap", cfg.IdleTimeoutNearCap, "idle timeout of keep-alive connections once 3/4 of --max-connections are open; 0 keeps the usual 2m")
	fs.DurationVar(&cfg.BodyReadTimeout, "body-read-timeout", cfg.BodyReadTimeout, "time to receive a request body, read before the request takes a slot (not the bulk import's)")
	fs.DurationVar(&cfg.WebhookRetryBase, "webhook-retry-base", cfg.WebhookRetryBase, "wait before a failed callback delivery's first retry; doubles with each failure, with jitter")
	fs.DurationVar(&cfg.WebhookRetryWindow, "webhook-retry-window", cfg.WebhookRetryWindow, "how long a callback delivery is retried before it is marked failed")
	fs.BoolVar(&cfg.WebhookBlockPrivate, "webhook-block-private", cfg.WebhookBlockPrivate, "refuse callbacks to private, loopback and link-local addresses (checked on the address dialled)")
	fs.DurationVar(&cfg.DBTimeout, "db-timeout", cfg.DBTimeout, "how long a database call may take before the request is answered 503")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert", cfg.TLSCertFile, "PEM certificate (chain) file: serve HTTPS, with --tls-key")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key", cfg.TLSKeyFile, "PEM private key file of --tls-cert")
	fs.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", cfg.TLSSelfSigned, "serve HTTPS with a certificate for localhost, 127.0.0.1 and ::1, made once beside the database (0600); prints the PEM file clients must trust")
	fs.StringVar(&cfg.TLSAddr, "tls-addr", cfg.TLSAddr, "serve HTTPS on this address and plain HTTP on --addr; empty serves HTTPS on --addr")
	fs.StringVar(&cfg.TLSDir, "tls-dir", cfg.TLSDir, "directory of the --tls-self-signed files; default beside a SQLite file, else the working directory")
	fs.BoolVar(&cfg.Dashboard, "dashboard", cfg.Dashboard, "serve the web dashboard under /dashboard/")
	fs.DurationVar(&cfg.DashboardSessionLifetime, "dashboard-session-lifetime", cfg.DashboardSessionLifetime, "how long a dashboard session lasts from sign-in, however active (1m to 720h)")
	fs.StringVar(&cfg.LimitsURL, "limits-url", cfg.LimitsURL, "redis:// URL: count the call-rate and failure limits in Redis, shared by every instance; empty counts them in this instance")
	fs.IntVar(&cfg.VerifyCacheSize, "verify-cache-size", cfg.VerifyCacheSize, "successful verifications remembered (about 210 bytes each); 0 turns the cache off")
	fs.StringVar(&cfg.DataKeyFile, "data-key-file", cfg.DataKeyFile, "file holding the data key that encrypts signature secrets (32 bytes, standard base64); or VONAGE_DATA_KEY itself")

	// Every flag is also its environment variable, read first through the
	// flag's own parser, so a bad value is refused the same way whichever
	// way it came; then the flags, which win.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		env := envName(f.Name)
		f.Usage += " (" + env + ")"
		if v := getenv(env); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = usageError{fmt.Errorf("%s: %v", env, err)}
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return err
	} else if err != nil {
		usage(stderr)
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("serve takes no arguments, got %q", fs.Args())}
	}
	if err := sf.apply(&cfg); err != nil {
		return usageError{err}
	}
	if err := cfg.Check(); err != nil {
		return usageError{nameSetting(err)}
	}
	// Log lines are buffered and flushed every server.LogFlushInterval
	// and when serve returns: no system call per request for its line.
	logs := server.NewLogWriter(stderr, server.LogFlushInterval)
	defer logs.Close()
	logger, err := newLogger(logs, sf.logLevel, sf.logFmt)
	if err != nil {
		return usageError{err}
	}
	cfg.Logger = logger
	return maskDBPassword(serve(ctx, cfg, sf, stdout), cfg.DB)
}

// apply parses the settings that need it into cfg.
func (sf serveFlags) apply(cfg *server.Config) error {
	if sf.pepper != "" {
		cfg.Pepper = []byte(sf.pepper)
	}
	trusted, err := httpapi.ParseTrustedProxies(sf.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies (VONAGE_TRUSTED_PROXIES): %w", err)
	}
	cfg.TrustedProxies = trusted
	switch {
	case strings.EqualFold(cfg.ClientIPHeader, httpapi.HeaderXForwardedFor):
		cfg.ClientIPHeader = httpapi.HeaderXForwardedFor
	case strings.EqualFold(cfg.ClientIPHeader, httpapi.HeaderForwarded):
		cfg.ClientIPHeader = httpapi.HeaderForwarded
	}
	return nil
}

// nameSetting rewords a server.ConfigError with the flag and variable that
// set the field.
func nameSetting(err error) error {
	var ce *server.ConfigError
	switch {
	case !errors.As(err, &ce):
		return err
	case ce.Field == "Pepper":
		return fmt.Errorf("VONAGE_PEPPER %s", ce.Problem)
	case ce.Field == "AdminToken":
		return fmt.Errorf("VONAGE_ADMIN_TOKEN %s", ce.Problem)
	case flagOfField[ce.Field] != "":
		f := flagOfField[ce.Field]
		return fmt.Errorf("--%s (%s) %s", f, envName(f), ce.Problem)
	}
	return err
}

// serve runs the server (server.Serve: listeners first, then the
// database). A generated first secret goes to stdout only when stdout is a
// terminal.
func serve(ctx context.Context, cfg server.Config, sf serveFlags, stdout io.Writer) error {
	f, ok := stdout.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	return server.Serve(ctx, cfg, server.Bootstrap{APIKey: sf.bootstrapKey, Secret: sf.bootstrapSecret}, stdout, tty)
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
