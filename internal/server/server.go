package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/buildinfo"
	"github.com/vonage/vonage-go-sdk/internal/dashboard"
	"github.com/vonage/vonage-go-sdk/internal/httpapi"
	"github.com/vonage/vonage-go-sdk/internal/metrics"
	"github.com/vonage/vonage-go-sdk/internal/postgres"
	"github.com/vonage/vonage-go-sdk/internal/redislimit"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/webhook"
)

// Server is a configured Account API server: its store, its domain service
// and its http.Server, not yet listening until Listen or Start.
type Server struct {
	Config  Config
	Store   account.Store
	Service *account.Service
	HTTP    *http.Server
	// Limits counts the limits in Redis, with Config.LimitsURL; nil
	// without. Its State, Degraded and Fallbacks are for monitoring.
	Limits *redislimit.Limits
	// Webhooks delivers the callback queue while the server serves;
	// its Stats are the counters /metrics shows.
	Webhooks *webhook.Worker

	// URL is the address of Config.Addr once the server listens:
	// http://host:port, or https://host:port when Addr serves HTTPS.
	URL string
	// TLSURL is https://host:port of the HTTPS listener (URL itself when
	// Addr serves HTTPS, Config.TLSAddr's otherwise); empty without TLS.
	TLSURL string
	// CAFile is the PEM file clients must trust, with TLSSelfSigned.
	CAFile string

	log     *slog.Logger
	tlsConf *tls.Config // nil: no HTTPS
	ln      net.Listener
	tlsLn   net.Listener // HTTPS beside HTTP (Config.TLSAddr)
	errc    chan error   // Serve's results, once Start has run
	serving int          // Serve calls whose result is still in errc's future
	closed  bool

	stopWebhooks func() // ends the worker and waits for it; nil when not running
}

// New opens the store cfg.DB names (migrating its schema) and builds the
// service and the HTTP server over it. A Config that cannot work is
// refused before anything is opened. The caller must Close the Server.
// New does not listen (Listen or Start do); `vonage serve` uses Open,
// which binds first.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return build(ctx, cfg)
}

// Open is New for a server about to serve: it binds Config.Addr (and
// Config.TLSAddr) first and only then creates TLS files and opens and
// migrates the database, so a bad address or a port already taken fails
// before anything is written to disk.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	b, err := cfg.bind()
	if err != nil {
		return nil, err
	}
	s, err := build(ctx, cfg)
	if err != nil {
		b.close()
		return nil, err
	}
	s.attach(b)
	return s, nil
}

