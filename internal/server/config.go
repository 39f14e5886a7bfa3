// Package server builds the Account API server: the one place that turns a
// Config into a store, a domain service, the HTTP handler, an http.Server
// and a listener. `vonage serve` fills a Config from flags and environment;
// the benchmark, the flood tool, package vonagetest and every test harness
// start from DefaultConfig() and change fields, so they all measure and test
// the server users run.
package server

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/dashboard"
	"github.com/vonage/vonage-go-sdk/internal/postgres"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/webhook"
)

// Config holds every knob of the server. The zero value is not useful:
// start from DefaultConfig().
type Config struct {
	// Addr is the TCP address to listen on; port 0 picks a free port.
	Addr string
	// TLS: with TLSCertFile and TLSKeyFile (PEM files), or TLSSelfSigned,
	// the server serves HTTPS (TLS 1.2 and later): on Addr, or, when
	// TLSAddr is set, on TLSAddr beside plain HTTP on Addr. TLSSelfSigned
	// generates, once, a certificate for localhost, 127.0.0.1 and ::1 and
	// its key, both 0600, where SelfSignedPaths says (beside a SQLite file;
	// in TLSDir, made 0700 if missing, else the working directory, for an
	// in-memory or PostgreSQL database), and reuses them on the next start until a day before they
	// expire (a year). The connection caps apply to each listener.
	TLSCertFile   string
	TLSKeyFile    string
	TLSSelfSigned bool
	TLSAddr       string
	TLSDir        string

	// DB is a SQLite file path (sqlite.Memory for a private in-memory
	// database) or a postgres:// URL.
	DB string

	// HTTP: the http.Server's timeouts and caps. RequestTimeout bounds
	// both reading a request and writing its answer.
	ReadHeaderTimeout time.Duration
	RequestTimeout    time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// MaxBodyBytes bounds request bodies; larger ones get a 413. The
	// largest legitimate body (an admin account creation) is a few hundred
	// bytes; a bulk import is read line by line under the same bound.
	MaxBodyBytes int64
	// MaxInFlight bounds the API requests served at once; one more is
	// answered 503 at once. 0 means no bound. /healthz is never refused.
	MaxInFlight int
	// MaxConnections bounds the open connections: further clients wait in
	// the kernel's backlog. 0 means no bound.
	MaxConnections int
	// ReadyTimeout bounds the database ping of /readyz.
	ReadyTimeout time.Duration
	// ImportProgressTimeout is how long a bulk import (POST /admin/import)
	// may wait for its next batch's lines and its answer, counted from the
	// last batch written: a long import is not a stuck request.
	ImportProgressTimeout time.Duration
	// ShutdownTimeout is how long Run waits for requests in flight once
	// its context ends.
	ShutdownTimeout time.Duration
	// BodyReadTimeout bounds reading a request body, which is read whole
	// (up to MaxBodyBytes) before the request takes one of MaxInFlight's
	// slots: a body still arriving holds no slot, and one not there in
	// time is a 400. A bulk import streams instead (ImportProgressTimeout).
	BodyReadTimeout time.Duration
	// MaxConnectionsPerAddr bounds the open connections of one peer
	// address (IPv6: one /64); one more is closed at once. It is the TCP
	// peer (a forwarding header cannot be read before accepting), except
	// that TrustedProxies are not bounded: each carries many clients. The
	// default leaves room for a busy client's pool (the benchmark's 64
	// connections and more) while one address holds at most 1/8 of
	// MaxConnections. 0 means no bound.
	MaxConnectionsPerAddr int
	// IdleTimeoutNearCap replaces IdleTimeout while 3/4 of MaxConnections
	// are open; at MaxConnections, the connection idle the longest is
	// closed at once for a new client. 0 keeps IdleTimeout.
	IdleTimeoutNearCap time.Duration

	// AdminToken is the bearer token of the /admin API; empty turns the
	// admin routes off. Check refuses one shorter than MinAdminTokenLen.
	AdminToken string
	// TrustedProxies are the proxies whose forwarding header names the
	// client address; empty means the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// ClientIPHeader is the header the trusted proxies write:
	// "X-Forwarded-For" or "Forwarded".
	ClientIPHeader string
	// Dashboard serves the web dashboard under /dashboard/ (on by
	// default).
	Dashboard bool
	// DashboardSessionLifetime is how long a dashboard session lasts from
	// sign-in, however active: at most 30 days.
	DashboardSessionLifetime time.Duration

	// Credentials: the argon2id cost of new hashes, the pepper mixed into
	// them (nil: none), the limits on failed authentications, whether each
	// account's max-calls-per-second is enforced, the hash gate and the
	// number of remembered verifications.
	HashParams      account.HashParams
	Pepper          []byte
	AuthLimits      account.AuthLimits
	CallRateLimit   bool
	HashConcurrency account.HashConcurrency
	VerifyCacheSize int

	// DataKey seals accounts' signature secrets at rest (AES-256-GCM):
	// 32 random bytes in standard base64, as `openssl rand -base64 32`
	// prints (VONAGE_DATA_KEY, environment only); or DataKeyFile, a file
	// holding that text (--data-key-file). Not both. Without either,
	// setting a signature through the admin API is refused.
	DataKey     string
	DataKeyFile string
	// LimitsURL, a redis:// (rediss://, unix://) URL, counts the call
	// rate and the failure limits in Redis, shared by every instance that
	// names it with the same LimitsPrefix; empty counts them in this
	// instance. No call waits for Redis longer than LimitsTimeout: past it,
	// the instance counts locally until Redis answers again
	// (internal/redislimit).
	LimitsURL     string
	LimitsPrefix  string
	LimitsTimeout time.Duration

	// PostgreSQL pool size (0: pgxpool's default, max(4, CPUs)),
	// statement_timeout and lock_timeout (0: none).
	PGMaxConns         int
	PGStatementTimeout time.Duration
	PGLockTimeout      time.Duration

	// DBTimeout bounds every database call a request makes: a database
	// that does not answer within it (frozen, or locked) is answered 503
	// with Retry-After instead of holding the request. It also bounds
	// opening a PostgreSQL connection and the pool's health check of one.
	DBTimeout time.Duration

	// Callback deliveries (internal/webhook): a failed one is retried
	// from WebhookRetryBase, doubling, until WebhookRetryWindow after it
	// was queued. WebhookLease is how long an instance's claim on a
	// delivery lasts if it dies (tests shorten it); WebhookPoll how often
	// the queue is checked.
	WebhookRetryBase   time.Duration
	WebhookRetryWindow time.Duration
	WebhookLease       time.Duration
	WebhookPoll        time.Duration
	// WebhookBlockPrivate refuses callbacks to private, loopback and
	// link-local addresses, checked on the address each attempt dials.
	WebhookBlockPrivate bool

	// IdempotencyPruneInterval is how often Run forgets idempotency keys
	// older than account.IdempotencyTTL.
	IdempotencyPruneInterval time.Duration

	// Logger receives the request log, the http.Server's errors and the
	// service's warnings; nil discards them.
	Logger *slog.Logger

	// Test seams. Clock and LimiterClock replace time.Now for timestamps
	// and for the limiters; Wrap, when set, wraps the whole handler (tests
	// put fault injection in front of the real server).
	Clock        func() time.Time
	LimiterClock func() time.Time
	Wrap         func(http.Handler) http.Handler
}

