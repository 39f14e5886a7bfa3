package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/httpapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// Fuzz targets that drive the whole server, built by internal/server as
// vonage serve builds it, over a fresh SQLite database. fuzz_test.go holds
// the targets of single parsers.

// fuzzServer is a server over a fresh SQLite database with one account,
// cheap hashing and no failure limits (the fuzzer's thousands of failures
// would otherwise all be 429s).
func fuzzServer(f *testing.F, admin bool) (http.Handler, *account.Service, account.Store) {
	cfg := server.TestConfig()
	cfg.DB = filepath.Join(f.TempDir(), "db")
	cfg.AuthLimits = account.AuthLimits{}
	if admin {
		cfg.AdminToken = fuzzAdminToken
	}
	srv := testutil.NewServer(f, cfg)
	_, _, err := srv.Service.CreateAccount(context.Background(), account.NewAccount{
		APIKey: fuzzKey, Secret: fuzzSecret, Balance: 10 * account.Scale,
		AutoReload: &account.AutoReload{Threshold: 5 * account.Scale, Amount: 20 * account.Scale},
	})
	if err != nil {
		f.Fatal(err)
	}
	return srv.HTTP.Handler, srv.Service, srv.Store
}

const (
	fuzzKey        = "fuzzkey01"
	fuzzSecret     = "Fuzz3dSecretQ7"
	fuzzAdminToken = "fuzz-admin-token-44c7d0e2"
)

var requestIDInBody = regexp.MustCompile(`[0-9a-f]{32}`)

// serveFuzz sends r through h and returns the status, the Content-Type
// and the body with request ids masked.
func serveFuzz(h http.Handler, r *http.Request) (int, string, string, http.Header) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Content-Type"), requestIDInBody.ReplaceAllString(w.Body.String(), "ID"), w.Header()
}

