package httpapi_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// The canaries are distinctive, valid secrets: whatever a client does with
// them, they must never reach a log line or a response body.
const (
	canary      = "Cz7CanaryQx9Lv"
	canaryNew   = "Dq8CanaryZz1Mm"
	canaryAdmin = "Ew5CanaryYy2Nn"
)

func canaryRequests(key, trx string) []request {
	basic := []string{key, canary}
	secrets := "/accounts/" + key + "/secrets"
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	return []request{
		// Legacy credentials in the query, the form and a Basic header,
		// right and wrong.
		{method: "GET", path: "/account/get-balance", query: q("api_key", key, "api_secret", canary)},
		{method: "GET", path: "/account/get-balance", query: q("api_key", "wrongkey", "api_secret", canary)},
		{method: "GET", path: "/account/get-balance", query: q("api_key", key, "api_secret", canary+"x")},
		{method: "GET", path: "/account/get-balance", rawQuery: "api_key=" + key + "&api_secret=" + canary + "&bad=%zz"},
		{method: "GET", path: "/account/get-balance", basic: basic},
		{method: "GET", path: "/account/get-balance", basic: []string{"wrongkey", canary}},
		{method: "GET", path: "/account/get-balance", header: map[string]string{"Authorization": "Basic " + canary}},
		{method: "POST", path: "/account/top-up", form: q("api_key", key, "api_secret", canary, "trx", trx)},
		{method: "POST", path: "/account/top-up", form: q("api_key", key, "api_secret", canary, "trx", canary)},
		{method: "POST", path: "/account/top-up", query: q("trx", canary), basic: basic},
		{method: "POST", path: "/account/settings", form: q("api_key", key, "api_secret", canary, "moCallBackUrl", "https://example.com/mo")},
		{method: "POST", path: "/account/settings", form: q("api_key", key, "api_secret", canary, "moCallBackUrl", "ftp://"+canary)},
		{method: "POST", path: "/account/settings", contentType: "application/x-www-form-urlencoded", body: "api_key=" + key + "&api_secret=" + canary + "&x=%"},
		{method: "POST", path: "/account/settings", form: q("api_key", key, "api_secret", canary, "pad", strings.Repeat("p", 70<<10))},
		// Secret management: Basic headers and JSON or form bodies.
		{method: "GET", path: secrets, basic: basic},
		{method: "GET", path: secrets, basic: []string{key, canary + "x"}},
		{method: "POST", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + `"}`},
		{method: "POST", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + `"}`}, // over the limit now
		{method: "POST", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + `",}`},
		{method: "POST", path: secrets, basic: basic, body: `{"` + canaryNew + `":"x"}`},
		{method: "POST", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + `","extra":1}`},
		{method: "POST", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + `"} ` + canaryNew},
		{method: "POST", path: secrets, basic: basic, body: `{"secret":["` + canaryNew + `"]}`},
		{method: "POST", path: secrets, basic: basic, body: canaryNew},
		{method: "POST", path: secrets, basic: basic, contentType: "application/x-www-form-urlencoded", body: "secret=" + canaryNew + "&x=%zz"},
		{method: "POST", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + strings.Repeat("p", 70<<10) + `"}`},
		{method: "DELETE", path: secrets + "/not-a-uuid", basic: basic},
		{method: "PUT", path: secrets, basic: basic, body: `{"secret":"` + canaryNew + `"}`},
		// Admin.
		{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"api_key":"canarysub","secret":"` + canaryAdmin + `"}`},
		{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"secret":"` + canaryAdmin + `","bogus":true}`},
		{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"secret":"` + canaryAdmin + `"`},
		{method: "POST", path: "/admin/accounts", bearer: canary, body: `{"secret":"` + canaryAdmin + `"}`},
		// Unknown path with the secret in the query.
		{method: "GET", path: "/nowhere", query: q("api_secret", canary)},
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newReloadingAccount(t, account.NewAccount{APIKey: "canary01", Secret: canary})
	trx := e.reloadTrx(t, key)
	reqs := canaryRequests(key, trx)
	var statuses []int
	for _, req := range reqs {
		r := e.do(t, req)
		statuses = append(statuses, r.status)
		assertNoCanary(t, "response to "+req.method+" "+req.path, string(r.body))
		for k, vs := range r.header {
			assertNoCanary(t, "response header "+k, strings.Join(vs, " "))
		}
	}
	// Some variants must have succeeded, or the test proves little.
	for _, want := range []int{200, 201, 400, 401, 403, 404, 405, 413} {
		if !slices.Contains(statuses, want) {
			t.Errorf("no request answered %d: %v", want, statuses)
		}
	}

	// A request whose handling fails inside the store logs its cause: still
	// no secret.
	e.store.Close()
	for _, req := range []request{
		{method: "GET", path: "/account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {canary}}, allow500: true},
		{method: "POST", path: "/accounts/" + key + "/secrets", basic: []string{key, canary}, body: `{"secret":"` + canaryNew + `"}`, allow500: true},
		{method: "GET", path: "/readyz", allow500: true},
	} {
		r := e.do(t, req)
		assertNoCanary(t, "response", string(r.body))
	}

	logs := e.logs.String()
	assertNoCanary(t, "logs", logs)
	checkLogLines(t, logs, len(reqs)+3)
	if !strings.Contains(logs, `"level":"ERROR"`) {
		t.Error("the store failure was not logged")
	}
}

func assertNoCanary(t *testing.T, where, s string) {
	t.Helper()
	for _, c := range []string{canary, canaryNew, canaryAdmin} {
		for _, form := range []string{
			c,
			base64.StdEncoding.EncodeToString([]byte("canary01:" + c)),
			base64.StdEncoding.EncodeToString([]byte("wrongkey:" + c)),
		} {
			if strings.Contains(s, form) {
				t.Errorf("%s contains a secret (%q)", where, form[:6]+"...")
			}
		}
	}
}

// checkLogLines checks that there is exactly one Info line per request,
// with the documented attributes (the route's pattern, or a path without
// query string when no route matched; the API key only when one was
// claimed), and nothing that looks like a header, a form or a body.
func checkLogLines(t *testing.T, logs string, requests int) {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if line["msg"] != "request" {
			continue
		}
		n++
		want := []string{"bytes", "client", "duration_ms", "level", "method", "msg", "request_id", "status", "time", "user_agent"}
		got := slices.DeleteFunc(keys(line), func(k string) bool { return k == "api_key" })
		if i := slices.IndexFunc(got, func(k string) bool { return k == "route" || k == "path" }); i >= 0 {
			got = slices.Delete(got, i, i+1)
		}
		if !slices.Equal(got, want) {
			t.Errorf("request line has %v, want %v besides route or path and api_key", keys(line), want)
		}
		if _, ok := line["duration_ms"].(float64); !ok {
			t.Errorf("duration_ms %v is not a number", line["duration_ms"])
		}
		wantLevel := "INFO"
		if r := line["route"]; r == "/healthz" || r == "/readyz" {
			wantLevel = "DEBUG" // probes, every few seconds, are noise
		}
		if line["level"] != wantLevel {
			t.Errorf("request line of %v at %v, want %s", line["route"], line["level"], wantLevel)
		}
		if p, _ := line["path"].(string); strings.ContainsAny(p, "?") {
			t.Errorf("logged path %q has a query", p)
		}
		if id, _ := line["request_id"].(string); !requestIDRE.MatchString(id) {
			t.Errorf("request_id %q", id)
		}
	}
	if n != requests {
		t.Errorf("%d request lines for %d requests", n, requests)
	}
	for _, s := range []string{"Authorization", "api_secret", "api_key=", `"secret"`, "Basic "} {
		if strings.Contains(logs, s) {
			t.Errorf("logs mention %q", s)
		}
	}
}

// TestThrottledNeverLogged drives the new refusals (failed-authentication
// limits, the account call rate) with canary secrets in every place a
// client puts them: the 429s and the Warn lines that record them carry
// no secret, every request still gets exactly one request line, and the
// Warn line of a (key, client, limit) comes at most once in ten seconds.
func TestThrottledNeverLogged(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	e := newEnv(t, withConfig(func(c *server.Config) { c.CallRateLimit, c.LimiterClock = true, func() time.Time { return now } }))
	limits := account.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 1}
	key, _ := e.newAccount(t, account.NewAccount{APIKey: "canary01", Secret: canary, Limits: &limits})
	wrong := canary + "x"
	q := url.Values{"api_key": {key}, "api_secret": {wrong}}
	guesses := []request{
		{method: "GET", path: "/account/get-balance", query: q},
		{method: "POST", path: "/account/settings", form: q},
		{method: "POST", path: "/account/top-up", basic: []string{key, wrong}, form: url.Values{"trx": {canaryNew}}},
		{method: "GET", path: "/accounts/" + key + "/secrets", basic: []string{key, wrong}},
		{method: "POST", path: "/accounts/" + key + "/secrets", basic: []string{key, wrong}, body: `{"secret":"` + canaryNew + `"}`},
	}
	var reqs []request
	for i := range 30 { // past the default 20 failures per (key, address)
		reqs = append(reqs, guesses[i%len(guesses)])
	}
	statuses := map[int]int{}
	send := func(req request) {
		r := e.do(t, req)
		statuses[r.status]++
		assertNoCanary(t, "response to "+req.method+" "+req.path, string(r.body))
		for k, vs := range r.header {
			assertNoCanary(t, "response header "+k, strings.Join(vs, " "))
		}
	}
	for _, req := range reqs {
		send(req)
	}
	if statuses[401] != 20 || statuses[429] != 10 {
		t.Errorf("statuses %v, want 20 401s then 10 429s", statuses)
	}

	// The call rate, on a server of its own (the guesses above locked this
	// address out): the right secret works once a second.
	other := newEnv(t, withConfig(func(c *server.Config) { c.CallRateLimit, c.LimiterClock = true, func() time.Time { return now } }))
	other.newAccount(t, account.NewAccount{APIKey: "canary01", Secret: canary, Limits: &limits})
	right := request{method: "GET", path: "/account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {canary}}}
	// Ten seconds later (throttleLogWindow) the refusals are logged again,
	// the next line counting the one not logged.
	for i, want := range []int{200, 429, 429, -1, 200, 429} {
		if want < 0 {
			now = now.Add(10 * time.Second)
			continue
		}
		r := other.do(t, right)
		if r.status != want {
			t.Errorf("call %d: %d, want %d", i+1, r.status, want)
		}
		assertNoCanary(t, "response", string(r.body))
	}
	if n := strings.Count(other.logs.String(), `"repeats":1`); n != 1 {
		t.Errorf("%d lines with repeats 1, want 1:\n%s", n, other.logs.String())
	}

	for _, env := range []struct {
		logs      string
		requests  int
		throttled int
		limit     string
	}{{e.logs.String(), len(reqs), 1, account.LimitFailuresPair}, {other.logs.String(), 5, 2, account.LimitCallRate}} {
		assertNoCanary(t, "logs", env.logs)
		checkLogLines(t, env.logs, env.requests)
		if n := strings.Count(env.logs, `"msg":"request throttled"`); n != env.throttled {
			t.Errorf("%d throttle lines, want %d:\n%s", n, env.throttled, env.logs)
		}
		want := `"level":"WARN","msg":"request throttled","request_id":"`
		if strings.Count(env.logs, want) != env.throttled || !strings.Contains(env.logs, `"client":"127.0.0.1","api_key":"canary01","limit":"`+env.limit+`"`) {
			t.Errorf("throttle lines lack level, client, key or limit:\n%s", env.logs)
		}
	}
}

