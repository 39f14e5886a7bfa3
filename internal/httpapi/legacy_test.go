package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// credModes are the three ways a legacy client authenticates.
var credModes = []string{"query", "form", "basic"}

// withCreds adds key and secret to req the way mode says.
func withCreds(req request, mode, key, secret string) request {
	switch mode {
	case "query":
		if req.query == nil {
			req.query = url.Values{}
		}
		req.query.Set("api_key", key)
		req.query.Set("api_secret", secret)
	case "form":
		if req.form == nil {
			req.form = url.Values{}
		}
		req.form.Set("api_key", key)
		req.form.Set("api_secret", secret)
	case "basic":
		req.basic = []string{key, secret}
	}
	return req
}

func TestBalanceBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		balance    string
		autoReload bool
		want       string
	}{
		{"10.171275", false, `{"value":10.17127500,"autoReload":false}`},
		{"0", false, `{"value":0.00000000,"autoReload":false}`},
		{"0.00000001", true, `{"value":0.00000001,"autoReload":true}`},
		{"123456789.12345678", false, `{"value":123456789.12345678,"autoReload":false}`},
	}
	for _, tc := range tests {
		na := account.NewAccount{Balance: eur(tc.balance)}
		if tc.autoReload {
			na.AutoReload = &account.AutoReload{Threshold: eur("5"), Amount: eur("20")}
		}
		key, secret := e.newAccount(t, na)
		for _, mode := range []string{"query", "basic"} {
			r := e.do(t, withCreds(request{method: "GET", path: "/account/get-balance"}, mode, key, secret))
			if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != tc.want {
				t.Errorf("balance %s via %s: %d %s, want %s", tc.balance, mode, r.status, r.body, tc.want)
			}
		}
	}
}

// TestLegacyAuthModes runs E1–E3 with each credential source, right and
// wrong.
func TestLegacyAuthModes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	trx := e.reloadTrx(t, key)
	endpoints := []struct {
		name   string
		req    request
		wantOK func(t *testing.T, r response)
	}{
		{"E1", request{method: "GET", path: "/account/get-balance"}, func(t *testing.T, r response) {
			if got := keys(r.object(t)); strings.Join(got, ",") != "autoReload,value" {
				t.Errorf("keys %v", got)
			}
		}},
		{"E2", request{method: "POST", path: "/account/top-up", form: url.Values{"trx": {trx}}}, func(t *testing.T, r response) {
			wantLegacy(t, r, 200, "success")
		}},
		{"E2 GET", request{method: "GET", path: "/account/top-up", query: url.Values{"trx": {trx}}}, func(t *testing.T, r response) {
			wantLegacy(t, r, 200, "success")
		}},
		{"E3", request{method: "POST", path: "/account/settings", form: url.Values{}}, func(t *testing.T, r response) {
			want := []string{"dr-callback-url", "max-calls-per-second", "max-inbound-request", "max-outbound-request", "mo-callback-url"}
			if got := keys(r.object(t)); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("keys %v, want %v", got, want)
			}
		}},
	}
	for _, ep := range endpoints {
		for _, mode := range credModes {
			if mode == "form" && ep.req.method == "GET" {
				continue // GET has no form body
			}
			t.Run(ep.name+"/"+mode, func(t *testing.T) {
				r := e.do(t, withCreds(cloneReq(ep.req), mode, key, secret))
				if r.status != http.StatusOK {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				ep.wantOK(t, r)
				r = e.do(t, withCreds(cloneReq(ep.req), mode, key, secret+"x"))
				wantLegacy(t, r, 401, "authentication failed")
				r = e.do(t, withCreds(cloneReq(ep.req), mode, "nosuchkey", secret))
				wantLegacy(t, r, 401, "authentication failed")
			})
		}
		t.Run(ep.name+"/none", func(t *testing.T) {
			wantLegacy(t, e.do(t, cloneReq(ep.req)), 401, "authentication failed")
		})
	}
}

