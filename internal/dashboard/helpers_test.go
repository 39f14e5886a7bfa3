package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// adminToken is the operator's token in these tests.
const adminToken = "dashboard-test-admin-token-0123456789"

// testServer starts a server with the dashboard and the admin token, and
// one primary account (key, secret) with a subaccount.
func testServer(t *testing.T, edit ...func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.TestConfig()
	cfg.AdminToken = adminToken
	for _, e := range edit {
		e(&cfg)
	}
	srv := testutil.StartServer(t, cfg)
	mustCreate(t, srv, account.NewAccount{APIKey: primaryKey, Secret: primarySecret, Balance: 12_50_000_000})
	mustCreate(t, srv, account.NewAccount{APIKey: subKey, Secret: subSecret, PrimaryAPIKey: primaryKey})
	return srv
}

const (
	primaryKey    = "dashprim1"
	primarySecret = "Primary1Secret"
	subKey        = "dashsub01"
	subSecret     = "Sub1Secret"
)

func mustCreate(t *testing.T, srv *server.Server, na account.NewAccount) {
	t.Helper()
	if _, _, err := srv.Service.CreateAccount(context.Background(), na); err != nil {
		t.Fatalf("CreateAccount(%s): %v", na.APIKey, err)
	}
}

// visitor is a browser without JavaScript: a cookie jar, redirects not
// followed, so each answer can be checked.
type visitor struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newVisitor(t *testing.T, base string) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer, read whole.
type page struct {
	status int
	header http.Header
	body   string
}

func (v *visitor) do(req *http.Request) page {
	v.t.Helper()
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (v *visitor) get(path string) page {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.base+path, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return v.do(req)
}

// post submits form to path; headers are extra request headers.
func (v *visitor) post(path string, form url.Values, headers ...string) page {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return v.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf returns the CSRF token of the forms on the page at path.
func (v *visitor) csrf(path string) string {
	v.t.Helper()
	p := v.get(path)
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		v.t.Fatalf("GET %s (%d): no csrf field", path, p.status)
	}
	return m[1]
}

// signIn signs in with key and secret and returns the answer.
func (v *visitor) signIn(key, secret string) page {
	v.t.Helper()
	return v.post("/dashboard/signin", url.Values{"csrf": {v.csrf("/dashboard/signin")}, "api_key": {key}, "api_secret": {secret}})
}

// mustSignIn signs in and fails the test unless it worked.
func (v *visitor) mustSignIn(key, secret string) {
	v.t.Helper()
	if p := v.signIn(key, secret); p.status != http.StatusSeeOther || p.header.Get("Location") != "/dashboard/account" {
		v.t.Fatalf("sign in as %s: %d to %q, want 303 to /dashboard/account", key, p.status, p.header.Get("Location"))
	}
}

// signInOperator signs in with the admin token.
func (v *visitor) signInOperator(token string) page {
	v.t.Helper()
	return v.post("/dashboard/signin/operator", url.Values{"csrf": {v.csrf("/dashboard/signin")}, "admin_token": {token}})
}

// cookie returns the jar's value of the session cookie.
func (v *visitor) cookie() string {
	u, _ := url.Parse(v.base + "/dashboard/")
	for _, c := range v.c.Jar.Cookies(u) {
		if c.Name == "vonage_dashboard" {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a session cookie in the jar, as a planted or copied one.
func (v *visitor) setCookie(value string) {
	u, _ := url.Parse(v.base + "/dashboard/")
	v.c.Jar.SetCookies(u, []*http.Cookie{{Name: "vonage_dashboard", Value: value, Path: "/dashboard/"}})
}

// wantSignedOut checks that the account page sends the visitor to sign in.
func (v *visitor) wantSignedOut(why string) {
	v.t.Helper()
	p := v.get("/dashboard/account")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/dashboard/signin") {
		v.t.Fatalf("%s: GET /dashboard/account = %d to %q, want 303 to sign-in", why, p.status, p.header.Get("Location"))
	}
}

func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%.2000s", what, p.status, status, p.body)
	}
}

var (
	generatedSecret = regexp.MustCompile(`id="generated-secret">([^<]+)<`)
	idemField       = regexp.MustCompile(`name="idem" value="([^"]*)"`)
)
