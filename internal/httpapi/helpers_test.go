package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

const (
	adminToken    = "test-admin-token-5b0e1f77"
	problemPrefix = "https://developer.nexmo.com/api-errors"
)

// clock is the services' pinned time. Its fraction of a second checks that
// created_at is truncated to whole seconds.
var clock = time.Date(2017, time.March, 2, 16, 34, 49, 700_000_000, time.UTC)

const clockStamp = "2017-03-02T16:34:49Z"

// env is one server over a fresh SQLite database.
type env struct {
	srv   *server.Server
	svc   *account.Service
	store account.Store
	path  string // the database file
	logs  *testutil.LockedBuffer
}

type envOption func(*server.Config)

func withoutAdmin() envOption       { return func(c *server.Config) { c.AdminToken = "" } }
func withMaxBody(n int64) envOption { return func(c *server.Config) { c.MaxBodyBytes = n } }
func withConfig(f func(*server.Config)) envOption {
	return func(c *server.Config) { f(c) }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	logs := &testutil.LockedBuffer{}
	cfg := server.TestConfig()
	cfg.DB = path
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.AdminToken = adminToken
	cfg.Clock = func() time.Time { return clock }
	for _, o := range opts {
		o(&cfg)
	}
	srv := testutil.StartServer(t, cfg)
	return &env{srv: srv, svc: srv.Service, store: srv.Store, path: path, logs: logs}
}

// newAccount creates an account through the service; a zero Secret
// becomes defaultSecret. It returns the key and secret.
func (e *env) newAccount(t *testing.T, na account.NewAccount) (string, string) {
	t.Helper()
	if na.Secret == "" {
		na.Secret = "Default1Secret"
	}
	acct, _, err := e.svc.CreateAccount(context.Background(), na)
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return acct.APIKey, na.Secret
}

// newReloadingAccount creates an account of balance 10 that reloads 20
// when below 5, the account reloadTrx expects; na gives its other fields.
func (e *env) newReloadingAccount(t *testing.T, na account.NewAccount) (string, string) {
	t.Helper()
	na.Balance = eur("10")
	na.AutoReload = &account.AutoReload{Threshold: eur("5"), Amount: eur("20")}
	return e.newAccount(t, na)
}

// reloadTrx makes key's account, one from newReloadingAccount, auto-reload
// once and returns the reload's trx.
func (e *env) reloadTrx(t *testing.T, key string) string {
	t.Helper()
	res, err := e.store.Charge(context.Background(), account.Movement{APIKey: key, Amount: 6 * account.Scale, Reference: "test", Now: clock})
	if err != nil || res.Reload == nil {
		t.Fatalf("Charge: reload %v, err %v", res.Reload, err)
	}
	return res.Reload.Trx
}

// snapshot is what hostile requests must not change: everything an
// account holds, its ledger, and the number of accounts.
type snapshot struct {
	Balance    account.Money
	AutoReload *account.AutoReload
	Limits     account.Limits
	Settings   account.Settings
	SecretIDs  []string
	Ledger     []account.Transaction
	Accounts   int
}

func (e *env) snapshot(t *testing.T, key string) snapshot {
	t.Helper()
	ctx := context.Background()
	acct, secrets, err := e.svc.AccountDetails(ctx, key)
	if err != nil {
		t.Fatalf("AccountDetails: %v", err)
	}
	n, err := e.store.AccountCount(ctx)
	if err != nil {
		t.Fatalf("AccountCount: %v", err)
	}
	ledger, err := e.store.Transactions(ctx, key, 0, 1000)
	if err != nil {
		t.Fatalf("Transactions: %v", err)
	}
	s := snapshot{Balance: acct.Balance, AutoReload: acct.AutoReload, Limits: acct.Limits, Settings: acct.Settings, Ledger: ledger, Accounts: n}
	for _, sec := range secrets {
		s.SecretIDs = append(s.SecretIDs, sec.ID)
	}
	return s
}

// request describes one HTTP request to the server.
type request struct {
	method, path string
	query        url.Values
	rawQuery     string     // used as is when query is nil
	form         url.Values // sent as an application/x-www-form-urlencoded body
	body         string     // raw body, when form is nil
	contentType  string
	basic        []string // key, secret
	bearer       string
	header       map[string]string // raw headers
	allow500     bool
	xml          bool // the answer is XML, not JSON
}

type response struct {
	status int
	header http.Header
	body   []byte
}

var requestIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// do sends req and checks what every response must satisfy: an
// X-Request-Id of 32 hex digits, JSON content type on any body, and no
// 500 unless the test expects one.
func (e *env) do(t *testing.T, req request) response {
	t.Helper()
	u := e.srv.URL + req.path
	if req.query != nil {
		u += "?" + req.query.Encode()
	} else if req.rawQuery != "" {
		u += "?" + req.rawQuery
	}
	var body io.Reader
	ct := req.contentType
	switch {
	case req.form != nil:
		body = strings.NewReader(req.form.Encode())
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
	case req.body != "":
		body = strings.NewReader(req.body)
	}
	hr, err := http.NewRequest(req.method, u, body)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if req.basic != nil {
		hr.SetBasicAuth(req.basic[0], req.basic[1])
	}
	if req.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+req.bearer)
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: data}
	if id := res.Header.Get("X-Request-Id"); !requestIDRE.MatchString(id) {
		t.Errorf("%s %s: X-Request-Id %q is not 32 hex digits", req.method, req.path, id)
	}
	wantType := "application/json"
	if req.xml {
		wantType = "application/xml"
	}
	if len(data) > 0 && res.Header.Get("Content-Type") != wantType && req.method != http.MethodHead {
		t.Errorf("%s %s: Content-Type %q, want %s", req.method, req.path, res.Header.Get("Content-Type"), wantType)
	}
	if res.StatusCode >= 500 && !req.allow500 {
		t.Errorf("%s %s: status %d, body %s", req.method, req.path, res.StatusCode, data)
	}
	checkSpec(t, hr, res.StatusCode, res.Header, data)
	return r
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// keys returns the sorted member names of m.
func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// wantLegacy checks a legacy error body exactly.
func wantLegacy(t *testing.T, r response, status int, label string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.object(t)
	want := map[string]any{"error-code": itoa(status), "error-code-label": label}
	if !equalJSON(m, want) {
		t.Errorf("body %s, want %v", r.body, want)
	}
}

// wantLegacyPrefix checks a legacy error whose label starts with prefix.
func wantLegacyPrefix(t *testing.T, r response, status int, prefix string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.object(t)
	if got := keys(m); !slices.Equal(got, []string{"error-code", "error-code-label"}) {
		t.Errorf("legacy body keys %v", got)
	}
	if m["error-code"] != itoa(status) {
		t.Errorf("error-code %v, want %q", m["error-code"], itoa(status))
	}
	if label, _ := m["error-code-label"].(string); !strings.HasPrefix(label, prefix) {
		t.Errorf("error-code-label %q, want prefix %q", label, prefix)
	}
}

// wantProblem checks an RFC 7807 body: status, type suffix, title, and an
// instance equal to X-Request-Id. It returns the body.
func wantProblem(t *testing.T, r response, status int, typeSuffix, title string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.object(t)
	if m["type"] != problemPrefix+typeSuffix {
		t.Errorf("type %v, want %q", m["type"], problemPrefix+typeSuffix)
	}
	if m["title"] != title {
		t.Errorf("title %v, want %q", m["title"], title)
	}
	if d, _ := m["detail"].(string); d == "" {
		t.Errorf("detail missing in %s", r.body)
	}
	if m["instance"] != r.header.Get("X-Request-Id") {
		t.Errorf("instance %v, X-Request-Id %q", m["instance"], r.header.Get("X-Request-Id"))
	}
	for k := range m {
		if !slices.Contains([]string{"type", "title", "detail", "instance", "invalid_parameters"}, k) {
			t.Errorf("unexpected problem member %q", k)
		}
	}
	return m
}

// wantValidation checks a 400 validation problem naming param.
func wantValidation(t *testing.T, r response, param string) {
	t.Helper()
	m := wantProblem(t, r, http.StatusBadRequest, "/account/secret-management#validation", "Bad Request")
	ps, _ := m["invalid_parameters"].([]any)
	if len(ps) != 1 {
		t.Fatalf("invalid_parameters %v, want one entry", m["invalid_parameters"])
	}
	p, _ := ps[0].(map[string]any)
	if p["name"] != param {
		t.Errorf("invalid_parameters name %v, want %q", p["name"], param)
	}
	if reason, _ := p["reason"].(string); reason == "" {
		t.Errorf("invalid_parameters reason empty")
	}
	wantDetail(t, m, "The request failed due to validation errors")
}

// wantDetail checks a problem's detail exactly: the real service's words,
// which SDKs show to their users.
func wantDetail(t *testing.T, m map[string]any, want string) {
	t.Helper()
	if m["detail"] != want {
		t.Errorf("detail %q, want %q", m["detail"], want)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func itoa(n int) string {
	return strings.TrimSpace(string(must(json.Marshal(n))))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func eur(s string) account.Money { return must(account.ParseMoney("test", s)) }
