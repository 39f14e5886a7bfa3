package dashboard_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/dashboard"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// Security over HTTP, without a browser: cookie flags, session fixation,
// CSRF, the Content-Security-Policy, sessions ending, and no secret in any
// page. These always run.

func TestCookieFlags(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	v := newVisitor(t, srv.URL)
	p := v.signIn(primaryKey, primarySecret)
	wantStatus(t, "sign in", p, http.StatusSeeOther)
	var sess *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "vonage_dashboard" {
			sess = c
		}
	}
	if sess == nil {
		t.Fatalf("no session cookie in %q", p.header.Values("Set-Cookie"))
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/dashboard/" || sess.Secure {
		t.Errorf("session cookie over HTTP = %+v; want HttpOnly, SameSite=Strict, Path=/dashboard/, not Secure", sess)
	}
	if want := int(dashboard.DefaultSessionLifetime.Seconds()); sess.MaxAge != want {
		t.Errorf("session cookie Max-Age = %d, want the fixed lifetime %d", sess.MaxAge, want)
	}
	if len(sess.Value) < 40 {
		t.Errorf("session token %d characters long, want at least 40 (32 random bytes)", len(sess.Value))
	}

	// Over TLS the cookie is Secure too.
	h := dashboard.New(dashboard.Config{Service: srv.Service, Sessions: srv.Store.(account.SessionStore)})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "https://localhost/dashboard/signin", nil)
	req.TLS = &tls.ConnectionState{}
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s over TLS = %+v; want Secure, HttpOnly, SameSite=Strict", c.Name, c)
		}
	}
	if len(rec.Result().Cookies()) == 0 {
		t.Error("the sign-in page over TLS set no cookie")
	}
}

// TestSessionFixation: a session id the browser brings is never adopted,
// and signing in again ends the session the browser held.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	v := newVisitor(t, srv.URL)
	const planted = "attacker-chosen-session-token-0123456789abcdef"
	v.setCookie(planted)
	v.mustSignIn(primaryKey, primarySecret)
	first := v.cookie()
	if first == planted || first == "" {
		t.Fatalf("after sign-in the session cookie is %q: the planted one was kept", first)
	}
	attacker := newVisitor(t, srv.URL)
	attacker.setCookie(planted)
	attacker.wantSignedOut("the planted token")

	// An attacker who plants a session of their own loses it when the
	// victim signs in over it.
	v.mustSignIn(primaryKey, primarySecret)
	if second := v.cookie(); second == first {
		t.Fatal("signing in again kept the same session token")
	}
	attacker.setCookie(first)
	attacker.wantSignedOut("the session a second sign-in replaced")
}

// TestCSRFRefused: a POST without the form's token, with another one, or
// from another site changes nothing.
func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	v := newVisitor(t, srv.URL)
	v.mustSignIn(primaryKey, primarySecret)
	token := v.csrf("/dashboard/account")
	const url1 = "https://example.com/mo"
	for _, tc := range []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"no token", url.Values{"mo": {url1}, "dr": {""}}, nil},
		{"wrong token", url.Values{"csrf": {strings.Repeat("0", 64)}, "mo": {url1}, "dr": {""}}, nil},
		{"cross-site", url.Values{"csrf": {token}, "mo": {url1}, "dr": {""}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{"other origin", url.Values{"csrf": {token}, "mo": {url1}, "dr": {""}}, []string{"Origin", "https://evil.example"}},
	} {
		p := v.post("/dashboard/account/settings", tc.form, tc.headers...)
		wantStatus(t, tc.name, p, http.StatusForbidden)
	}
	acct, _, err := srv.Service.AccountDetails(t.Context(), primaryKey)
	if err != nil || acct.Settings.MoCallbackURL != "" {
		t.Fatalf("after refused posts the settings are %+v (%v), want unchanged", acct.Settings, err)
	}
	p := v.post("/dashboard/account/settings", url.Values{"csrf": {token}, "mo": {url1}, "dr": {""}})
	wantStatus(t, "with the token", p, http.StatusSeeOther)
	if acct, _, _ := srv.Service.AccountDetails(t.Context(), primaryKey); acct.Settings.MoCallbackURL != url1 {
		t.Fatalf("with the token the setting is %q, want %q", acct.Settings.MoCallbackURL, url1)
	}

	// The sign-in form has its own token, before any session.
	fresh := newVisitor(t, srv.URL)
	p = fresh.post("/dashboard/signin", url.Values{"api_key": {primaryKey}, "api_secret": {primarySecret}})
	wantStatus(t, "sign-in without its token", p, http.StatusForbidden)
	fresh.wantSignedOut("after a sign-in without its token")
}