// TestSecurityEventsLogged: a secret created and one revoked are Info
// lines naming the account, the secret id and the caller; a wrong admin
// token is a Warn line naming the client and the route. None holds a
// secret or the token.
func TestSecurityEventsLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{APIKey: "canary01", Secret: canary})
	basic := []string{key, canary}
	r := e.do(t, request{method: "POST", path: "/accounts/" + key + "/secrets", basic: basic, body: `{"secret":"` + canaryNew + `"}`})
	var created struct{ ID string }
	if err := json.Unmarshal(r.body, &created); err != nil || created.ID == "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	e.do(t, request{method: "DELETE", path: "/accounts/" + key + "/secrets/" + created.ID, basic: basic})
	e.do(t, request{method: "GET", path: "/admin/accounts/" + key, bearer: canaryAdmin + "-wrong-token-padding"})

	logs := e.logs.String()
	assertNoCanary(t, "logs", logs)
	for _, want := range []string{
		`"level":"INFO","msg":"secret created","request_id":"`,
		`"client":"127.0.0.1","api_key":"canary01","secret_id":"` + created.ID + `","by":"canary01"}`,
		`"level":"INFO","msg":"secret revoked","request_id":"`,
		`"level":"WARN","msg":"admin authentication failed","request_id":"`,
		`"client":"127.0.0.1","route":"/admin/accounts/{api_key}"}`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `"secret_id":"`+created.ID+`","by":"canary01"}`); n != 2 {
		t.Errorf("%d lines name the secret created then revoked, want 2", n)
	}
}
