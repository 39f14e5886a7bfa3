package httpapi_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

func TestTrailingSlash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	creds := []string{key, secret}
	ids := listIDs(t, e, key, creds)
	r := e.do(t, request{method: "POST", path: "/accounts/" + key + "/secrets/", basic: creds, body: `{"secret":"Slash1Secret"}`})
	if r.status != 201 {
		t.Fatalf("create with slash: %d %s", r.status, r.body)
	}
	second := wantSecretObject(t, r.object(t), key)
	for _, tc := range []struct {
		req  request
		want int
	}{
		{request{method: "GET", path: "/account/get-balance/", basic: creds}, 200},
		{request{method: "POST", path: "/account/settings/", basic: creds}, 200},
		{request{method: "POST", path: "/account/top-up/", basic: creds}, 401}, // reached: no auto-reload
		{request{method: "GET", path: "/accounts/" + key + "/secrets/", basic: creds}, 200},
		{request{method: "GET", path: "/accounts/" + key + "/secrets/" + ids[0] + "/", basic: creds}, 200},
		{request{method: "DELETE", path: "/accounts/" + key + "/secrets/" + second + "/", basic: creds}, 204},
		{request{method: "GET", path: "/healthz/"}, 200},
		{request{method: "GET", path: "/readyz/"}, 200},
		{request{method: "GET", path: "/admin/accounts/" + key + "/", bearer: adminToken}, 200},
		{request{method: "POST", path: "/admin/accounts/", bearer: adminToken, body: `{}`}, 201},
	} {
		if r := e.do(t, tc.req); r.status != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.req.method, tc.req.path, r.status, r.body, tc.want)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const id = "07239aeb-d756-4c32-a1de-cf64f8b21827"
	for _, tc := range []struct {
		method, path, allow string
		legacy              bool
	}{
		{"POST", "/account/get-balance", "GET, HEAD", true},
		{"DELETE", "/account/get-balance/", "GET, HEAD", true},
		{"PUT", "/account/top-up", "GET, POST", true},
		{"PUT", "/account/settings", "POST", true},
		{"GET", "/account/settings/", "POST", true},
		{"PUT", "/accounts/abcd1234/secrets", "GET, HEAD, POST", false},
		{"DELETE", "/accounts/abcd1234/secrets/", "GET, HEAD, POST", false},
		{"POST", "/accounts/abcd1234/secrets/" + id, "GET, HEAD, DELETE", false},
		{"PATCH", "/accounts/abcd1234/secrets/" + id + "/", "GET, HEAD, DELETE", false},
		{"POST", "/healthz", "GET, HEAD", false},
		{"DELETE", "/readyz", "GET, HEAD", false},
		{"OPTIONS", "/readyz", "GET, HEAD", false},
	} {
		r := e.do(t, request{method: tc.method, path: tc.path})
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if tc.legacy {
			wantLegacy(t, r, 405, "method not allowed")
		} else {
			wantProblem(t, r, 405, "#method-not-allowed", "Method Not Allowed")
		}
	}
}

func TestUnknownPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/", "/account", "/account/get-balances", "/accounts", "/accounts/abcd1234", "/accounts/abcd1234/secrets/x/y", "/admin", "/nope?api_secret=x"} {
		u, _ := url.Parse(p)
		r := e.do(t, request{method: "GET", path: u.Path, query: u.Query()})
		wantProblem(t, r, 404, "#not-found", "Not Found")
	}
	// Unclean paths are not redirected: a redirect would echo the query,
	// secret included, in Location.
	key, secret := e.newAccount(t, account.NewAccount{})
	for _, p := range []string{"/account//get-balance", "//account//get-balance", "/account/./get-balance", "//account/./get-balance", "/x/../account/get-balance", "/accounts/" + key + "//secrets"} {
		r := e.do(t, request{method: "GET", path: p, query: url.Values{"api_key": {key}, "api_secret": {secret}}, basic: []string{key, secret}})
		wantProblem(t, r, 404, "#not-found", "Not Found")
		if loc := r.header.Get("Location"); loc != "" {
			t.Errorf("%s: redirected to %q", p, loc)
		}
	}
}