// build is New after the Config's check.
func build(ctx context.Context, cfg Config) (*Server, error) {
	tlsConf, caFile, err := cfg.tlsConfig(time.Now())
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := metrics.New(buildinfo.Get())
	opts := []account.Option{
		account.WithObserver(m),
		account.WithHashParams(cfg.HashParams),
		account.WithLogger(log),
		account.WithAuthLimits(cfg.AuthLimits),
		account.WithCallRateLimit(cfg.CallRateLimit),
		account.WithHashConcurrency(cfg.HashConcurrency),
		account.WithVerifyCacheSize(cfg.VerifyCacheSize),
		account.WithPepper(cfg.Pepper),
		account.WithDBTimeout(cfg.DBTimeout),
	}
	if key, _ := cfg.dataKey(); key != nil { // Check refused a bad one
		dk, err := account.NewDataKey(key)
		if err != nil {
			store.Close()
			return nil, err
		}
		opts = append(opts, account.WithDataKey(dk))
	}
	if cfg.Clock != nil {
		opts = append(opts, account.WithClock(cfg.Clock))
	}
	if cfg.LimiterClock != nil {
		opts = append(opts, account.WithLimiterClock(cfg.LimiterClock))
	}
	var limits *redislimit.Limits
	var limitsState func() string
	if cfg.LimitsURL != "" {
		limits, err = redislimit.Open(ctx, cfg.LimitsURL, redislimit.Options{Prefix: cfg.LimitsPrefix, Timeout: cfg.LimitsTimeout,
			Fallback: account.NewLocalLimits(cfg.AuthLimits.MaxEntries, cfg.LimiterClock), Logger: log})
		if err != nil {
			store.Close()
			return nil, err
		}
		opts = append(opts, account.WithLimitStore(limits))
		limitsState = limits.State
	}
	svc := account.NewService(store, opts...)
	var dash http.Handler
	if cfg.Dashboard {
		sessions, ok := store.(account.SessionStore)
		if !ok {
			store.Close()
			return nil, fmt.Errorf("the %T store keeps no dashboard sessions: turn the dashboard off", store)
		}
		dash = dashboard.New(dashboard.Config{Service: svc, Sessions: sessions, AdminToken: cfg.AdminToken,
			ClientAddr:      httpapi.ClientAddrFunc(cfg.TrustedProxies, cfg.ClientIPHeader),
			HTTPS:           httpapi.HTTPSFunc(cfg.TrustedProxies, cfg.ClientIPHeader),
			SessionLifetime: cfg.DashboardSessionLifetime,
			Logger:          log, DBTimeout: cfg.DBTimeout, Clock: cfg.Clock})
	}
	m.WatchService(svc.Stats)
	h := httpapi.NewServer(httpapi.Config{
		Metrics:               m,
		MetricsHandler:        m.Handler(),
		Service:               svc,
		Logger:                log,
		AdminToken:            cfg.AdminToken,
		MaxBodyBytes:          cfg.MaxBodyBytes,
		TrustedProxies:        cfg.TrustedProxies,
		ClientIPHeader:        cfg.ClientIPHeader,
		MaxInFlight:           cfg.MaxInFlight,
		ReadyTimeout:          cfg.ReadyTimeout,
		ImportProgressTimeout: cfg.ImportProgressTimeout,
		BodyReadTimeout:       cfg.BodyReadTimeout,
		Dashboard:             dash,
		LimitsState:           limitsState,
		Clock:                 cfg.LimiterClock,
	})
	if cfg.Wrap != nil {
		h = cfg.Wrap(h)
	}
	cfg.Logger = log
	hs := cfg.NewHTTPServer(h)
	hs.TLSConfig = tlsConf
	hooks := webhook.New(store, svc, webhook.Config{
		RetryBase: cfg.WebhookRetryBase, RetryWindow: cfg.WebhookRetryWindow, Lease: cfg.WebhookLease, Poll: cfg.WebhookPoll,
		BlockPrivate: cfg.WebhookBlockPrivate,
		UserAgent:    "vonage-serve/" + vonage.Version + " (callbacks)", Logger: log, Now: cfg.Clock,
	})
	if g, ok := store.(interface{ BatchStats() sqlite.BatchStats }); ok {
		m.WatchLedgerBatches(func() (int64, int64) { s := g.BatchStats(); return s.Batches, s.Movements })
	}
	m.WatchWebhooks(func(ctx context.Context) (metrics.WebhookStats, error) {
		st, err := hooks.Stats(ctx)
		return metrics.WebhookStats{Delivered: st.Delivered, Failed: st.Failed, Attempts: st.Attempts, QueueDepth: st.QueueDepth}, err
	})
	if limits != nil {
		m.WatchLimits(limits.Degraded, limits.Fallbacks)
	}
	return &Server{Config: cfg, Store: store, Service: svc, HTTP: hs, Limits: limits, Webhooks: hooks, log: log, tlsConf: tlsConf, CAFile: caFile}, nil
}