// TestCSPEverywhere: every page, signed in or not, error or not, carries
// the policy, and no page holds a script.
func TestCSPEverywhere(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	v := newVisitor(t, srv.URL)
	op := newVisitor(t, srv.URL)
	paths := []string{"/dashboard/signin", "/dashboard/nowhere", "/dashboard/static/dashboard.css"}
	check := func(who *visitor, path string) {
		p := who.get(path)
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if strings.Contains(strings.ToLower(p.body), "<script") || strings.Contains(p.body, " style=") {
			t.Errorf("GET %s: the page has a script or inline style", path)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: headers %v", path, p.header)
		}
	}
	for _, path := range paths {
		check(v, path)
	}
	v.mustSignIn(primaryKey, primarySecret)
	for _, path := range []string{"/dashboard/account", "/dashboard/keys/" + subKey + "/secrets", "/dashboard/keys/" + primaryKey + "/rotate"} {
		check(v, path)
	}
	wantStatus(t, "operator sign-in", op.signInOperator(adminToken), http.StatusSeeOther)
	for _, path := range []string{"/dashboard/operator/accounts", "/dashboard/operator/accounts/" + primaryKey, "/dashboard/operator/ledger"} {
		check(op, path)
	}
}

// TestNoSecretInAnyPage: neither the secret signed in with nor a typed new
// one is ever rendered; a generated one is rendered once, on the page
// answering its creation.
func TestNoSecretInAnyPage(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	v := newVisitor(t, srv.URL)
	v.mustSignIn(primaryKey, primarySecret)
	token := v.csrf("/dashboard/account")
	const typed = "Typed2NewSecret"
	p := v.post("/dashboard/keys/"+subKey+"/secrets", url.Values{"csrf": {token}, "secret": {typed}, "secret_again": {typed}})
	wantStatus(t, "create a typed secret", p, http.StatusCreated)
	if strings.Contains(p.body, typed) {
		t.Fatal("the creation page shows the secret that was typed")
	}
	// Generated for the primary: shown once.
	p = v.post("/dashboard/keys/"+primaryKey+"/secrets", url.Values{"csrf": {token}})
	wantStatus(t, "create a generated secret", p, http.StatusCreated)
	m := generatedSecret.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the creation page of a generated secret does not show it:\n%s", p.body)
	}
	generated := m[1]
	if err := account.ValidateSecret(generated); err != nil {
		t.Fatalf("the generated secret breaks the rules: %v", err)
	}
	if _, err := srv.Service.Authenticate(t.Context(), primaryKey, generated, "192.0.2.1"); err != nil {
		t.Fatalf("the generated secret does not sign in: %v", err)
	}
	secrets := []string{primarySecret, subSecret, typed, generated, adminToken}
	op := newVisitor(t, srv.URL)
	wantStatus(t, "operator sign-in", op.signInOperator(adminToken), http.StatusSeeOther)
	pages := map[*visitor][]string{
		v: {"/dashboard/account", "/dashboard/keys/" + subKey + "/secrets", "/dashboard/keys/" + primaryKey + "/rotate",
			"/dashboard/keys/" + primaryKey + "/secrets", "/dashboard/signin"},
		op: {"/dashboard/operator/accounts", "/dashboard/operator/accounts/" + primaryKey, "/dashboard/operator/accounts/" + subKey, "/dashboard/operator/ledger"},
	}
	for who, paths := range pages {
		for _, path := range paths {
			p := who.get(path)
			wantStatus(t, path, p, http.StatusOK)
			for _, s := range secrets {
				if strings.Contains(p.body, s) {
					t.Errorf("GET %s shows a secret", path)
				}
			}
			if strings.Contains(p.body, "$argon2id$") {
				t.Errorf("GET %s shows a hash", path)
			}
		}
	}
}