// TestLeadingSlashes checks that repeated leading slashes count as one, as
// a base URL with a trailing slash makes the Node SDK send them, on every
// route family, without a redirect.
func TestLeadingSlashes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{Balance: eur("10")})
	creds := []string{key, secret}
	for _, tc := range []struct {
		req  request
		want int
	}{
		{request{method: "GET", path: "//account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {secret}}}, 200},
		{request{method: "GET", path: "///account/get-balance/", basic: creds}, 200},
		{request{method: "POST", path: "//account/settings", form: url.Values{"api_key": {key}, "api_secret": {secret}}}, 200},
		{request{method: "GET", path: "//accounts/" + key + "/secrets", basic: creds}, 200},
		{request{method: "GET", path: "//healthz"}, 200},
		{request{method: "GET", path: "//admin/accounts/" + key, bearer: adminToken}, 200},
	} {
		r := e.do(t, tc.req)
		if r.status != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.req.method, tc.req.path, r.status, r.body, tc.want)
		}
		if loc := r.header.Get("Location"); loc != "" {
			t.Errorf("%s %s: redirected to %q", tc.req.method, tc.req.path, loc)
		}
	}
	r := e.do(t, request{method: "GET", path: "//account/get-balance", basic: creds})
	if got := strings.TrimSpace(string(r.body)); got != `{"value":10.00000000,"autoReload":false}` {
		t.Errorf("balance through //: %s", got)
	}
	// Wrong credentials and wrong methods are answered as on the clean path.
	wantLegacy(t, e.do(t, request{method: "GET", path: "//account/get-balance", basic: []string{key, secret + "x"}}), 401, "authentication failed")
	wantLegacy(t, e.do(t, request{method: "POST", path: "//account/get-balance", basic: creds}), 405, "method not allowed")
	wantProblem(t, e.do(t, request{method: "GET", path: "//nope"}), 404, "#not-found", "Not Found")
}

// TestReadyzLimits: /readyz says where the limits are counted only with
// --limits-url; an instance whose Redis does not answer stays ready.
func TestReadyzLimits(t *testing.T) {
	t.Parallel()
	if r := newEnv(t).do(t, request{method: "GET", path: "/readyz"}); string(r.body) != `{"status":"ready"}`+"\n" {
		t.Errorf("without --limits-url: %s", r.body)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "redis://" + ln.Addr().String() + "/0"
	ln.Close() // nothing listens there: Redis is down from the start
	e := newEnv(t, withConfig(func(c *server.Config) { c.LimitsURL = gone }))
	r := e.do(t, request{method: "GET", path: "/readyz"})
	if r.status != 200 || string(r.body) != `{"status":"ready","limits":"local-fallback"}`+"\n" {
		t.Errorf("with Redis down: %d %s", r.status, r.body)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	for _, p := range []string{"/healthz", "/readyz"} {
		r := e.do(t, request{method: "GET", path: p})
		if r.status != 200 {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}

	// With the database gone: alive, not ready, and every other request a
	// generic 500 whose cause is only in the log.
	e.store.Close()
	if r := e.do(t, request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz without a database: %d", r.status)
	}
	wantProblem(t, e.do(t, request{method: "GET", path: "/readyz", allow500: true}), 503, "#unavailable", "Service Unavailable")

	r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}, allow500: true})
	id := r.header.Get("X-Request-Id")
	wantLegacy(t, r, 500, "internal error (request id "+id+")")
	r = e.do(t, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: []string{key, secret}, allow500: true})
	m := wantProblem(t, r, 500, "#internal-error", "Internal Server Error")
	if strings.Contains(m["detail"].(string), "sql") {
		t.Errorf("500 detail leaks the cause: %q", m["detail"])
	}
	if !strings.Contains(e.logs.String(), `"msg":"internal error"`) || !strings.Contains(e.logs.String(), r.header.Get("X-Request-Id")) {
		t.Errorf("the cause of the 500 is not logged with its request id:\n%s", e.logs.String())
	}
}

func TestRequestIDsAreFresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seen := map[string]bool{}
	for range 20 {
		r := e.do(t, request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "client-chosen"}})
		id := r.header.Get("X-Request-Id")
		if seen[id] {
			t.Fatalf("request id %s repeated", id)
		}
		seen[id] = true
	}
}

func TestHead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	if r := e.do(t, request{method: "HEAD", path: "/account/get-balance", basic: []string{key, secret}}); r.status != http.StatusOK {
		t.Errorf("HEAD balance: %d", r.status)
	}
}