// Check refuses a Config that cannot work, before anything starts. Its
// error is a *ConfigError naming the field.
func (c Config) Check() error {
	const negative, nonPositive = "must not be negative", "must be positive"
	lim := c.AuthLimits
	for _, rule := range []struct {
		field   string
		bad     bool
		problem string
	}{
		{"Pepper", len(c.Pepper) > 0 && len(c.Pepper) < account.MinPepperLen, fmt.Sprintf("must be at least %d bytes", account.MinPepperLen)},
		{"AdminToken", c.AdminToken != "" && len(c.AdminToken) < MinAdminTokenLen, fmt.Sprintf("must be at least %d characters (or empty to turn the admin API off)", MinAdminTokenLen)},
		{"AuthLimits.PerPair", lim.PerPair < 0, negative},
		{"AuthLimits.PerAddr", lim.PerAddr < 0, negative},
		{"AuthLimits.Window", lim.Window <= 0 && (lim.PerPair > 0 || lim.PerAddr > 0), nonPositive},
		{"HashConcurrency.Slots", c.HashConcurrency.Slots < 0, negative},
		{"HashConcurrency.Queue", c.HashConcurrency.Queue < 0, negative},
		{"HashConcurrency.MaxWait", c.HashConcurrency.MaxWait < 0, negative},
		{"MaxInFlight", c.MaxInFlight < 0, negative},
		{"MaxConnections", c.MaxConnections < 0, negative},
		{"MaxConnectionsPerAddr", c.MaxConnectionsPerAddr < 0, negative},
		{"IdleTimeoutNearCap", c.IdleTimeoutNearCap < 0, negative},
		{"BodyReadTimeout", c.BodyReadTimeout <= 0, nonPositive},
		{"PGMaxConns", c.PGMaxConns < 0, negative},
		{"MaxBodyBytes", c.MaxBodyBytes <= 0, nonPositive},
		{"MaxHeaderBytes", c.MaxHeaderBytes <= 0, nonPositive},
		{"ReadyTimeout", c.ReadyTimeout <= 0, nonPositive},
		{"ImportProgressTimeout", c.ImportProgressTimeout <= 0, nonPositive},
		{"ShutdownTimeout", c.ShutdownTimeout <= 0, nonPositive},
		{"IdempotencyPruneInterval", c.IdempotencyPruneInterval <= 0, nonPositive},
		{"DBTimeout", c.DBTimeout <= 0, nonPositive},
		{"LimitsURL", c.LimitsURL != "" && redislimit.CheckURL(c.LimitsURL) != nil, "must be a redis://, rediss:// or unix:// URL"},
		{"LimitsTimeout", c.LimitsURL != "" && c.LimitsTimeout <= 0, nonPositive},
		{"WebhookRetryBase", c.WebhookRetryBase <= 0, nonPositive},
		{"WebhookRetryWindow", c.WebhookRetryWindow < c.WebhookRetryBase, "must be at least the retry base"},
		{"WebhookLease", c.WebhookLease <= webhook.DefaultConfig().Timeout, "must exceed a delivery's 5s timeout"},
		{"WebhookPoll", c.WebhookPoll <= 0, nonPositive},
		{"DashboardSessionLifetime", c.DashboardSessionLifetime < time.Minute || c.DashboardSessionLifetime > 30*24*time.Hour, "must be from 1m to 720h (30 days)"},
		{"VerifyCacheSize", c.VerifyCacheSize < 0, negative},
		{"TLSKeyFile", c.TLSCertFile != "" && c.TLSKeyFile == "", "is needed with a certificate file"},
		{"TLSCertFile", c.TLSKeyFile != "" && c.TLSCertFile == "", "is needed with a key file"},
		{"TLSSelfSigned", c.TLSSelfSigned && c.TLSCertFile != "", "cannot be combined with a certificate and key file"},
		{"TLSAddr", c.TLSAddr != "" && !c.TLSEnabled(), "needs a certificate and key file, or a self-signed certificate"},
		{"TLSAddr", c.TLSAddr != "" && c.TLSAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0"), "must differ from the HTTP address"},
		{"TLSDir", c.TLSDir != "" && !c.TLSSelfSigned, "applies only to a self-signed certificate"},
		{"ClientIPHeader", c.ClientIPHeader != httpapi.HeaderXForwardedFor && c.ClientIPHeader != httpapi.HeaderForwarded,
			fmt.Sprintf("must be %s or %s", httpapi.HeaderXForwardedFor, httpapi.HeaderForwarded)},
	} {
		if rule.bad {
			return &ConfigError{Field: rule.field, Problem: rule.problem}
		}
	}
	_, err := c.dataKey()
	return err
}

// maxDataKeyFile bounds the read of Config.DataKeyFile: the key is 44
// characters of base64.
const maxDataKeyFile = 4 << 10

// dataKey returns the data key Config.DataKey or Config.DataKeyFile holds,
// nil when neither is set, or a *ConfigError that never quotes the key.
func (c Config) dataKey() ([]byte, error) {
	text, field, what := c.DataKey, "DataKey", "(VONAGE_DATA_KEY)"
	switch {
	case c.DataKey != "" && c.DataKeyFile != "":
		return nil, &ConfigError{Field: "DataKeyFile", Problem: "cannot be combined with VONAGE_DATA_KEY"}
	case c.DataKeyFile != "":
		field, what = "DataKeyFile", "(the data key file)"
		f, err := os.Open(c.DataKeyFile)
		if err != nil {
			return nil, &ConfigError{Field: field, Problem: "cannot be read: " + err.Error()}
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxDataKeyFile))
		if err != nil {
			return nil, &ConfigError{Field: field, Problem: "cannot be read: " + err.Error()}
		}
		text = string(data)
	case c.DataKey == "":
		return nil, nil
	}
	key, err := account.ParseDataKey(text)
	if err != nil {
		return nil, &ConfigError{Field: field, Problem: what + " " + err.Error()}
	}
	return key, nil
}