// TestSessionEnds: sign-out deletes the session (a copied cookie no longer
// works), revoking the secret that opened it ends it, on any instance,
// and so does its fixed lifetime.
func TestSessionEnds(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	srv := testServer(t, func(c *server.Config) { c.Clock = func() time.Time { return clock() } })

	v := newVisitor(t, srv.URL)
	v.mustSignIn(primaryKey, primarySecret)
	copied := v.cookie()
	wantStatus(t, "sign out", v.post("/dashboard/signout", url.Values{"csrf": {v.csrf("/dashboard/account")}}), http.StatusSeeOther)
	thief := newVisitor(t, srv.URL)
	thief.setCookie(copied)
	thief.wantSignedOut("a copy of a signed-out session")

	// Revoked secret: the session opened with it ends, another survives.
	second := "Second2Secret"
	if _, err := srv.Service.CreateSecret(t.Context(), account.Account{APIKey: subKey}, subKey, second); err != nil {
		t.Fatal(err)
	}
	a, b := newVisitor(t, srv.URL), newVisitor(t, srv.URL)
	a.mustSignIn(subKey, subSecret)
	b.mustSignIn(subKey, second)
	list, _ := srv.Service.ListSecrets(t.Context(), account.Account{APIKey: subKey}, subKey)
	if err := srv.Service.RevokeSecret(t.Context(), account.Account{APIKey: subKey}, subKey, list[0].ID); err != nil {
		t.Fatal(err)
	}
	a.wantSignedOut("the session of a revoked secret")
	wantStatus(t, "the session of the other secret", b.get("/dashboard/account"), http.StatusOK)

	// The fixed lifetime, however active the session.
	now = now.Add(dashboard.DefaultSessionLifetime + time.Second)
	b.wantSignedOut("a session past its lifetime")
}

// TestSignInRefusals: a wrong secret is refused, and past the failure
// limit the address waits (429 with Retry-After), as on the API.
func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	srv := testServer(t, func(c *server.Config) {
		c.AuthLimits = account.AuthLimits{PerPair: 3, PerAddr: 50, Window: time.Minute}
	})
	v := newVisitor(t, srv.URL)
	for i := range 3 {
		p := v.signIn(primaryKey, "Wrong1Secret")
		wantStatus(t, "wrong secret", p, http.StatusUnauthorized)
		if i == 0 && (strings.Contains(p.body, "Wrong1Secret") || !strings.Contains(p.body, "not accepted")) {
			t.Fatalf("refusal page:\n%s", p.body)
		}
	}
	p := v.signIn(primaryKey, primarySecret)
	wantStatus(t, "past the failure limit", p, http.StatusTooManyRequests)
	if p.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	v.wantSignedOut("after refusals")
	// The operator's sign-in shares the admin API's limit.
	op := newVisitor(t, srv.URL)
	wantStatus(t, "wrong admin token", op.signInOperator("not-the-admin-token-at-all-000"), http.StatusUnauthorized)
	// An account session cannot open operator pages.
	w := newVisitor(t, srv.URL)
	w.mustSignIn(subKey, subSecret)
	wantStatus(t, "operator page as an account", w.get("/dashboard/operator/accounts"), http.StatusForbidden)
	wantStatus(t, "another account's secrets", w.get("/dashboard/keys/"+primaryKey+"/secrets"), http.StatusNotFound)
}

// TestOperatorMoneyOnce: submitting one rendering of the credit form twice
// moves the money once.
func TestOperatorMoneyOnce(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	op := newVisitor(t, srv.URL)
	wantStatus(t, "operator sign-in", op.signInOperator(adminToken), http.StatusSeeOther)
	p := op.get("/dashboard/operator/accounts/" + primaryKey)
	idem := idemField.FindStringSubmatch(p.body)
	if idem == nil {
		t.Fatal("the credit form has no idempotency key")
	}
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(p.body)[1]}, "idem": {idem[1]}, "amount": {"2.25"}, "reference": {"double click"}}
	first := op.post("/dashboard/operator/accounts/"+primaryKey+"/credit", form)
	second := op.post("/dashboard/operator/accounts/"+primaryKey+"/credit", form)
	wantStatus(t, "first submit", first, http.StatusSeeOther)
	wantStatus(t, "second submit", second, http.StatusSeeOther)
	if !strings.Contains(second.header.Get("Location"), "done=replayed") {
		t.Errorf("second submit went to %q, want the replay message", second.header.Get("Location"))
	}
	acct, _, err := srv.Service.AccountDetails(t.Context(), primaryKey)
	if err != nil || acct.Balance.String() != "14.75" {
		t.Fatalf("balance after a double submit of 2.25 on 12.50 = %s (%v), want 14.75", acct.Balance, err)
	}
	// A bad amount is shown next to the field and moves nothing.
	form.Set("amount", "-1")
	form.Set("idem", "another-rendering")
	bad := op.post("/dashboard/operator/accounts/"+primaryKey+"/credit", form)
	wantStatus(t, "bad amount", bad, http.StatusBadRequest)
	if !strings.Contains(bad.body, `id="credit-err"`) {
		t.Error("the refused amount's message is not next to its field")
	}
}

