package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var trxRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// money posts a credit or charge body, with an Idempotency-Key when idem
// is not empty.
func (e *env) money(t *testing.T, key, what, body, idem string) response {
	t.Helper()
	req := request{method: "POST", path: "/admin/accounts/" + key + "/" + what, bearer: adminToken, contentType: "application/json", body: body}
	if idem != "" {
		req.header = map[string]string{"Idempotency-Key": idem}
	}
	return e.do(t, req)
}

// ledgerState is what a refused money request must not change.
type ledgerState struct {
	Balance account.Money
	Rows    []account.Transaction
}

func (e *env) ledger(t *testing.T, key string) ledgerState {
	t.Helper()
	acct, err := e.store.Account(context.Background(), key)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	rows, err := e.store.Transactions(context.Background(), key, 0, 1000)
	if err != nil {
		t.Fatalf("Transactions: %v", err)
	}
	return ledgerState{Balance: acct.Balance, Rows: rows}
}

// txJSON is a ledger row as the admin API must show it.
func txJSON(id any, kind, amount, after, reference string, extra ...string) map[string]any {
	m := map[string]any{"id": id, "kind": kind, "amount": amount, "balance_after": after, "reference": reference, "created_at": clockStamp}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestAdminMoneyMoves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	id := func(r response, member string) any {
		t.Helper()
		tx, _ := r.object(t)[member].(map[string]any)
		return tx["id"]
	}
	steps := []struct {
		name, what, body string
		status           int
		want             func(r response) map[string]any
	}{
		{"credit", "credits", `{"amount":"2.50","reference":"invoice 7"}`, 201, func(r response) map[string]any {
			return map[string]any{"transaction": txJSON(id(r, "transaction"), "credit", "2.50", "12.50", "invoice 7"), "reload": nil, "balance": "12.50"}
		}},
		{"charge", "charges", `{"amount":"0.0068","reference":"sms"}`, 201, func(r response) map[string]any {
			return map[string]any{"transaction": txJSON(id(r, "transaction"), "charge", "-0.0068", "12.4932", "sms"), "reload": nil, "balance": "12.4932"}
		}},
		{"smallest credit, no reference", "credits", `{"amount":"0.00000001"}`, 201, func(r response) map[string]any {
			return map[string]any{"transaction": txJSON(id(r, "transaction"), "credit", "0.00000001", "12.49320001", ""), "reload": nil, "balance": "12.49320001"}
		}},
		{"charge below the threshold reloads first", "charges", `{"amount":"8","reference":"call"}`, 201, func(r response) map[string]any {
			m := r.object(t)
			reload, _ := m["reload"].(map[string]any)
			trx, _ := reload["trx"].(string)
			if !trxRE.MatchString(trx) {
				t.Errorf("reload trx %q", trx)
			}
			return map[string]any{
				"transaction": txJSON(id(r, "transaction"), "charge", "-8.00", "24.49320001", "call"),
				"reload":      txJSON(id(r, "reload"), "reload", "20.00", "32.49320001", "auto-reload", "trx", trx),
				"balance":     "24.49320001",
			}
		}},
	}
	var lastID float64
	for _, st := range steps {
		r := e.money(t, key, st.what, st.body, "")
		if r.status != st.status {
			t.Fatalf("%s: %d %s", st.name, r.status, r.body)
		}
		if want := st.want(r); !equalJSON(r.object(t), want) {
			t.Errorf("%s: body %s\nwant %v", st.name, r.body, want)
		}
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("%s: Idempotent-Replayed on a request without a key", st.name)
		}
		n, _ := strconv.ParseFloat(fmt.Sprint(id(r, "transaction")), 64)
		if n <= lastID {
			t.Errorf("%s: id %v not above %v", st.name, n, lastID)
		}
		lastID = n
	}

	// E1 sees the same balance, exactly.
	r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}})
	if string(r.body) != `{"value":24.49320001,"autoReload":true}`+"\n" {
		t.Errorf("E1 body %s", r.body)
	}

	// Short of money even with the reload: 402, nothing changes.
	before := e.ledger(t, key)
	r = e.money(t, key, "charges", `{"amount":"45.00","reference":"too much"}`, "")
	m := wantProblem(t, r, http.StatusPaymentRequired, "#insufficient-funds", "Insufficient Funds")
	if m["detail"] != "insufficient funds for a charge of 45.00" {
		t.Errorf("402 detail %q", m["detail"])
	}
	if after := e.ledger(t, key); !equalJSON(before, after) {
		t.Errorf("a refused charge changed the ledger")
	}

	// Unknown accounts are 404 on every money route, and change nothing.
	for _, req := range []request{
		{method: "POST", path: "/admin/accounts/nosuchkey/credits", body: `{"amount":"1"}`},
		{method: "POST", path: "/admin/accounts/nosuchkey/charges", body: `{"amount":"1"}`, header: map[string]string{"Idempotency-Key": "k"}},
		{method: "GET", path: "/admin/accounts/nosuchkey/transactions"},
		{method: "PATCH", path: "/admin/accounts/nosuchkey", body: `{"auto_reload":null}`},
		{method: "PATCH", path: "/admin/accounts/nosuchkey", body: `{"limits":{"max-calls-per-second":1}}`},
		{method: "PATCH", path: "/admin/accounts/nosuchkey", body: `{}`},
	} {
		req.bearer = adminToken
		wantProblem(t, e.do(t, req), 404, "#invalid-api-key", "Invalid API Key")
	}
}

func TestAdminIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{Balance: eur("10")})
	other, _ := e.newAccount(t, account.NewAccount{Balance: eur("10")})

	first := e.money(t, key, "credits", `{"amount":"1.5","reference":"order 1"}`, "key-1")
	if first.status != 201 || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %q %s", first.status, first.header.Get("Idempotent-Replayed"), first.body)
	}
	before := e.ledger(t, key)

	// The same request again, also written differently: the first answer,
	// byte for byte, and no money moves.
	for _, body := range []string{
		`{"amount":"1.5","reference":"order 1"}`,
		`{ "reference" : "order 1", "amount" : "1.50000000" }`,
	} {
		r := e.money(t, key, "credits", body, "key-1")
		if r.status != 201 || !bytes.Equal(r.body, first.body) || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay of %s: %d replayed=%q %s\nfirst %s", body, r.status, r.header.Get("Idempotent-Replayed"), r.body, first.body)
		}
	}
	if after := e.ledger(t, key); !equalJSON(before, after) {
		t.Errorf("replays moved money: %+v -> %+v", before.Balance, after.Balance)
	}

	// The same key for anything else is a 409.
	for _, tc := range []struct{ what, body string }{
		{"credits", `{"amount":"2","reference":"order 1"}`},
		{"credits", `{"amount":"1.5","reference":"order 2"}`},
		{"credits", `{"amount":"1.5"}`},
		{"charges", `{"amount":"1.5","reference":"order 1"}`},
	} {
		r := e.money(t, key, tc.what, tc.body, "key-1")
		m := wantProblem(t, r, http.StatusConflict, "#conflict", "Conflict")
		if d, _ := m["detail"].(string); !strings.Contains(d, "Idempotency-Key") || !strings.Contains(d, "different request") {
			t.Errorf("409 detail %q does not say the key was reused", d)
		}
	}
	if after := e.ledger(t, key); !equalJSON(before, after) {
		t.Errorf("conflicts moved money")
	}

	// The same key on another account is another request.
	r := e.money(t, other, "credits", `{"amount":"1.5","reference":"order 1"}`, "key-1")
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" || bytes.Equal(r.body, first.body) {
		t.Errorf("same key, other account: %d %q %s", r.status, r.header.Get("Idempotent-Replayed"), r.body)
	}

	// A refusal is remembered: after funding, the repeat is still a 402.
	refused := e.money(t, key, "charges", `{"amount":"50"}`, "key-2")
	wantProblem(t, refused, http.StatusPaymentRequired, "#insufficient-funds", "Insufficient Funds")
	e.money(t, key, "credits", `{"amount":"100"}`, "")
	before = e.ledger(t, key)
	r = e.money(t, key, "charges", `{"amount":"50"}`, "key-2")
	m := wantProblem(t, r, http.StatusPaymentRequired, "#insufficient-funds", "Insufficient Funds")
	if r.header.Get("Idempotent-Replayed") != "true" || m["detail"] != refused.object(t)["detail"] {
		t.Errorf("replayed refusal: replayed=%q %s", r.header.Get("Idempotent-Replayed"), r.body)
	}
	if after := e.ledger(t, key); !equalJSON(before, after) {
		t.Errorf("a replayed refusal moved money")
	}

	// Twenty copies at once: one moves money, all answer alike.
	const n = 20
	answers := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = e.money(t, key, "charges", `{"amount":"0.01","reference":"race"}`, "key-3")
		})
	}
	before = e.ledger(t, key)
	close(start)
	wg.Wait()
	fresh := 0
	for i, a := range answers {
		if a.status != 201 || !bytes.Equal(a.body, answers[0].body) {
			t.Errorf("copy %d: %d %s; copy 0: %s", i, a.status, a.body, answers[0].body)
		}
		if a.header.Get("Idempotent-Replayed") == "" {
			fresh++
		}
	}
	after := e.ledger(t, key)
	if fresh != 1 || len(after.Rows) != len(before.Rows)+1 || after.Balance != before.Balance-eur("0.01") {
		t.Errorf("%d copies ran; ledger grew by %d rows, balance %s -> %s", fresh, len(after.Rows)-len(before.Rows), before.Balance, after.Balance)
	}
}