// MinAdminTokenLen is the shortest admin token accepted (contract section
// 7): 24 characters, guessed at any realistic rate, take longer than the
// failure limits leave an attacker.
const MinAdminTokenLen = 24

// ConfigError is a Config field that cannot work.
type ConfigError struct {
	Field   string // as in Config, e.g. "AuthLimits.Window"
	Problem string
}

func (e *ConfigError) Error() string { return "server config: " + e.Field + " " + e.Problem }

// openStore opens the store cfg.DB names: a postgres:// URL or a SQLite
// file path.
func openStore(ctx context.Context, cfg Config) (account.Store, error) {
	if IsPostgresURL(cfg.DB) {
		opts := []postgres.Option{postgres.WithStatementTimeout(cfg.PGStatementTimeout),
			postgres.WithConnectTimeout(cfg.DBTimeout), postgres.WithPingTimeout(cfg.DBTimeout)}
		if cfg.PGMaxConns > 0 {
			opts = append(opts, postgres.WithMaxConns(int32(cfg.PGMaxConns)))
		}
		if cfg.PGLockTimeout > 0 {
			opts = append(opts, postgres.WithLockTimeout(cfg.PGLockTimeout))
		}
		s, err := postgres.Open(ctx, cfg.DB, opts...)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database: %w", err)
		}
		return s, nil
	}
	var opts []sqlite.Option
	if cfg.Logger != nil {
		opts = append(opts, sqlite.WithLogger(cfg.Logger))
	}
	s, err := sqlite.Open(ctx, cfg.DB, opts...)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", cfg.DB, err)
	}
	return s, nil
}

// IsPostgresURL reports whether db names PostgreSQL rather than a SQLite
// file.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// DescribeDB names the database for a log line without any password in it.
func DescribeDB(db string) string {
	if IsPostgresURL(db) {
		return "postgres"
	}
	return "sqlite:" + db
}

// Listen binds Config.Addr (and Config.TLSAddr) and sets URL (and
// TLSURL).
func (s *Server) Listen() error {
	if s.ln != nil {
		return errors.New("server: already listening")
	}
	b, err := s.Config.bind()
	if err != nil {
		return err
	}
	s.attach(b)
	return nil
}

// bound are the listeners of a Config, bound but not yet served.
type bound struct {
	ln, tlsLn   net.Listener // tlsLn: HTTPS beside HTTP (Config.TLSAddr), or nil
	url, tlsURL string
}