// FuzzAuthHTTP sends fuzzed credentials to the read-only authenticated
// routes through the whole server. Properties: never a 5xx; a JSON body in
// the route's shape; the account's real secret never in a response; and a
// wrong secret has no influence on the answer: replacing it by another
// wrong secret of the same length gives the same response byte for byte,
// so nothing of it is echoed and no wrong secret is treated differently.
func FuzzAuthHTTP(f *testing.F) {
	h, _, _ := fuzzServer(f, false)
	f.Add(uint8(0), fuzzKey, fuzzSecret, "", "")
	f.Add(uint8(1), fuzzKey, "Wrong1Secret", "", "")
	f.Add(uint8(2), fuzzKey, fuzzSecret, "", "")
	f.Add(uint8(3), fuzzKey, "x", "trx=abc", "")
	f.Add(uint8(4), "other:key", "x", "", "/07239aeb-d756-4c32-a1de-cf64f8b21827")
	f.Add(uint8(5), fuzzKey, fuzzSecret, "", "")
	f.Add(uint8(6), "", "", "api_secret=%zz", "")
	f.Fuzz(func(t *testing.T, mode uint8, key, secret, rawQuery, pathTail string) {
		if len(key)+len(secret)+len(rawQuery)+len(pathTail) > httpapi.FuzzLimit {
			return
		}
		build := func(secret string) *http.Request {
			creds := url.Values{"api_key": {key}, "api_secret": {secret}}
			var r *http.Request
			switch mode % 7 {
			case 0: // E1, query
				r = httptest.NewRequest("GET", "/account/get-balance", nil)
				r.URL.RawQuery = creds.Encode() + "&" + rawQuery
			case 1: // E3 read, form
				r = httptest.NewRequest("POST", "/account/settings", strings.NewReader(creds.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.URL.RawQuery = rawQuery
			case 2: // E1, Basic
				r = httptest.NewRequest("GET", "/account/get-balance", nil)
				r.SetBasicAuth(key, secret)
			case 3: // E2 with an unknown trx, Basic
				r = httptest.NewRequest("POST", "/account/top-up", strings.NewReader(rawQuery))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.SetBasicAuth(key, secret)
			case 4: // E6, Basic, any path
				r = httptest.NewRequest("GET", "/", nil)
				r.URL.Path = "/accounts/" + fuzzKey + "/secrets" + pathTail
				r.SetBasicAuth(key, secret)
			case 5: // E4, Basic
				r = httptest.NewRequest("GET", "/accounts/"+fuzzKey+"/secrets", nil)
				r.SetBasicAuth(key, secret)
			case 6: // E1, a raw Authorization header
				r = httptest.NewRequest("GET", "/account/get-balance", nil)
				r.Header["Authorization"] = []string{key + secret}
			}
			r.RemoteAddr = "192.0.2.1:1234"
			return r
		}
		status, ct, body, header := serveFuzz(h, build(secret))
		if status >= 500 {
			t.Fatalf("status %d: %s", status, body)
		}
		if body != "" && ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		if body != "" && !json.Valid([]byte(body)) {
			t.Fatalf("body is not JSON: %q", body)
		}
		if strings.Contains(body, fuzzSecret) {
			t.Fatalf("the account's secret is in the response: %s", body)
		}
		for _, vs := range header {
			for _, v := range vs {
				if strings.Contains(v, fuzzSecret) {
					t.Fatalf("the account's secret is in a header: %q", v)
				}
			}
		}
		if secret == fuzzSecret || secret == "" || status == http.StatusOK {
			return // the right secret (perhaps reassembled from key and secret in mode 6)
		}
		// Another wrong secret of the same length (the length alone decides
		// the "longer than 128" refusal).
		other := []byte(secret)
		for i, b := range other {
			other[i] = 'q'
			if b == 'q' {
				other[i] = 'Q'
			}
		}
		status2, _, body2, _ := serveFuzz(h, build(string(other)))
		if status2 != status || body2 != body {
			t.Fatalf("the answer depends on a wrong secret: %q -> %d %s\n%q -> %d %s", secret, status, body, other, status2, body2)
		}
	})
}

// FuzzAdminMoney posts fuzzed credits and charges through the whole server
// and checks the money: never a 5xx; a 201 moves exactly the amounts it
// reports (a replay moves nothing) and adds their ledger rows; any other
// answer changes nothing; the balance always equals the last ledger row's
// balance_after.
func FuzzAdminMoney(f *testing.F) {
	h, svc, store := fuzzServer(f, true)
	f.Add(false, `{"amount":"1.5","reference":"r"}`, "")
	f.Add(true, `{"amount":"6"}`, "key-1")
	f.Add(true, `{"amount":"6"}`, "key-1")
	f.Add(true, `{"amount":"7"}`, "key-1")
	f.Add(true, `{"amount":"100000"}`, "")
	f.Add(false, `{"amount":"9999999999.99999999"}`, "")
	f.Add(false, `{"amount":"1","reference":"\u0007"}`, "")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, charge bool, body, idem string) {
		if len(body)+len(idem) > httpapi.FuzzLimit {
			return
		}
		before, ledger := moneyState(t, svc, store)
		what := "credits"
		if charge {
			what = "charges"
		}
		r := httptest.NewRequest("POST", "/admin/accounts/"+fuzzKey+"/"+what, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+fuzzAdminToken)
		if idem != "" {
			r.Header["Idempotency-Key"] = []string{idem}
		}
		status, _, resBody, header := serveFuzz(h, r)
		after, ledgerAfter := moneyState(t, svc, store)
		switch {
		case status >= 500:
			t.Fatalf("status %d: %s", status, resBody)
		case status == http.StatusCreated && header.Get("Idempotent-Replayed") == "":
			var moved adminapi.Movement
			if err := json.Unmarshal([]byte(resBody), &moved); err != nil {
				t.Fatalf("201 body %s: %v", resBody, err)
			}
			delta, err := account.ParseSignedMoney("transaction.amount", moved.Transaction.Amount)
			if err != nil {
				t.Fatal(err)
			}
			rows := 1
			if moved.Reload != nil {
				reload, err := account.ParseSignedMoney("reload.amount", moved.Reload.Amount)
				if err != nil {
					t.Fatal(err)
				}
				delta += reload
				rows++
			}
			if (delta > 0) == charge && moved.Reload == nil {
				t.Fatalf("%s moved %d", what, delta)
			}
			if after != before+delta || ledgerAfter != ledger+rows {
				t.Fatalf("201 moving %d: balance %d -> %d, ledger %d -> %d rows", delta, before, after, ledger, ledgerAfter)
			}
		default:
			if after != before || ledgerAfter != ledger {
				t.Fatalf("%d changed the money: balance %d -> %d, ledger %d -> %d rows: %s", status, before, after, ledger, ledgerAfter, resBody)
			}
		}
		txs, err := store.Transactions(ctx, fuzzKey, 0, 1)
		if err != nil || len(txs) == 0 || txs[0].BalanceAfter != after {
			t.Fatalf("last ledger row %+v, balance %d, %v", txs, after, err)
		}
	})
}

// moneyState is the account's balance and number of ledger rows.
func moneyState(t *testing.T, svc *account.Service, store account.Store) (account.Money, int) {
	t.Helper()
	acct, _, err := svc.AccountDetails(context.Background(), fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	n, before := 0, int64(0)
	for {
		txs, err := store.Transactions(context.Background(), fuzzKey, before, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n += len(txs)
		if len(txs) < 1000 {
			return acct.Balance, n
		}
		before = txs[len(txs)-1].ID
	}
}