func cloneReq(r request) request {
	if r.query != nil {
		q := url.Values{}
		for k, v := range r.query {
			q[k] = append([]string(nil), v...)
		}
		r.query = q
	}
	if r.form != nil {
		f := url.Values{}
		for k, v := range r.form {
			f[k] = append([]string(nil), v...)
		}
		r.form = f
	}
	return r
}

func TestTopUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	trx := e.reloadTrx(t, key) // balance 10 - 6 + 20 = 24
	other, _ := e.newReloadingAccount(t, account.NewAccount{})
	otherTrx := e.reloadTrx(t, other)
	plain, plainSecret := e.newAccount(t, account.NewAccount{Balance: eur("10")})

	topUp := func(k, s string, form, query url.Values) response {
		return e.do(t, withCreds(request{method: "POST", path: "/account/top-up", form: form, query: query}, "basic", k, s))
	}
	wantLegacy(t, topUp(key, secret, url.Values{"trx": {trx}}, nil), 200, "success")
	// The trx may also come in the query string.
	wantLegacy(t, topUp(key, secret, nil, url.Values{"trx": {trx}}), 200, "success")
	if got := e.snapshot(t, key).Balance; got != eur("64") {
		t.Errorf("balance after two top-ups %s, want 64.00", got)
	}
	wantLegacy(t, topUp(key, secret, url.Values{"trx": {"0123456789abcdef0123456789abcdef"}}, nil), 400, "trx: is not a reload of this account")
	wantLegacy(t, topUp(key, secret, url.Values{"trx": {otherTrx}}, nil), 400, "trx: is not a reload of this account")
	wantLegacy(t, topUp(key, secret, url.Values{}, nil), 400, "trx: is required")
	wantLegacyPrefix(t, topUp(key, secret, url.Values{"trx": {strings.Repeat("a", 100)}}, nil), 400, "trx: ")
	wantLegacy(t, topUp(plain, plainSecret, url.Values{"trx": {trx}}, nil), 401, "not auto-reload enabled")
	if got := e.snapshot(t, key).Balance; got != eur("64") {
		t.Errorf("balance after failed top-ups %s, want 64.00", got)
	}
}