// TestAdminMoneyHostile sends bad bodies and headers to the credit and
// charge routes: each is a 400 (or 413) naming what is wrong, and the
// ledger stays as it was.
func TestAdminMoneyHostile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{Balance: eur("10")})
	huge := strings.Repeat("A", 70<<10)
	tests := []struct {
		name, body, idem, param string
		header                  map[string]string
		status                  int
	}{
		{name: "empty key", body: `{"amount":"1"}`, header: map[string]string{"Idempotency-Key": ""}, param: "Idempotency-Key"},
		{name: "key with a control character", body: `{"amount":"1"}`, header: map[string]string{"Idempotency-Key": "a\tb"}, param: "Idempotency-Key"},
		{name: "exponent", body: `{"amount":"1e5"}`, param: "amount"},
		{name: "negative", body: `{"amount":"-1"}`, param: "amount"},
		{name: "plus sign", body: `{"amount":"+1"}`, param: "amount"},
		{name: "zero", body: `{"amount":"0"}`, param: "amount"},
		{name: "zero with decimals", body: `{"amount":"0.00000000"}`, param: "amount"},
		{name: "nine decimals", body: `{"amount":"0.000000001"}`, param: "amount"},
		{name: "leading space", body: `{"amount":" 1"}`, param: "amount"},
		{name: "trailing space", body: `{"amount":"1 "}`, param: "amount"},
		{name: "number, not string", body: `{"amount":5}`, param: "amount"},
		{name: "null", body: `{"amount":null}`, param: "amount"},
		{name: "empty", body: `{"amount":""}`, param: "amount"},
		{name: "point only", body: `{"amount":"."}`, param: "amount"},
		{name: "trailing point", body: `{"amount":"1."}`, param: "amount"},
		{name: "leading point", body: `{"amount":".5"}`, param: "amount"},
		{name: "comma", body: `{"amount":"1,5"}`, param: "amount"},
		{name: "hex", body: `{"amount":"0x10"}`, param: "amount"},
		{name: "NaN", body: `{"amount":"NaN"}`, param: "amount"},
		{name: "Infinity", body: `{"amount":"Infinity"}`, param: "amount"},
		{name: "non-ASCII digits", body: `{"amount":"١٠"}`, param: "amount"},
		{name: "two points", body: `{"amount":"1.2.3"}`, param: "amount"},
		{name: "too large", body: `{"amount":"99999999999"}`, param: "amount"},
		{name: "missing", body: `{"reference":"x"}`, param: "amount"},
		{name: "reference not a string", body: `{"amount":"1","reference":5}`, param: "reference"},
		{name: "reference too long", body: `{"amount":"1","reference":"` + strings.Repeat("r", 256) + `"}`, param: "reference"},
		{name: "reference with a control character", body: `{"amount":"1","reference":"a\u0007b"}`, param: "reference"},
		{name: "unknown member", body: `{"amount":"1","currency":"EUR"}`, param: "body"},
		{name: "wrong case", body: `{"Amount":"1"}`, param: "body"},
		{name: "array", body: `["1"]`, param: "body"},
		{name: "not JSON", body: `amount=1`, param: "body"},
		{name: "empty body", body: ``, param: "body"},
		{name: "trailing garbage", body: `{"amount":"1"} x`, param: "body"},
		{name: "two objects", body: `{"amount":"1"}{"amount":"2"}`, param: "body"},
		{name: "duplicate member, first is bad", body: `{"amount":"-1","amount":"1"}`, param: "amount"},
		{name: "oversized", body: `{"amount":"1","reference":"` + huge + `"}`, status: 413},
		{name: "key too long", body: `{"amount":"1"}`, idem: strings.Repeat("k", 256), param: "Idempotency-Key"},
	}
	for _, what := range []string{"credits", "charges"} {
		for _, tc := range tests {
			t.Run(what+"/"+tc.name, func(t *testing.T) {
				before := e.ledger(t, key)
				var r response
				if tc.header != nil {
					r = e.do(t, request{method: "POST", path: "/admin/accounts/" + key + "/" + what, bearer: adminToken, body: tc.body, header: tc.header})
				} else {
					r = e.money(t, key, what, tc.body, tc.idem)
				}
				if tc.status == 413 {
					wantProblem(t, r, 413, "#payload-too-large", "Payload Too Large")
				} else {
					wantValidation(t, r, tc.param)
				}
				if after := e.ledger(t, key); !equalJSON(before, after) {
					t.Errorf("state changed: %+v -> %+v", before, after)
				}
			})
		}
	}

	// An Idempotency-Key sent twice is ambiguous.
	hr, _ := http.NewRequest("POST", e.srv.URL+"/admin/accounts/"+key+"/credits", strings.NewReader(`{"amount":"1"}`))
	hr.Header.Set("Authorization", "Bearer "+adminToken)
	hr.Header.Add("Idempotency-Key", "a")
	hr.Header.Add("Idempotency-Key", "b")
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("two Idempotency-Key headers: %d", res.StatusCode)
	}

	// No token, no money: 401 before the body is read.
	before := e.ledger(t, key)
	for _, what := range []string{"credits", "charges"} {
		r := e.do(t, request{method: "POST", path: "/admin/accounts/" + key + "/" + what, body: `{"amount":"1"}`})
		wantProblem(t, r, 401, "#unauthorized", "Invalid credentials supplied")
	}
	if after := e.ledger(t, key); !equalJSON(before, after) {
		t.Errorf("unauthenticated requests moved money")
	}
}