// TestDashboardOff: --dashboard=false leaves /dashboard/ to the API's 404.
func TestDashboardOff(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	cfg.Dashboard = false
	srv := testutil.StartServer(t, cfg)
	p := newVisitor(t, srv.URL).get("/dashboard/signin")
	if p.status != http.StatusNotFound || strings.Contains(p.body, "<html") {
		t.Fatalf("GET /dashboard/signin with the dashboard off = %d:\n%s", p.status, p.body)
	}
}

// TestRotateOwnSecret: the guided rotation creates and verifies the new
// secret, revokes the one signed in with, and moves the session to the new
// one; the old secret no longer signs in.
func TestRotateOwnSecret(t *testing.T) {
	t.Parallel()
	srv := testServer(t)
	v := newVisitor(t, srv.URL)
	v.mustSignIn(primaryKey, primarySecret)
	before := v.cookie()
	const rotated = "Rotated7Secret"
	p := v.post("/dashboard/keys/"+primaryKey+"/rotate", url.Values{"csrf": {v.csrf("/dashboard/account")}, "secret": {rotated}, "secret_again": {rotated}})
	wantStatus(t, "rotate", p, http.StatusOK)
	for _, step := range []string{"list", "create", "verify", "revoke"} {
		if !strings.Contains(p.body, "<strong>"+step+"</strong>") {
			t.Errorf("the result does not show the %s step", step)
		}
	}
	if strings.Contains(p.body, rotated) || strings.Contains(p.body, "failed") {
		t.Fatalf("rotation result:\n%s", p.body)
	}
	if v.cookie() == before {
		t.Fatal("the session was not moved to the new secret")
	}
	wantStatus(t, "account after the rotation", v.get("/dashboard/account"), http.StatusOK)
	if _, err := srv.Service.Authenticate(t.Context(), primaryKey, primarySecret, "192.0.2.9"); account.ErrorCode(err) != account.EUNAUTHORIZED {
		t.Fatalf("the old secret after the rotation: %v, want refused", err)
	}
	if _, err := srv.Service.Authenticate(t.Context(), primaryKey, rotated, "192.0.2.9"); err != nil {
		t.Fatalf("the new secret after the rotation: %v", err)
	}
}

// TestCookieBehindTLSProxy: behind a TLS-terminating proxy that
// --trusted-proxies names, the proxy's X-Forwarded-Proto: https makes the
// cookies Secure; the same header from any other client does not, and
// --dashboard-session-lifetime sets the session's Max-Age.
func TestCookieBehindTLSProxy(t *testing.T) {
	t.Parallel()
	srv := testServer(t, func(c *server.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.DashboardSessionLifetime = 90 * time.Minute
	})
	for _, tc := range []struct {
		name   string
		proto  string
		secure bool
	}{{"proxy says https", "https", true}, {"proxy says http", "http", false}, {"no header", "", false}} {
		v := newVisitor(t, srv.URL)
		var headers []string
		if tc.proto != "" {
			headers = []string{"X-Forwarded-Proto", tc.proto}
		}
		p := v.post("/dashboard/signin", url.Values{"csrf": {v.csrf("/dashboard/signin")}, "api_key": {primaryKey}, "api_secret": {primarySecret}}, headers...)
		wantStatus(t, tc.name+": sign in", p, http.StatusSeeOther)
		cookies := (&http.Response{Header: p.header}).Cookies()
		if len(cookies) == 0 {
			t.Fatalf("%s: no cookie set", tc.name)
		}
		for _, c := range cookies {
			if c.Secure != tc.secure {
				t.Errorf("%s: cookie %s Secure = %v, want %v", tc.name, c.Name, c.Secure, tc.secure)
			}
			if c.Name == "vonage_dashboard" && c.MaxAge != 90*60 {
				t.Errorf("%s: session Max-Age = %d, want 5400 (--dashboard-session-lifetime 90m)", tc.name, c.MaxAge)
			}
		}
	}

	// Without --trusted-proxies, the header proves nothing.
	plain := testServer(t)
	v := newVisitor(t, plain.URL)
	req, _ := http.NewRequest(http.MethodGet, plain.URL+"/dashboard/signin", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	for _, c := range (&http.Response{Header: v.do(req).header}).Cookies() {
		if c.Secure {
			t.Errorf("cookie %s Secure from an untrusted X-Forwarded-Proto", c.Name)
		}
	}
}