// TestTopUpGET checks E2 sent as a GET, as a shipped .NET SDK does: trx in
// the query, credentials in the query or a Basic header, with the same
// answers as the POST.
func TestTopUpGET(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	trx := e.reloadTrx(t, key) // balance 10 - 6 + 20 = 24
	plain, plainSecret := e.newAccount(t, account.NewAccount{Balance: eur("10")})

	get := func(mode, k, s string, query url.Values) response {
		return e.do(t, withCreds(request{method: "GET", path: "/account/top-up", query: query}, mode, k, s))
	}
	wantLegacy(t, get("query", key, secret, url.Values{"trx": {trx}}), 200, "success")
	wantLegacy(t, get("basic", key, secret, url.Values{"trx": {trx}}), 200, "success")
	r := e.do(t, request{method: "GET", path: "/account/top-up/", query: url.Values{"trx": {trx}}, basic: []string{key, secret}})
	wantLegacy(t, r, 200, "success")
	if got := e.snapshot(t, key).Balance; got != eur("84") {
		t.Errorf("balance after three GET top-ups %s, want 84.00", got)
	}
	wantLegacy(t, get("query", key, secret+"x", url.Values{"trx": {trx}}), 401, "authentication failed")
	wantLegacy(t, get("basic", key, secret, url.Values{"trx": {"0123456789abcdef0123456789abcdef"}}), 400, "trx: is not a reload of this account")
	wantLegacy(t, get("query", key, secret, url.Values{}), 400, "trx: is required")
	wantLegacy(t, get("basic", plain, plainSecret, url.Values{"trx": {trx}}), 401, "not auto-reload enabled")
	// HEAD must change nothing: a GET that moves money is not served to it.
	for _, path := range []string{"/account/top-up", "/account/top-up/"} {
		r := e.do(t, request{method: "HEAD", path: path, query: url.Values{"trx": {trx}}, basic: []string{key, secret}})
		if r.status != 405 || r.header.Get("Allow") != "GET, POST" {
			t.Errorf("HEAD %s: %d, Allow %q; want 405, Allow \"GET, POST\"", path, r.status, r.header.Get("Allow"))
		}
	}
	if got := e.snapshot(t, key).Balance; got != eur("84") {
		t.Errorf("balance after failed GET top-ups and HEADs %s, want 84.00", got)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{
		Limits: &account.Limits{MaxOutboundRequest: 10, MaxInboundRequest: 20, MaxCallsPerSecond: 5},
	})
	post := func(form, query url.Values) response {
		return e.do(t, withCreds(request{method: "POST", path: "/account/settings", form: form, query: query}, "basic", key, secret))
	}
	want := func(r response, mo, dr string) {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		m := r.object(t)
		exp := map[string]any{
			"mo-callback-url": mo, "dr-callback-url": dr,
			"max-outbound-request": 10, "max-inbound-request": 20, "max-calls-per-second": 5,
		}
		if !equalJSON(m, exp) {
			t.Errorf("settings %s, want %v", r.body, exp)
		}
	}
	const mo, dr = "https://example.com/webhooks/inbound-sms?a=1&b=2", "http://example.com/dr"
	want(post(nil, nil), "", "")                               // a read
	want(post(url.Values{"moCallBackUrl": {mo}}, nil), mo, "") // form
	want(post(nil, url.Values{"drCallBackUrl": {dr}}), mo, dr) // query
	want(post(url.Values{}, nil), mo, dr)                      // absent leaves alone
	want(post(url.Values{"moCallBackUrl": {""}}, nil), "", dr) // empty clears
	want(post(url.Values{"moCallbackUrl": {mo}}, nil), mo, dr) // alias
	want(post(url.Values{"drCallbackUrl": {""}}, nil), mo, "") // alias clears
	// Duplicates: the first value wins; body before query; documented
	// spelling before alias.
	want(post(url.Values{"drCallBackUrl": {dr, "ftp://x"}}, nil), mo, dr)
	want(post(url.Values{"drCallBackUrl": {""}}, url.Values{"drCallBackUrl": {"ftp://x"}}), mo, "")
	want(post(url.Values{"moCallBackUrl": {""}, "moCallbackUrl": {"https://alias.example"}}, nil), "", "")
	if !strings.Contains(string(post(url.Values{"moCallBackUrl": {mo}}, nil).body), `?a=1&b=2`) {
		t.Error("URL with & is not written as is")
	}

	bad := []struct{ field, value string }{
		{"moCallBackUrl", "ftp://example.com/x"},
		{"moCallBackUrl", "/relative/path"},
		{"moCallBackUrl", "https://example.com/" + strings.Repeat("a", 3000)},
		{"moCallBackUrl", "https://exa mple.com/"},
		{"moCallBackUrl", "javascript:alert(1)"},
		{"drCallBackUrl", "http://"},
		{"drCallbackUrl", "example.com"},
	}
	before := e.snapshot(t, key)
	for _, b := range bad {
		field := b.field
		if strings.HasSuffix(field, "backUrl") { // the alias is reported under the documented name
			field = strings.Replace(field, "backUrl", "BackUrl", 1)
		}
		wantLegacyPrefix(t, post(url.Values{b.field: {b.value}}, nil), 400, field+": ")
		// A good URL next to a bad one is not applied either.
		other := "drCallBackUrl"
		if strings.HasPrefix(field, "dr") {
			other = "moCallBackUrl"
		}
		wantLegacyPrefix(t, post(url.Values{b.field: {b.value}, other: {"https://good.example"}}, nil), 400, field+": ")
	}
	if after := e.snapshot(t, key); !equalJSON(before, after) {
		t.Errorf("state changed by rejected settings: %+v -> %+v", before, after)
	}
}
