// Package dashboard is the web dashboard `vonage serve` mounts under
// /dashboard/ (contract section 7): an account's balance, ledger, settings
// and secrets, and the operator's view of every account. Pages are
// html/template with embedded assets; every form works without JavaScript
// (there is none), so the Content-Security-Policy allows no script at all.
//
// People sign in through the domain's own checks (account.Service.SignIn,
// AuthorizeAdmin: the same limits as the API). A session is a random token
// in an HttpOnly, SameSite=Strict cookie; the database keeps only its
// hash. Every form carries a CSRF token derived from the session token.
package dashboard

import (
	"context"
	"crypto/sha256"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Prefix is the path the dashboard is mounted on.
const Prefix = "/dashboard/"

// DefaultSessionLifetime is how long a session lasts from sign-in, however
// active: a fixed lifetime, never extended.
const DefaultSessionLifetime = 8 * time.Hour

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds the dashboard's dependencies.
type Config struct {
	// Service is the account domain; required.
	Service *account.Service
	// Sessions keeps the sessions; required.
	Sessions account.SessionStore
	// AdminToken, when set, lets an operator sign in with it.
	AdminToken string
	// ClientAddr finds a request's client address, as the API does, to
	// count failed sign-ins under; nil means the connection's peer.
	ClientAddr func(*http.Request) string
	// Logger receives internal errors; nil means slog.Default().
	Logger *slog.Logger
	// SessionLifetime: DefaultSessionLifetime when zero.
	SessionLifetime time.Duration
	// HTTPS tells whether a request's client used HTTPS (directly, or
	// through a trusted TLS-terminating proxy): the cookies are then
	// Secure. Nil means the connection's own TLS.
	HTTPS func(*http.Request) bool
	// DBTimeout bounds each session read or write; 0: the request's own.
	DBTimeout time.Duration
	// Clock replaces time.Now (tests).
	Clock func() time.Time
}

// dash is the dashboard's state.
type dash struct {
	svc         *account.Service
	sessions    account.SessionStore
	adminDigest *[sha256.Size]byte // nil: no operator sign-in
	operatorFP  string             // the admin token's fingerprint, kept in operator sessions
	clientAddr  func(*http.Request) string
	https       func(*http.Request) bool
	log         *slog.Logger
	lifetime    time.Duration
	dbTimeout   time.Duration
	now         func() time.Time
	pages       map[string]*template.Template
}

// New returns the dashboard's handler, which expects paths under Prefix.
// It panics on a missing dependency, a wiring mistake.
func New(cfg Config) http.Handler {
	if cfg.Service == nil || cfg.Sessions == nil {
		panic("dashboard.New: Config.Service and Config.Sessions are required")
	}
	d := &dash{svc: cfg.Service, sessions: cfg.Sessions, clientAddr: cfg.ClientAddr, https: cfg.HTTPS, log: cfg.Logger,
		lifetime: cfg.SessionLifetime, dbTimeout: cfg.DBTimeout, now: cfg.Clock}
	if d.clientAddr == nil {
		d.clientAddr = peerAddr
	}
	if d.https == nil {
		d.https = func(r *http.Request) bool { return r.TLS != nil }
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.lifetime <= 0 {
		d.lifetime = DefaultSessionLifetime
	}
	if d.now == nil {
		d.now = time.Now
	}
	if cfg.AdminToken != "" {
		dg := sha256.Sum256([]byte(cfg.AdminToken))
		d.adminDigest = &dg
		d.operatorFP = operatorFingerprint(cfg.AdminToken)
	}
	d.pages = parsePages()
	return d.routes()
}

// routes lists every page of the dashboard.
func (d *dash) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /dashboard/static/", http.StripPrefix("/dashboard/static/", http.FileServerFS(static)))

	mux.HandleFunc("GET /dashboard/{$}", d.home)
	mux.HandleFunc("GET /dashboard/signin", d.signInPage)
	mux.HandleFunc("POST /dashboard/signin", d.signIn)
	mux.HandleFunc("POST /dashboard/signin/operator", d.signInOperator)
	mux.HandleFunc("POST /dashboard/signout", d.signOut)

	// An account's own pages, and a primary account's view of its
	// subaccounts' secrets.
	mux.HandleFunc("GET /dashboard/account", d.asAccount(d.accountPage))
	mux.HandleFunc("POST /dashboard/account/settings", d.asAccount(d.saveSettings))
	mux.HandleFunc("GET /dashboard/keys/{key}/secrets", d.asAccount(d.secretsPage))
	mux.HandleFunc("POST /dashboard/keys/{key}/secrets", d.asAccount(d.createSecret))
	mux.HandleFunc("GET /dashboard/keys/{key}/secrets/{id}/revoke", d.asAccount(d.confirmRevoke))
	mux.HandleFunc("POST /dashboard/keys/{key}/secrets/{id}/revoke", d.asAccount(d.revokeSecret))
	mux.HandleFunc("GET /dashboard/keys/{key}/rotate", d.asAccount(d.rotatePage))
	mux.HandleFunc("POST /dashboard/keys/{key}/rotate", d.asAccount(d.rotate))

	// The operator's pages.
	mux.HandleFunc("GET /dashboard/operator/accounts", d.asOperator(d.accountsPage))
	mux.HandleFunc("GET /dashboard/operator/accounts/{key}", d.asOperator(d.operatorAccountPage))
	mux.HandleFunc("POST /dashboard/operator/accounts/{key}/credit", d.asOperator(d.moveMoney(account.KindCredit)))
	mux.HandleFunc("POST /dashboard/operator/accounts/{key}/charge", d.asOperator(d.moveMoney(account.KindCharge)))
	mux.HandleFunc("POST /dashboard/operator/accounts/{key}/auto-reload", d.asOperator(d.saveAutoReload))
	mux.HandleFunc("POST /dashboard/operator/accounts/{key}/limits", d.asOperator(d.saveLimits))
	mux.HandleFunc("GET /dashboard/operator/ledger", d.asOperator(d.ledgerPage))

	mux.HandleFunc("/dashboard/", d.notFound)
	return d.secureHeaders(mux)
}

// contentSecurityPolicy allows the page its own stylesheet and images,
// forms posting to itself, and nothing else: no script, no frame, no
// plugin, no other origin.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the headers every dashboard response carries. Pages
// are never cached: they show balances, and once a secret.
func (d *dash) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// ctx bounds a session read or write by Config.DBTimeout.
func (d *dash) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	if d.dbTimeout <= 0 {
		return r.Context(), func() {}
	}
	return context.WithTimeout(r.Context(), d.dbTimeout)
}

// peerAddr is the connection's peer address, without the port.
func peerAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