// bind binds c.Addr, and c.TLSAddr when it serves HTTPS beside HTTP.
func (c Config) bind() (bound, error) {
	ln, err := c.Listen()
	if err != nil {
		return bound{}, fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	b := bound{ln: ln, url: "http://" + ln.Addr().String()}
	switch {
	case c.TLSEnabled() && c.TLSAddr == "":
		b.url = "https://" + ln.Addr().String()
		b.tlsURL = b.url
	case c.TLSEnabled():
		tc := c
		tc.Addr = c.TLSAddr
		tlsLn, err := tc.Listen()
		if err != nil {
			ln.Close()
			return bound{}, fmt.Errorf("listen on %s: %w", c.TLSAddr, err)
		}
		b.tlsLn, b.tlsURL = tlsLn, "https://"+tlsLn.Addr().String()
	}
	return b, nil
}

func (b bound) close() {
	for _, ln := range []net.Listener{b.ln, b.tlsLn} {
		if ln != nil {
			ln.Close()
		}
	}
}

// attach makes b the server's listeners.
func (s *Server) attach(b bound) {
	s.ln, s.tlsLn, s.URL, s.TLSURL = b.ln, b.tlsLn, b.url, b.tlsURL
	hooks := []func(net.Conn, http.ConnState){ConnStateOf(b.ln)}
	if b.tlsLn != nil {
		hooks = append(hooks, ConnStateOf(b.tlsLn))
	}
	if hook := joinConnState(hooks); hook != nil {
		s.HTTP.ConnState = hook
	}
}

// joinConnState calls every non-nil hook; nil when there is none.
func joinConnState(hooks []func(net.Conn, http.ConnState)) func(net.Conn, http.ConnState) {
	var set []func(net.Conn, http.ConnState)
	for _, h := range hooks {
		if h != nil {
			set = append(set, h)
		}
	}
	switch len(set) {
	case 0:
		return nil
	case 1:
		return set[0]
	}
	return func(c net.Conn, st http.ConnState) {
		for _, h := range set {
			h(c, st)
		}
	}
}

// Start listens (unless Listen was called) and serves in the background
// until Shutdown or Close.
func (s *Server) Start() error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.errc = make(chan error, 2)
	s.startWebhooks()
	// ServeTLS adds HTTP/2 to a clone of HTTP.TLSConfig and wraps the
	// listener; the certificate is in TLSConfig, so no files are named.
	switch {
	case s.tlsConf != nil && s.tlsLn == nil:
		s.serve(func() error { return s.HTTP.ServeTLS(s.ln, "", "") })
	case s.tlsLn != nil:
		s.serve(func() error { return s.HTTP.Serve(s.ln) })
		s.serve(func() error { return s.HTTP.ServeTLS(s.tlsLn, "", "") })
	default:
		s.serve(func() error { return s.HTTP.Serve(s.ln) })
	}
	return nil
}

func (s *Server) serve(f func() error) {
	s.serving++
	go func() { s.errc <- f() }()
}

// Run starts the server and the pruning of old idempotency keys, blocks
// until ctx ends (SIGTERM or SIGINT in `vonage serve`), then drains the
// requests in flight for at most Config.ShutdownTimeout. It returns nil
// after a clean drain.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	pruneCtx, stopPruning := context.WithCancel(ctx)
	defer stopPruning()
	go s.pruneIdempotencyKeys(pruneCtx)

	select {
	case err := <-s.errc:
		s.serving--
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.Config.ShutdownTimeout.String())
	if err := s.Shutdown(); err != nil {
		return err
	}
	s.log.Info("server stopped")
	return nil
}

// Shutdown stops accepting connections and waits, at most
// Config.ShutdownTimeout, for the requests in flight.
func (s *Server) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.Config.ShutdownTimeout)
	defer cancel()
	if s.stopWebhooks != nil {
		s.stopWebhooks() // the deliveries in flight finish and are recorded
		s.stopWebhooks = nil
	}
	if err := s.HTTP.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	var serveErr error
	for ; s.serving > 0; s.serving-- {
		if err := <-s.errc; err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = fmt.Errorf("serve: %w", err)
		}
	}
	return serveErr
}

// Close shuts the server down and closes its store. Calls after the first
// (from the same goroutine) do nothing.
func (s *Server) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.Shutdown()
	for _, ln := range []net.Listener{s.ln, s.tlsLn} {
		if ln != nil {
			ln.Close() // Shutdown closed it unless the server never served
		}
	}
	if s.Limits != nil {
		s.Limits.Close()
	}
	if cerr := s.Store.Close(); err == nil {
		err = cerr
	}
	return err
}

// pruneIdempotencyKeys forgets idempotency keys older than
// account.IdempotencyTTL, once at start and then every
// Config.IdempotencyPruneInterval, so the table does not grow without
// bound. Several instances pruning at once is harmless: the delete is
// idempotent.
func (s *Server) pruneIdempotencyKeys(ctx context.Context) {
	t := time.NewTicker(s.Config.IdempotencyPruneInterval)
	defer t.Stop()
	for {
		n, err := s.Service.PruneIdempotencyKeys(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("pruning idempotency keys failed", "err", err)
		case n > 0:
			s.log.Info("pruned idempotency keys", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startWebhooks runs the callback worker until Shutdown.
func (s *Server) startWebhooks() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Webhooks.Run(ctx)
	}()
	s.stopWebhooks = func() { cancel(); <-done }
}
