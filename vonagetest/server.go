// Package vonagetest runs the real Account API server in-process, for the
// tests of code that uses package vonage. It is the server `vonage serve`
// runs (the same HTTP layer, rules and SQLite store), on a random loopback
// port, holding an in-memory database that disappears when the server closes.
//
//	func TestRotation(t *testing.T) {
//		srv := vonagetest.NewServer(t) // closed when the test ends
//		res, err := srv.Client.RotateSecret(t.Context(), "N3w-Secret-2")
//		...
//	}
//
// Helpers set up the state a test needs (SetBalance, EnableAutoReload, Charge,
// NewSubaccount) through the server's own domain service, so the ledger stays
// consistent, and FailNext injects failures (429, 5xx, broken connections) to
// test retry handling.
//
// Secrets are hashed with argon2id at a tiny cost (64 KiB, one pass, one
// thread) so tests stay fast: this package is for tests only, never for real
// accounts.
package vonagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// T is what the helpers need of a test. *testing.T, *testing.B and
// *testing.F satisfy it; a program or an Example can pass its own.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Server is a running Account API server with one account, the primary,
// whose fields and helpers it promotes: srv.APIKey, srv.Client,
// srv.SetBalance(t, "12.50").
type Server struct {
	// URL is the base URL of every endpoint (both Vonage hosts, the admin
	// API), e.g. http://127.0.0.1:41234.
	URL string
	// AdminToken is the bearer token of the admin API (POST /admin/accounts, ...).
	AdminToken string
	*Account

	srv       *server.Server
	svc       *account.Service
	transport *http.Transport // the clients' connections to srv
	faults    faults
	once      sync.Once
}

// Account is one account on the server, with a client signed by it.
type Account struct {
	APIKey    string
	APISecret string // the secret the account was created with
	// Client is a client of this account pointed at the server. It retries
	// with a backoff of 1-10ms instead of 200ms-5s so retry tests stay fast;
	// NewClient makes one with other options.
	Client *vonage.AccountClient

	srv *Server
}

// Option configures NewServer, Start, NewAccount or NewSubaccount.
type Option func(*options)

type options struct {
	apiKey, apiSecret string
	balance           string
	reload            *[2]string
	logger            *slog.Logger
	authLimits        account.AuthLimits // zero: failed authentications are not limited
}

// WithCredentials chooses the account's API key (8-32 characters of a-z and
// 0-9) and secret; by default both are generated.
func WithCredentials(apiKey, apiSecret string) Option {
	return func(o *options) { o.apiKey, o.apiSecret = apiKey, apiSecret }
}

// WithBalance sets the account's opening balance, a decimal string in EUR
// ("10.50"); the default is zero.
func WithBalance(amount string) Option {
	return func(o *options) { o.balance = amount }
}

// WithAutoReload creates the account with auto-reload on: a charge taking the
// balance below threshold first adds amount (both decimal strings in EUR).
func WithAutoReload(threshold, amount string) Option {
	return func(o *options) { o.reload = &[2]string{threshold, amount} }
}

// WithLogger sends the server's request log to l; by default it is
// discarded. It only matters to NewServer and Start.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithFailedAuthLimits turns on the server's limits on failed
// authentications (per API key and client address, and per address, within
// a minute), as vonage serve has them by default. They are off in
// vonagetest, so a test that checks its handling of wrong credentials many
// times is not throttled; turn them on to test how code reacts to the 429.
func WithFailedAuthLimits(perPair, perAddr int) Option {
	return func(o *options) {
		o.authLimits = account.AuthLimits{PerPair: perPair, PerAddr: perAddr, Window: time.Minute}
	}
}

// NewServer starts a server with one account and closes it when the test
// ends. It stops the test if the server cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("vonagetest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start is NewServer for code without a testing.TB (an Example, a program):
// the caller must call Close.
func Start(opts ...Option) (*Server, error) {
	o := collect(opts)
	// The server vonage serve runs, with its timeouts and caps, over an
	// in-memory database, hashing at account.TestHashParams, and the
	// failed-authentication limits off unless asked for.
	cfg := server.TestConfig()
	cfg.AuthLimits = o.authLimits
	cfg.AdminToken = randomHex(16)
	cfg.Logger = o.logger
	s := &Server{AdminToken: cfg.AdminToken}
	cfg.Wrap = s.faults.wrap
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, err
	}
	s.srv, s.svc, s.URL = srv, srv.Service, srv.URL
	s.transport = http.DefaultTransport.(*http.Transport).Clone()
	if s.Account, err = s.create(o, ""); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the server and drops its database. It waits for requests in
// flight and is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.transport.CloseIdleConnections()
		_ = s.srv.Close()
	})
}

// NewAccount creates another account, unrelated to the primary one: its key
// is one the primary cannot see (ErrNotFound).
func (s *Server) NewAccount(t T, opts ...Option) *Account {
	t.Helper()
	a, err := s.create(collect(opts), "")
	if err != nil {
		t.Fatalf("vonagetest: NewAccount: %v", err)
	}
	return a
}

// NewSubaccount creates a subaccount of a: a's client may manage its secrets
// through a.Client.ForKey(sub.APIKey). Subaccounts cannot have subaccounts.
func (a *Account) NewSubaccount(t T, opts ...Option) *Account {
	t.Helper()
	sub, err := a.srv.create(collect(opts), a.APIKey)
	if err != nil {
		t.Fatalf("vonagetest: NewSubaccount: %v", err)
	}
	return sub
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// create makes an account through the domain service, as the admin API does.
func (s *Server) create(o options, primary string) (*Account, error) {
	na := account.NewAccount{APIKey: o.apiKey, Secret: o.apiSecret, PrimaryAPIKey: primary}
	var err error
	if o.balance != "" {
		if na.Balance, err = account.ParseMoney("balance", o.balance); err != nil {
			return nil, err
		}
	}
	if o.reload != nil {
		if na.AutoReload, err = parseReload(o.reload[0], o.reload[1]); err != nil {
			return nil, err
		}
	}
	acct, generated, err := s.svc.CreateAccount(context.Background(), na)
	if err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	secret := na.Secret
	if generated != "" {
		secret = generated
	}
	a := &Account{APIKey: acct.APIKey, APISecret: secret, srv: s}
	a.Client = a.NewClient()
	return a, nil
}

// NewClient returns a client signed by the account and pointed at the
// server; opts are applied after those and win.
func (a *Account) NewClient(opts ...vonage.ClientOption) *vonage.AccountClient {
	base := []vonage.ClientOption{
		vonage.WithBaseURL(a.srv.URL),
		vonage.WithHTTPClient(&http.Client{Transport: a.srv.transport, Timeout: 30 * time.Second}),
		vonage.WithRetryBackoff(time.Millisecond, 10*time.Millisecond),
	}
	return vonage.NewAccountClient(vonage.CreateAuthFromKeySecret(a.APIKey, a.APISecret), append(base, opts...)...)
}

func parseReload(threshold, amount string) (*account.AutoReload, error) {
	th, err := account.ParseMoney("auto_reload.threshold", threshold)
	if err != nil {
		return nil, err
	}
	am, err := account.ParsePositiveMoney("auto_reload.amount", amount)
	if err != nil {
		return nil, err
	}
	return &account.AutoReload{Threshold: th, Amount: am}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
