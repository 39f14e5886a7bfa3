package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

func TestAdminCreateAndShow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// Everything given.
	r := e.do(t, request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{
		"api_key": "primary42", "secret": "Chosen1Secret", "balance": "10.50",
		"auto_reload": {"threshold": "5.00", "amount": "20.00"},
		"limits": {"max-outbound-request": 10, "max-inbound-request": 20, "max-calls-per-second": 5}
	}`})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if loc := r.header.Get("Location"); loc != "/admin/accounts/primary42" {
		t.Errorf("Location %q", loc)
	}
	m := r.object(t)
	if strings.Join(keys(m), ",") != "account,api_key" || m["api_key"] != "primary42" {
		t.Errorf("created body %s: a chosen secret must not be echoed", r.body)
	}
	acct, _ := m["account"].(map[string]any)
	secrets, _ := acct["secrets"].([]any)
	if len(secrets) != 1 {
		t.Fatalf("secrets %v", acct["secrets"])
	}
	first, _ := secrets[0].(map[string]any)
	id, _ := first["id"].(string)
	want := map[string]any{
		"api_key":        "primary42",
		"balance":        "10.50",
		"auto_reload":    map[string]any{"threshold": "5.00", "amount": "20.00"},
		"limits":         map[string]any{"max-outbound-request": 10, "max-inbound-request": 20, "max-calls-per-second": 5},
		"settings":       map[string]any{"mo-callback-url": "", "dr-callback-url": ""},
		"secrets":        []any{map[string]any{"id": id, "created_at": clockStamp}},
		"created_at":     clockStamp,
		"signature":      nil,
		"webhook_method": "POST-JSON",
	}
	if !equalJSON(acct, want) || !uuidRE.MatchString(id) {
		t.Errorf("account %v\nwant %v", acct, want)
	}
	// GET shows the same object.
	r = e.do(t, request{method: "GET", path: "/admin/accounts/primary42", bearer: adminToken})
	if r.status != 200 || !equalJSON(r.object(t), want) {
		t.Errorf("show: %d %s\nwant %v", r.status, r.body, want)
	}
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{"primary42", "Chosen1Secret"}}); r.status != 200 {
		t.Errorf("chosen secret does not authenticate: %d", r.status)
	}

	// Nothing given: key and secret generated, limits default, a
	// subaccount when primary_api_key is set.
	r = e.do(t, request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"primary_api_key":"primary42","limits":{"max-calls-per-second":7}}`})
	if r.status != http.StatusCreated {
		t.Fatalf("create generated: %d %s", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("a body with a generated secret may be cached")
	}
	m = r.object(t)
	key, _ := m["api_key"].(string)
	secret, _ := m["api_secret"].(string)
	if len(key) != 8 || account.ValidateSecret(secret) != nil {
		t.Errorf("generated key %q / secret of length %d", key, len(secret))
	}
	acct, _ = m["account"].(map[string]any)
	if acct["primary_api_key"] != "primary42" || acct["balance"] != "0.00" || acct["auto_reload"] != nil {
		t.Errorf("generated account %v", acct)
	}
	if !equalJSON(acct["limits"], map[string]any{"max-outbound-request": 30, "max-inbound-request": 30, "max-calls-per-second": 7}) {
		t.Errorf("limits %v", acct["limits"])
	}
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}}); r.status != 200 {
		t.Errorf("generated secret does not authenticate: %d", r.status)
	}
	if ids := listIDs(t, e, key, []string{"primary42", "Chosen1Secret"}); len(ids) != 1 {
		t.Errorf("primary sees %d secrets of its new subaccount", len(ids))
	}

	// A primary without primary_api_key shows none; the key is omitted.
	r = e.do(t, request{method: "GET", path: "/admin/accounts/primary42/", bearer: adminToken})
	if _, ok := r.object(t)["primary_api_key"]; ok {
		t.Errorf("primary_api_key present on a primary account: %s", r.body)
	}

	m = wantProblem(t, e.do(t, request{method: "GET", path: "/admin/accounts/nosuchkey", bearer: adminToken}), 404, "#invalid-api-key", "Invalid API Key")
	wantDetail(t, m, "API key 'nosuchkey' not found") // quoted as on E4–E7
	wantProblem(t, e.do(t, request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"api_key":"primary42"}`}), 409, "#conflict", "Conflict")
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{})
	for _, h := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + adminToken + "x", "Basic " + adminToken, adminToken, "Bearer " + adminToken[:len(adminToken)-1]} {
		for _, req := range []request{
			{method: "GET", path: "/admin/accounts/" + key},
			{method: "POST", path: "/admin/accounts", body: `{}`},
			{method: "PUT", path: "/admin/accounts"}, // even the 405 needs the token
		} {
			if h != "" {
				req.header = map[string]string{"Authorization": h}
			}
			r := e.do(t, req)
			wantProblem(t, r, 401, "#unauthorized", "Invalid credentials supplied")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		}
	}
	// The scheme is case-insensitive.
	if r := e.do(t, request{method: "GET", path: "/admin/accounts/" + key, header: map[string]string{"Authorization": "bearer " + adminToken}}); r.status != 200 {
		t.Errorf("lower-case scheme: %d", r.status)
	}
	r := e.do(t, request{method: "PUT", path: "/admin/accounts", bearer: adminToken})
	wantProblem(t, r, 405, "#method-not-allowed", "Method Not Allowed")
	if r.header.Get("Allow") != "POST, GET, HEAD" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

func TestAdminOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutAdmin())
	key, _ := e.newAccount(t, account.NewAccount{})
	for _, req := range []request{
		{method: "GET", path: "/admin/accounts/" + key, bearer: adminToken},
		{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{}`},
		{method: "POST", path: "/admin/accounts", body: `{}`},
		{method: "GET", path: "/admin/accounts/" + key, bearer: ""},
	} {
		wantProblem(t, e.do(t, req), 404, "#not-found", "Not Found")
	}
}

func TestAdminValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{})
	before := e.snapshot(t, key)
	tests := []struct {
		body, param string
	}{
		{`{"api_key":"Bad Key!"}`, "api_key"},
		{`{"api_key":"short"}`, "api_key"},
		{`{"api_key":12345678}`, "api_key"},
		{`{"secret":"weak"}`, "secret"},
		{`{"secret":["Abcdefgh1"]}`, "secret"},
		{`{"balance":10.5}`, "balance"},
		{`{"balance":"-5"}`, "balance"},
		{`{"balance":"1e5"}`, "balance"},
		{`{"balance":"1.123456789"}`, "balance"},
		{`{"balance":" 1"}`, "balance"},
		{`{"primary_api_key":"nosuchkey"}`, "primary_api_key"},
		{`{"auto_reload":{"threshold":"5"}}`, "auto_reload.amount"},
		{`{"auto_reload":{"threshold":"5","amount":"0"}}`, "auto_reload.amount"},
		{`{"auto_reload":{"threshold":5,"amount":"1"}}`, "auto_reload.threshold"},
		{`{"auto_reload":{"threshold":"5","amount":"1","extra":1}}`, "auto_reload"},
		{`{"auto_reload":"on"}`, "auto_reload"},
		{`{"limits":{"max-calls-per-second":"7"}}`, "limits.max-calls-per-second"},
		{`{"limits":{"max-calls-per-second":7.5}}`, "limits.max-calls-per-second"},
		{`{"limits":{"max-calls-per-second":-1}}`, "limits.max-calls-per-second"},
		{`{"limits":{"max-calls-per-second":99999999999999999999}}`, "limits.max-calls-per-second"},
		{`{"limits":{"max_calls":1}}`, "limits"},
		{`{"limits":[1,2,3]}`, "limits"},
		{`{"unknown":1}`, "body"},
		{`{"API_KEY":"abcdefgh"}`, "body"},
		{`{} {}`, "body"},
		{`{}x`, "body"},
		{`[]`, "body"},
		{`not json`, "body"},
		{``, "body"},
	}
	for _, tc := range tests {
		r := e.do(t, request{method: "POST", path: "/admin/accounts", bearer: adminToken, contentType: "application/json", body: tc.body})
		if r.status != 400 {
			t.Errorf("%s: %d %s", tc.body, r.status, r.body)
			continue
		}
		wantValidation(t, r, tc.param)
	}
	if after := e.snapshot(t, key); !equalJSON(before, after) {
		t.Errorf("rejected creations changed the store: %+v -> %+v", before, after)
	}
}
