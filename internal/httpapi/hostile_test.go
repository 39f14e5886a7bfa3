package httpapi_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// TestHostileInput sends malformed, oversized and ill-typed requests to
// every endpoint. Each gets a 4xx in the contract's shape (never a 500, see
// env.do) and leaves the account exactly as it was.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	e.reloadTrx(t, key)
	const mo = "https://example.com/mo"
	if _, err := e.svc.UpdateSettings(context.Background(), must(e.svc.Authenticate(context.Background(), key, secret, "192.0.2.1")),
		account.SettingsUpdate{MoCallbackURL: ptr(mo)}); err != nil {
		t.Fatal(err)
	}
	creds := []string{key, secret}
	secrets := "/accounts/" + key + "/secrets"
	huge := strings.Repeat("A", 70<<10) // over the 64 KiB default
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	type check func(t *testing.T, r response)
	legacy := func(status int, prefix string) check {
		return func(t *testing.T, r response) { wantLegacyPrefix(t, r, status, prefix) }
	}
	problemOf := func(status int, typ, title string) check {
		return func(t *testing.T, r response) { wantProblem(t, r, status, typ, title) }
	}
	validation := func(param string) check {
		return func(t *testing.T, r response) { wantValidation(t, r, param) }
	}
	unauthorized := problemOf(401, "#unauthorized", "Invalid credentials supplied")
	invalidID := problemOf(404, "#invalid-id", "Invalid ID")
	tooLarge := problemOf(413, "#payload-too-large", "Payload Too Large")
	settingsURL := func(field, v string) request {
		return request{method: "POST", path: "/account/settings", basic: creds, form: url.Values{field: {v}}}
	}
	newSecret := func(contentType, body string) request {
		return request{method: "POST", path: secrets, basic: creds, contentType: contentType, body: body}
	}
	admin := "/admin/accounts/" + key
	moneyReq := func(what, body string) request {
		return request{method: "POST", path: admin + "/" + what, bearer: adminToken, body: body}
	}
	withHeader := func(r request, name, value string) request {
		r.header = map[string]string{name: value}
		return r
	}

	tests := []struct {
		name  string
		req   request
		check check
	}{
		// Legacy credentials.
		{"E1 Basic bad base64", request{method: "GET", path: "/account/get-balance", header: map[string]string{"Authorization": "Basic %%%"}}, legacy(401, "authentication failed")},
		{"E1 Basic no colon", request{method: "GET", path: "/account/get-balance", header: map[string]string{"Authorization": "Basic " + b64(key+secret)}}, legacy(401, "authentication failed")},
		{"E1 Basic empty", request{method: "GET", path: "/account/get-balance", header: map[string]string{"Authorization": "Basic "}}, legacy(401, "authentication failed")},
		{"E1 Basic empty secret", request{method: "GET", path: "/account/get-balance", header: map[string]string{"Authorization": "Basic " + b64(key+":")}}, legacy(401, "authentication failed")},
		{"E1 other scheme beats query", request{method: "GET", path: "/account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {secret}}, header: map[string]string{"Authorization": "Bearer x"}}, legacy(401, "authentication failed")},
		{"E1 huge secret", request{method: "GET", path: "/account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {strings.Repeat("x", 4000)}}}, legacy(401, "authentication failed")},
		{"E1 malformed query", request{method: "GET", path: "/account/get-balance", rawQuery: "api_key=" + key + "&api_secret=%zz"}, legacy(400, "the query string or form body is malformed")},
		{"E1 semicolon query", request{method: "GET", path: "/account/get-balance", rawQuery: "api_key=" + key + ";api_secret=" + secret}, legacy(400, "the query string")},
		// E2.
		{"E2 oversized form", request{method: "POST", path: "/account/top-up", basic: creds, form: url.Values{"trx": {huge}}}, legacy(413, "request body too large")},
		{"E2 malformed form", request{method: "POST", path: "/account/top-up", basic: creds, contentType: "application/x-www-form-urlencoded", body: "trx=%zz"}, legacy(400, "the query string")},
		{"E2 injection trx", request{method: "POST", path: "/account/top-up", basic: creds, form: url.Values{"trx": {"' OR 1=1 --"}}}, legacy(400, "trx: ")},
		// E3.
		{"E3 ftp URL", settingsURL("moCallBackUrl", "ftp://example.com/in"), legacy(400, "moCallBackUrl: ")},
		{"E3 relative URL", settingsURL("drCallBackUrl", "/webhooks/dr"), legacy(400, "drCallBackUrl: ")},
		{"E3 3000-byte URL", settingsURL("moCallBackUrl", "https://example.com/"+strings.Repeat("p", 3000)), legacy(400, "moCallBackUrl: ")},
		{"E3 URL with spaces", settingsURL("moCallbackUrl", "https://example.com/a b"), legacy(400, "moCallBackUrl: ")},
		{"E3 URL with newline", settingsURL("drCallbackUrl", "https://example.com/\r\nX: y"), legacy(400, "drCallBackUrl: ")},
		{"E3 URL with user info", settingsURL("moCallBackUrl", "https://user:pw@example.com/"), legacy(400, "moCallBackUrl: ")},
		{"E3 scheme only", settingsURL("moCallBackUrl", "https:"), legacy(400, "moCallBackUrl: ")},
		{"E3 oversized form", settingsURL("moCallBackUrl", "https://example.com/"+huge), legacy(413, "request body too large")},
		{"E3 malformed form", request{method: "POST", path: "/account/settings", basic: creds, contentType: "application/x-www-form-urlencoded", body: "moCallBackUrl=%"}, legacy(400, "the query string")},
		// Secrets: credentials.
		{"E4 Basic bad base64", request{method: "GET", path: secrets, header: map[string]string{"Authorization": "Basic ***"}}, unauthorized},
		{"E4 Basic no colon", request{method: "GET", path: secrets, header: map[string]string{"Authorization": "Basic " + b64(key)}}, unauthorized},
		{"E4 Basic without payload", request{method: "GET", path: secrets, header: map[string]string{"Authorization": "Basic"}}, unauthorized},
		{"E7 Basic bad base64", request{method: "DELETE", path: secrets + "/07239aeb-d756-4c32-a1de-cf64f8b21827", header: map[string]string{"Authorization": "Basic ==="}}, unauthorized},
		// E5 bodies.
		{"E5 not JSON", newSecret("application/json", "secret=Valid1Secret"), validation("body")},
		{"E5 number", newSecret("application/json", `{"secret": 5}`), validation("secret")},
		{"E5 null", newSecret("application/json", `{"secret": null}`), validation("secret")},
		{"E5 object", newSecret("application/json", `{"secret": {"v":"Valid1Secret"}}`), validation("secret")},
		{"E5 unknown field", newSecret("application/json", `{"secret":"Valid1Secret","admin":true}`), validation("body")},
		{"E5 wrong case", newSecret("application/json", `{"Secret":"Valid1Secret"}`), validation("secret")},
		{"E5 trailing garbage", newSecret("application/json", `{"secret":"Valid1Secret"} x`), validation("body")},
		{"E5 two objects", newSecret("application/json", `{"secret":"Valid1Secret"}{"secret":"Valid2Secret"}`), validation("body")},
		{"E5 array", newSecret("application/json", `["Valid1Secret"]`), validation("body")},
		{"E5 truncated", newSecret("application/json", `{"secret":"Valid1Secret"`), validation("body")},
		{"E5 empty body", newSecret("application/json", ""), validation("body")},
		{"E5 duplicate key, first is weak", newSecret("application/json", `{"secret":"weak","secret":"Valid1Secret"}`), validation("secret")},
		{"E5 weak secret", newSecret("application/json", `{"secret":"password"}`), validation("secret")},
		{"E5 non-ASCII secret", newSecret("application/json", `{"secret":"Ünïcode123abc"}`), validation("secret")},
		{"E5 control character", newSecret("application/json", `{"secret":"Valid1\u0000Secret"}`), validation("secret")},
		{"E5 oversized JSON", newSecret("application/json", `{"secret":"`+huge+`"}`), tooLarge},
		{"E5 oversized form", newSecret("application/x-www-form-urlencoded", "secret="+huge), tooLarge},
		{"E5 malformed form", newSecret("application/x-www-form-urlencoded", "secret=%zz"), validation("body")},
		{"E5 form without secret", newSecret("application/x-www-form-urlencoded", "other=1"), validation("secret")},
		// Ids.
		{"E6 not a UUID", request{method: "GET", path: secrets + "/not-a-uuid", basic: creds}, invalidID},
		{"E6 SQL in id", request{method: "GET", path: secrets + "/' OR '1'='1", basic: creds}, invalidID},
		{"E7 not a UUID", request{method: "DELETE", path: secrets + "/12345", basic: creds}, invalidID},
		{"E7 UUID with braces", request{method: "DELETE", path: secrets + "/{07239aeb-d756-4c32-a1de-cf64f8b21827}", basic: creds}, invalidID},
		{"E7 unknown UUID", request{method: "DELETE", path: secrets + "/07239aeb-d756-4c32-a1de-cf64f8b21827", basic: creds}, invalidID},
		{"E4 huge path key", request{method: "GET", path: "/accounts/" + strings.Repeat("k", 2000) + "/secrets", basic: creds}, problemOf(404, "#invalid-api-key", "Invalid API Key")},
		// Admin.
		{"admin wrong token", request{method: "POST", path: "/admin/accounts", bearer: "guess", body: `{}`}, unauthorized},
		{"admin unknown field", request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"api_key":"newkey123","role":"root"}`}, validation("body")},
		{"admin trailing garbage", request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"api_key":"newkey123"},`}, validation("body")},
		{"admin wrong type", request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"balance":10}`}, validation("balance")},
		{"admin oversized", request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `{"api_key":"` + huge + `"}`}, tooLarge},
		{"admin not JSON", request{method: "POST", path: "/admin/accounts", bearer: adminToken, body: `api_key=newkey123`}, validation("body")},
		// Admin money routes: nothing moves, nothing changes.
		{"credit exponent", moneyReq("credits", `{"amount":"1e3"}`), validation("amount")},
		{"credit negative", moneyReq("credits", `{"amount":"-10"}`), validation("amount")},
		{"credit nine decimals", moneyReq("credits", `{"amount":"0.000000001"}`), validation("amount")},
		{"credit overflow", moneyReq("credits", `{"amount":"9223372036854775807"}`), validation("amount")},
		{"credit huge", moneyReq("credits", `{"amount":"1`+strings.Repeat("0", 4000)+`"}`), validation("amount")},
		{"credit number", moneyReq("credits", `{"amount":10}`), validation("amount")},
		{"credit float string", moneyReq("credits", `{"amount":"NaN"}`), validation("amount")},
		{"credit SQL reference", moneyReq("credits", `{"amount":"1","reference":"x'); DROP TABLE ledger; --","extra":1}`), validation("body")},
		{"credit control reference", moneyReq("credits", `{"amount":"1","reference":"a\u0000b"}`), validation("reference")},
		{"credit deep nesting", moneyReq("credits", `{"amount":`+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+`}`), validation("amount")},
		{"credit oversized", moneyReq("credits", `{"amount":"1","reference":"`+huge+`"}`), tooLarge},
		{"credit empty idempotency key", withHeader(moneyReq("credits", `{"amount":"1"}`), "Idempotency-Key", ""), validation("Idempotency-Key")},
		{"credit long idempotency key", withHeader(moneyReq("credits", `{"amount":"1"}`), "Idempotency-Key", strings.Repeat("k", 300)), validation("Idempotency-Key")},
		{"credit without token", request{method: "POST", path: admin + "/credits", body: `{"amount":"1"}`}, unauthorized},
		{"credit wrong token", request{method: "POST", path: admin + "/credits", bearer: adminToken + "x", body: `{"amount":"1"}`}, unauthorized},
		{"credit unknown account", request{method: "POST", path: "/admin/accounts/nosuchkey1/credits", bearer: adminToken, body: `{"amount":"1"}`}, problemOf(404, "#invalid-api-key", "Invalid API Key")},
		{"charge over balance", moneyReq("charges", `{"amount":"1000000"}`), problemOf(402, "#insufficient-funds", "Insufficient Funds")},
		{"charge zero", moneyReq("charges", `{"amount":"0.00"}`), validation("amount")},
		{"charge trailing garbage", moneyReq("charges", `{"amount":"1"}]`), validation("body")},
		{"charge duplicate member", moneyReq("charges", `{"amount":"x","amount":"1"}`), validation("amount")},
		{"patch negative limit", request{method: "PATCH", path: admin, bearer: adminToken, body: `{"limits":{"max-calls-per-second":-1}}`}, validation("limits.max-calls-per-second")},
		{"patch huge limit", request{method: "PATCH", path: admin, bearer: adminToken, body: `{"limits":{"max-calls-per-second":1e99}}`}, validation("limits.max-calls-per-second")},
		{"patch bad reload after good limits", request{method: "PATCH", path: admin, bearer: adminToken, body: `{"limits":{"max-calls-per-second":5},"auto_reload":{"threshold":"1","amount":"-1"}}`}, validation("auto_reload.amount")},
		{"patch null limits", request{method: "PATCH", path: admin, bearer: adminToken, body: `{"limits":null}`}, validation("limits")},
		{"patch balance", request{method: "PATCH", path: admin, bearer: adminToken, body: `{"balance":"1000"}`}, validation("body")},
		{"ledger bad cursor", request{method: "GET", path: admin + "/transactions", bearer: adminToken, rawQuery: "cursor=-1"}, validation("cursor")},
		{"ledger malformed query", request{method: "GET", path: admin + "/transactions", bearer: adminToken, rawQuery: "limit=%zz"}, validation("query")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t, key)
			tc.check(t, e.do(t, tc.req))
			if after := e.snapshot(t, key); !equalJSON(before, after) {
				t.Errorf("state changed: %+v -> %+v", before, after)
			}
		})
	}
	if s := e.snapshot(t, key); s.Settings.MoCallbackURL != mo || s.Balance != eur("24") || len(s.SecretIDs) != 1 || s.Accounts != 1 {
		t.Errorf("final state %+v", s)
	}
}

func ptr[T any](v T) *T { return &v }

// TestMaxBodyBytes checks that Config.MaxBodyBytes is honoured.
func TestMaxBodyBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMaxBody(100))
	key, secret := e.newAccount(t, account.NewAccount{})
	r := e.do(t, request{method: "POST", path: "/accounts/" + key + "/secrets", basic: []string{key, secret}, body: `{"secret":"Valid1Secret","pad":"` + strings.Repeat(" ", 100) + `"}`})
	wantProblem(t, r, 413, "#payload-too-large", "Payload Too Large")
	r = e.do(t, request{method: "POST", path: "/accounts/" + key + "/secrets", basic: []string{key, secret}, body: `{"secret":"Valid1Secret"}`})
	if r.status != 201 {
		t.Errorf("small body: %d %s", r.status, r.body)
	}
}