func TestAdminTransactions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	trx := e.reloadTrx(t, key) // a reload and a charge
	if r := e.do(t, request{method: "POST", path: "/account/top-up", basic: []string{key, secret}, form: url.Values{"trx": {trx}}}); r.status != 200 {
		t.Fatalf("top-up: %d %s", r.status, r.body)
	}
	for i := range 3 {
		e.money(t, key, "credits", fmt.Sprintf(`{"amount":"0.0%d","reference":"credit %d"}`, i+1, i), "")
	}
	all := e.ledger(t, key).Rows // newest first: 3 credits, top-up, charge, reload, opening
	if len(all) != 7 {
		t.Fatalf("%d rows, want 7", len(all))
	}
	page := func(query string) (ids []int64, next string, m map[string]any) {
		t.Helper()
		r := e.do(t, request{method: "GET", path: "/admin/accounts/" + key + "/transactions", rawQuery: query, bearer: adminToken})
		if r.status != 200 {
			t.Fatalf("?%s: %d %s", query, r.status, r.body)
		}
		m = r.object(t)
		txs, _ := m["transactions"].([]any)
		for _, x := range txs {
			tx, _ := x.(map[string]any)
			n, _ := strconv.ParseInt(fmt.Sprint(tx["id"]), 10, 64)
			ids = append(ids, n)
		}
		next, _ = m["next_cursor"].(string)
		if _, ok := m["next_cursor"]; ok && next == "" {
			t.Errorf("?%s: next_cursor present but empty", query)
		}
		return ids, next, m
	}
	idsOf := func(rows []account.Transaction) []int64 {
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}

	// Default page: everything, newest first, no cursor; rows as the API shows them.
	ids, next, m := page("")
	if !equalJSON(ids, idsOf(all)) || next != "" {
		t.Errorf("default page: %v next %q, want %v", ids, next, idsOf(all))
	}
	txs, _ := m["transactions"].([]any)
	wantRows := []map[string]any{
		txJSON(all[0].ID, "credit", "0.03", "44.06", "credit 2"),
		txJSON(all[1].ID, "credit", "0.02", "44.03", "credit 1"),
		txJSON(all[2].ID, "credit", "0.01", "44.01", "credit 0"),
		txJSON(all[3].ID, "top-up", "20.00", "44.00", "", "trx", all[3].Trx, "related_trx", trx),
		txJSON(all[4].ID, "charge", "-6.00", "24.00", "test"),
		txJSON(all[5].ID, "reload", "20.00", "30.00", "auto-reload", "trx", trx),
		txJSON(all[6].ID, "credit", "10.00", "10.00", "opening balance"),
	}
	if !equalJSON(txs, wantRows) {
		t.Errorf("rows:\n%v\nwant\n%v", txs, wantRows)
	}

	// Pages of 3 by cursor: 3 + 3 + 1, the last without a cursor.
	var walked []int64
	cursor, pages := "", 0
	for {
		q := "limit=3"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		ids, next, _ := page(q)
		walked = append(walked, ids...)
		pages++
		if next == "" {
			break
		}
		if next != strconv.FormatInt(ids[len(ids)-1], 10) {
			t.Errorf("next_cursor %q is not the page's last id %d", next, ids[len(ids)-1])
		}
		cursor = next
	}
	if !equalJSON(walked, idsOf(all)) || pages != 3 {
		t.Errorf("walked %v in %d pages, want %v in 3", walked, pages, idsOf(all))
	}
	// A page that ends exactly at the oldest row has no cursor.
	if ids, next, _ := page("limit=7"); len(ids) != 7 || next != "" {
		t.Errorf("limit=7: %d rows, next %q", len(ids), next)
	}
	if ids, next, _ := page("limit=6"); len(ids) != 6 || next == "" {
		t.Errorf("limit=6: %d rows, next %q", len(ids), next)
	}
	// A cursor below every row: an empty page.
	if ids, next, m := page("cursor=" + strconv.FormatInt(all[6].ID, 10)); len(ids) != 0 || next != "" || !equalJSON(m["transactions"], []any{}) {
		t.Errorf("past the end: %v %q %v", ids, next, m)
	}
	// An account without rows: an empty list, not null.
	empty, _ := e.newAccount(t, account.NewAccount{})
	r := e.do(t, request{method: "GET", path: "/admin/accounts/" + empty + "/transactions", bearer: adminToken})
	if string(r.body) != `{"transactions":[]}`+"\n" {
		t.Errorf("empty ledger: %s", r.body)
	}

	for _, tc := range []struct{ query, param string }{
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=-1", "limit"},
		{"limit=%2B5", "limit"},
		{"limit=+5", "limit"},
		{"limit=x", "limit"},
		{"limit=", "limit"},
		{"limit=99999999999999999999", "limit"},
		{"cursor=abc", "cursor"},
		{"cursor=0", "cursor"},
		{"cursor=-5", "cursor"},
		{"cursor=1e3", "cursor"},
		{"cursor=", "cursor"},
		{"cursor=99999999999999999999", "cursor"},
		{"limt=5", "query"},
		{"limit=5&api_secret=x", "query"},
		{"limit=%zz", "query"},
		{"limit=5;cursor=3", "query"},
	} {
		r := e.do(t, request{method: "GET", path: "/admin/accounts/" + key + "/transactions", rawQuery: tc.query, bearer: adminToken})
		if r.status != 400 {
			t.Errorf("?%s: %d %s", tc.query, r.status, r.body)
			continue
		}
		wantValidation(t, r, tc.param)
	}
}

func TestAdminPatchAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{Balance: eur("10")})
	creds := []string{key, secret}
	patch := func(body string) response {
		t.Helper()
		return e.do(t, request{method: "PATCH", path: "/admin/accounts/" + key, bearer: adminToken, body: body})
	}
	show := func() map[string]any {
		t.Helper()
		return e.do(t, request{method: "GET", path: "/admin/accounts/" + key, bearer: adminToken}).object(t)
	}
	e1 := func() string {
		t.Helper()
		return string(e.do(t, request{method: "GET", path: "/account/get-balance", basic: creds}).body)
	}
	limits := func(out, in, cps int) map[string]any {
		return map[string]any{"max-outbound-request": out, "max-inbound-request": in, "max-calls-per-second": cps}
	}
	steps := []struct {
		name, body string
		autoReload any
		limits     map[string]any
		e1         string
	}{
		{"nothing", `{}`, nil, limits(30, 30, 30), `{"value":10.00000000,"autoReload":false}`},
		{"turn on", `{"auto_reload":{"threshold":"5.00","amount":"20.00"}}`, map[string]any{"threshold": "5.00", "amount": "20.00"}, limits(30, 30, 30), `{"value":10.00000000,"autoReload":true}`},
		{"one limit; auto-reload untouched", `{"limits":{"max-calls-per-second":7}}`, map[string]any{"threshold": "5.00", "amount": "20.00"}, limits(30, 30, 7), `{"value":10.00000000,"autoReload":true}`},
		{"another limit keeps the first", `{"limits":{"max-outbound-request":0}}`, map[string]any{"threshold": "5.00", "amount": "20.00"}, limits(0, 30, 7), `{"value":10.00000000,"autoReload":true}`},
		{"change auto-reload", `{"auto_reload":{"threshold":"0","amount":"0.00000001"}}`, map[string]any{"threshold": "0.00", "amount": "0.00000001"}, limits(0, 30, 7), `{"value":10.00000000,"autoReload":true}`},
		{"turn off, set limits", `{"auto_reload":null,"limits":{"max-outbound-request":1,"max-inbound-request":2,"max-calls-per-second":3}}`, nil, limits(1, 2, 3), `{"value":10.00000000,"autoReload":false}`},
	}
	for _, st := range steps {
		r := patch(st.body)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", st.name, r.status, r.body)
		}
		got := r.object(t)
		if !equalJSON(got, show()) {
			t.Errorf("%s: PATCH answered %s, GET shows %v", st.name, r.body, show())
		}
		if !equalJSON(got["auto_reload"], st.autoReload) || !equalJSON(got["limits"], st.limits) || got["balance"] != "10.00" {
			t.Errorf("%s: %s", st.name, r.body)
		}
		if b := e1(); b != st.e1+"\n" {
			t.Errorf("%s: E1 %s, want %s", st.name, b, st.e1)
		}
	}
	// E3 shows the limits set here.
	r := e.do(t, request{method: "POST", path: "/account/settings", basic: creds})
	if m := r.object(t); m["max-outbound-request"] != json.Number("1") || m["max-calls-per-second"] != json.Number("3") {
		t.Errorf("E3 after PATCH: %s", r.body)
	}

	// Auto-reload on: charges reload, E2 repeats the reload; off: E2 is 401.
	patch(`{"auto_reload":{"threshold":"5","amount":"20"}}`)
	c := e.money(t, key, "charges", `{"amount":"6"}`, "")
	reload, _ := c.object(t)["reload"].(map[string]any)
	trx, _ := reload["trx"].(string)
	if c.status != 201 || trx == "" {
		t.Fatalf("charge with auto-reload: %d %s", c.status, c.body)
	}
	topUp := request{method: "POST", path: "/account/top-up", basic: creds, form: url.Values{"trx": {trx}}}
	if r := e.do(t, topUp); r.status != 200 {
		t.Errorf("top-up with auto-reload on: %d %s", r.status, r.body)
	}
	patch(`{"auto_reload":null}`)
	wantLegacy(t, e.do(t, topUp), 401, "not auto-reload enabled")
	if r := e.money(t, key, "charges", `{"amount":"40"}`, ""); r.status != 201 || !strings.Contains(string(r.body), `"reload":null`) {
		t.Errorf("charge with auto-reload off: %d %s", r.status, r.body)
	}

	// Bad bodies: 400 naming the member, nothing changed.
	before := show()
	for _, tc := range []struct{ body, param string }{
		{`{"auto_reload":{"threshold":"1e5","amount":"1"}}`, "auto_reload.threshold"},
		{`{"auto_reload":{"threshold":"-1","amount":"1"}}`, "auto_reload.threshold"},
		{`{"auto_reload":{"threshold":"5","amount":"0"}}`, "auto_reload.amount"},
		{`{"auto_reload":{"threshold":"5","amount":"0.000000001"}}`, "auto_reload.amount"},
		{`{"auto_reload":{"threshold":"5","amount":20}}`, "auto_reload.amount"},
		{`{"auto_reload":{"threshold":"5"}}`, "auto_reload.amount"},
		{`{"auto_reload":{"amount":"5"}}`, "auto_reload.threshold"},
		{`{"auto_reload":{"threshold":"5","amount":"1","extra":1}}`, "auto_reload"},
		{`{"auto_reload":true}`, "auto_reload"},
		{`{"auto_reload":"off"}`, "auto_reload"},
		{`{"limits":null}`, "limits"},
		{`{"limits":{"max-calls-per-second":-1}}`, "limits.max-calls-per-second"},
		{`{"limits":{"max-calls-per-second":"7"}}`, "limits.max-calls-per-second"},
		{`{"limits":{"max-inbound-request":1000001}}`, "limits.max-inbound-request"},
		{`{"limits":{"max_calls":1}}`, "limits"},
		{`{"auto_reload":null,"limits":{"max-outbound-request":1.5}}`, "limits.max-outbound-request"},
		{`{"balance":"100"}`, "body"},
		{`{"auto_reload":null,"api_key":"x"}`, "body"},
		{`[]`, "body"},
		{``, "body"},
		{`{} {}`, "body"},
	} {
		r := patch(tc.body)
		if r.status != 400 {
			t.Errorf("%s: %d %s", tc.body, r.status, r.body)
			continue
		}
		wantValidation(t, r, tc.param)
	}
	if after := show(); !equalJSON(before, after) {
		t.Errorf("rejected PATCHes changed the account:\n%v\n%v", before, after)
	}
	r = e.do(t, request{method: "DELETE", path: "/admin/accounts/" + key, bearer: adminToken})
	wantProblem(t, r, 405, "#method-not-allowed", "Method Not Allowed")
	if r.header.Get("Allow") != "GET, HEAD, PATCH" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

func TestAdminLedgerVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.newReloadingAccount(t, account.NewAccount{})
	b, _ := e.newAccount(t, account.NewAccount{Balance: eur("1")})
	e.newAccount(t, account.NewAccount{}) // no rows
	e.reloadTrx(t, a)
	e.money(t, b, "charges", `{"amount":"0.5"}`, "")
	verify := func() response {
		t.Helper()
		return e.do(t, request{method: "GET", path: "/admin/ledger/verify", bearer: adminToken})
	}
	r := verify()
	if r.status != 200 || string(r.body) != `{"accounts":3,"rows":5,"problems":[],"ok":true}`+"\n" {
		t.Errorf("verify: %d %s", r.status, r.body)
	}

	// Tamper with the file behind the store's back (dropping the trigger
	// that would refuse it): the report names the account and the problem.
	db, err := sql.Open("sqlite", "file:"+e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`DROP TRIGGER accounts_balance_from_ledger`,
		`UPDATE accounts SET balance = balance + 1 WHERE api_key = '` + b + `'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	r = verify()
	want := map[string]any{"accounts": 3, "rows": 5, "ok": false, "problems": []any{
		map[string]any{"api_key": b, "transaction_id": 0, "message": "balance 0.50000001 differs from the sum of its ledger rows, 0.50"},
	}}
	if r.status != 200 || !equalJSON(r.object(t), want) {
		t.Errorf("verify after tampering: %d %s\nwant %v", r.status, r.body, want)
	}
	if r := e.do(t, request{method: "GET", path: "/admin/ledger/verify"}); r.status != 401 {
		t.Errorf("verify without a token: %d", r.status)
	}
}

// TestAdminMoneyRoutesOff: without an admin token the new routes do not
// exist either.
func TestAdminMoneyRoutesOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutAdmin())
	key, _ := e.newAccount(t, account.NewAccount{Balance: eur("1")})
	for _, req := range []request{
		{method: "POST", path: "/admin/accounts/" + key + "/credits", body: `{"amount":"1"}`},
		{method: "POST", path: "/admin/accounts/" + key + "/charges", body: `{"amount":"1"}`},
		{method: "GET", path: "/admin/accounts/" + key + "/transactions"},
		{method: "PATCH", path: "/admin/accounts/" + key, body: `{}`},
		{method: "GET", path: "/admin/ledger/verify"},
	} {
		req.bearer = adminToken
		wantProblem(t, e.do(t, req), 404, "#not-found", "Not Found")
	}
	if s := e.snapshot(t, key); s.Balance != eur("1") {
		t.Errorf("balance %s", s.Balance)
	}
}