// DefaultConfig is the configuration of `vonage serve` without flags or
// environment: every timeout and cap of the server is written here and
// nowhere else.
func DefaultConfig() Config {
	return Config{
		Addr:                  "127.0.0.1:8080",
		DB:                    "vonage.db",
		ReadHeaderTimeout:     5 * time.Second,
		RequestTimeout:        30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		MaxHeaderBytes:        64 << 10,
		MaxBodyBytes:          64 << 10,
		MaxInFlight:           1024,
		MaxConnections:        2048,
		ReadyTimeout:          2 * time.Second,
		ImportProgressTimeout: time.Minute,
		ShutdownTimeout:       30 * time.Second,
		ClientIPHeader:        "X-Forwarded-For",
		Dashboard:             true,
		HashParams:            account.DefaultHashParams,
		AuthLimits:            account.DefaultAuthLimits,
		CallRateLimit:         true,
		LimitsPrefix:          "vonage:limits:",
		// A few round trips to a Redis nearby; short enough that an API
		// call barely notices a Redis that stopped answering.
		LimitsTimeout:            5 * time.Millisecond,
		VerifyCacheSize:          account.DefaultVerifyCacheSize,
		PGStatementTimeout:       postgres.DefaultStatementTimeout,
		IdempotencyPruneInterval: time.Hour,
		WebhookRetryBase:         webhook.DefaultConfig().RetryBase,
		WebhookRetryWindow:       webhook.DefaultConfig().RetryWindow,
		DashboardSessionLifetime: dashboard.DefaultSessionLifetime,
		WebhookLease:             webhook.DefaultConfig().Lease,
		WebhookPoll:              webhook.DefaultConfig().Poll,
		BodyReadTimeout:          5 * time.Second,
		MaxConnectionsPerAddr:    256,
		IdleTimeoutNearCap:       2 * time.Second,
		// Above the worst honest wait for SQLite's one writer (64
		// concurrent money requests, each commit synced, on a loaded
		// 2-core machine: over 5 s), far below RequestTimeout.
		DBTimeout: 10 * time.Second,
		// A restart's first logins wait for a hash rather than fail;
		// the queue's default is account.MinHashQueue.
		HashConcurrency: account.HashConcurrency{MaxWait: 10 * time.Second},
	}
}

// TestConfig is DefaultConfig for tests: a random loopback port, an
// in-memory SQLite database, argon2id at account.TestHashParams (far too
// cheap for a real secret), and accounts' call rates not enforced, so
// tests that make many calls are not throttled. The timeouts, caps and
// failed-authentication limits stay those of DefaultConfig.
func TestConfig() Config {
	c := DefaultConfig()
	c.Addr = "127.0.0.1:0"
	c.DB = sqlite.Memory
	c.HashParams = account.TestHashParams
	c.CallRateLimit = false
	return c
}

// NewHTTPServer returns an http.Server with the Config's timeouts and
// caps, serving h. The benchmark's baseline uses it too, so both sides of
// a comparison run the same HTTP settings.
func (c Config) NewHTTPServer(h http.Handler) *http.Server {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.RequestTimeout,
		WriteTimeout:      c.RequestTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Listen binds c.Addr and holds at most c.MaxConnections connections open
// at once, c.MaxConnectionsPerAddr from one address. An http.Server
// serving it should have the listener's ConnState (Server.Listen sets it):
// the idle timeout near the cap, c.IdleTimeoutNearCap, needs it.
func (c Config) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	return limitConnections(ln, connLimits{max: c.MaxConnections, perAddr: c.MaxConnectionsPerAddr, exempt: c.TrustedProxies, crowdedIdle: c.IdleTimeoutNearCap}), nil
}

// ConnStateOf returns the ConnState hook ln needs from its http.Server, or
// nil when ln is not a listener of Config.Listen.
func ConnStateOf(ln net.Listener) func(net.Conn, http.ConnState) {
	if l, ok := ln.(*limitListener); ok {
		return l.ConnState
	}
	return nil
}
