package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// Fuzz targets for every parser of request data in this package: the
// credential extraction (query, form, Basic), the JSON and form bodies of
// E5 and the admin API, the ledger's query string and the client address
// from forwarding headers. Seeds are in testdata/fuzz/<FuzzName>/ as well
// as below; .ci/run runs each target for a few seconds.

// fuzzLimit keeps fuzzed request parts well under DefaultMaxBodyBytes, so
// that no property depends on where the 413 falls.
const fuzzLimit = 8 << 10

// withState returns r carrying a request state, as withRequestState gives
// it, so that the secrets a parser notes can be inspected.
func withState(r *http.Request) (*http.Request, *requestState) {
	st := &requestState{id: newRequestID()}
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st)), st
}

// FuzzLegacyCredentials: whatever key and secret a client sends, in the
// query string, a form body or a Basic header, the server reads exactly
// those back; and for any raw query string, form body and Authorization
// header, extraction never panics and agrees with the header's own
// decoding.
func FuzzLegacyCredentials(f *testing.F) {
	f.Add("abcd1234", "Valid1Secret", uint8(0), "", "", "")
	f.Add("abcd1234", "with&amp=;%+ spaces", uint8(1), "api_key=other", "", "")
	f.Add("key:colon", "s:e:c", uint8(2), "", "", "")
	f.Add("", "", uint8(3), "api_key=a&api_secret=b&api_secret=c", "api_secret=%zz", "Basic YTpi")
	f.Add("", "", uint8(3), "api_key=a;api_secret=b", "", "basic    YTpi")
	f.Add("", "", uint8(3), "", "api_key=x&api_secret=y", "Bearer token")
	f.Fuzz(func(t *testing.T, key, secret string, mode uint8, rawQuery, body, authz string) {
		if len(key)+len(secret)+len(rawQuery)+len(body)+len(authz) > fuzzLimit {
			return
		}
		creds := url.Values{"api_key": {key}, "api_secret": {secret}}.Encode()
		var r *http.Request
		switch mode % 4 {
		case 0: // query string
			r = httptest.NewRequest("GET", "/account/get-balance?"+creds, nil)
		case 1: // form body, with whatever else in the query (the body wins)
			r = httptest.NewRequest("POST", "/account/settings?"+url.Values{"x": {rawQuery}}.Encode(), strings.NewReader(creds))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case 2: // Basic header, which beats the parameters
			if strings.Contains(key, ":") {
				return // Basic cannot carry it
			}
			r = httptest.NewRequest("GET", "/account/get-balance?api_key=decoy&api_secret=decoy", nil)
			r.SetBasicAuth(key, secret)
		case 3: // anything at all
			u := &url.URL{Path: "/account/settings", RawQuery: rawQuery}
			r = httptest.NewRequest("POST", "/", strings.NewReader(body))
			r.URL = u
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if authz != "" {
				r.Header["Authorization"] = []string{authz}
			}
		}
		r, st := withState(r)
		ferr := parseLegacyFormForTest(r)
		gotKey, gotSecret, ok := legacyCredentials(r)
		if mode%4 != 3 {
			if ferr != nil || !ok || gotKey != key || gotSecret != secret {
				t.Fatalf("mode %d: sent %q/%q, read %q/%q ok=%v err=%v", mode%4, key, secret, gotKey, gotSecret, ok, ferr)
			}
			if secret != "" && mode%4 != 2 && !slices.Contains(st.secrets, secret) {
				t.Fatalf("the secret was not noted for redaction")
			}
			return
		}
		if authz != "" && ok {
			scheme, payload, _ := strings.Cut(authz, " ")
			dec, err := base64.StdEncoding.DecodeString(payload)
			if !strings.EqualFold(scheme, "Basic") || err != nil || string(dec) != gotKey+":"+gotSecret {
				t.Fatalf("Authorization %q read as %q/%q", authz, gotKey, gotSecret)
			}
		}
		if authz == "" && ferr == nil && !ok {
			t.Fatalf("parameters refused")
		}
	})
}

// parseLegacyFormForTest is parseLegacyForm without a server.
func parseLegacyFormForTest(r *http.Request) error { return (&server{}).parseLegacyForm(r) }

// fuzzServer is a server over a fresh SQLite database with one account,
// cheap hashing and no failure limits (the fuzzer's thousands of failures
// would otherwise all be 429s).
func fuzzServer(f *testing.F, admin bool) (http.Handler, *account.Service, *sqlite.Store) {
	store, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	svc := account.NewService(store, account.WithHashParams(account.HashParams{Memory: 8, Time: 1, Threads: 1}),
		account.WithAuthLimits(account.AuthLimits{}))
	_, _, err = svc.CreateAccount(context.Background(), account.NewAccount{
		APIKey: fuzzKey, Secret: fuzzSecret, Balance: 10 * account.Scale,
		AutoReload: &account.AutoReload{Threshold: 5 * account.Scale, Amount: 20 * account.Scale},
	})
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{Service: svc, Logger: slog.New(slog.DiscardHandler)}
	if admin {
		cfg.AdminToken = fuzzAdminToken
	}
	return NewServer(cfg), svc, store
}

const (
	fuzzKey        = "fuzzkey01"
	fuzzSecret     = "Fuzz3dSecretQ7"
	fuzzAdminToken = "fuzz-admin-token"
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
		if len(key)+len(secret)+len(rawQuery)+len(pathTail) > fuzzLimit {
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

// The messages readNewSecret may give: fixed texts only.
var newSecretMessages = []string{"is not a valid form-encoded body", "is required", `must be one JSON object such as {"secret":"..."}`,
	"must be a string", `must contain only the member "secret"`, "the request body is too large", "could not be read"}

// FuzzNewSecretBody: E5's body reader. Whatever the body and content type:
// no panic; a refusal is a fixed message naming "secret" or "body"; an
// accepted JSON body is one JSON object whose only member is "secret"
// (which encoding/json agrees with), an accepted form body has that secret
// as its first "secret" value; and the secret is noted for log redaction.
func FuzzNewSecretBody(f *testing.F) {
	for _, b := range []string{`{"secret":"Valid1Secret"}`, `{"secret":5}`, `{"secret":"a","secret":"b"}`, `{"Secret":"x"}`, `{"secret":"x"} x`, `[]`, ``, `{"secret":"\u0000"}`, `{"secret":"\ud800"}`} {
		f.Add("application/json", b)
	}
	f.Add("application/x-www-form-urlencoded", "secret=Valid1Secret&other=1")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "secret=%zz")
	f.Add("text/plain", `{"secret":"Valid1Secret"}`)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		if len(body) > fuzzLimit {
			return
		}
		r := httptest.NewRequest("POST", "/accounts/k/secrets", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r, st := withState(r)
		secret, err := readNewSecret(r)
		if err != nil {
			e := account.AsError(err)
			if e == nil || (e.Code != account.EINVALID && e.Code != codeTooLarge) || !slices.Contains(newSecretMessages, e.Message) ||
				(e.Code == account.EINVALID && e.Field != "secret" && e.Field != "body") {
				t.Fatalf("error %#v", err)
			}
			return
		}
		if secret != "" && !slices.Contains(st.secrets, secret) {
			t.Fatalf("secret not noted for redaction")
		}
		if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
			q, err := url.ParseQuery(body)
			if err != nil || len(q["secret"]) == 0 || q["secret"][0] != secret {
				t.Fatalf("form %q read as %q", body, secret)
			}
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if len(m) != 1 || m["secret"] == nil {
			t.Fatalf("accepted %q with members %v", body, m)
		}
		var first string
		dec := json.NewDecoder(strings.NewReader(body))
		dec.Token()
		dec.Token()
		if err := dec.Decode(&first); err != nil || first != secret {
			t.Fatalf("accepted %q as %q, its first member is %q (%v)", body, secret, first, err)
		}
	})
}

// FuzzAdminBodies: the admin API's readers (account creation, PATCH,
// credits and charges, the ledger's query). No panic; every refusal an
// EINVALID naming a field (or a 413); every acceptance consistent: only
// allowed members, amounts that read back exactly, a positive amount to
// move, a page within bounds.
func FuzzAdminBodies(f *testing.F) {
	for _, b := range []string{
		`{"api_key":"newkey123","secret":"Valid1Secret","balance":"10.50","auto_reload":{"threshold":"5","amount":"20"},"limits":{"max-calls-per-second":5}}`,
		`{"auto_reload":null,"limits":{"max-outbound-request":1}}`, `{"amount":"0.0068","reference":"r"}`, `{"amount":"1e3"}`,
		`{"limits":{"max-calls-per-second":1e99}}`, `{"balance":10}`, `{"amount":"1","amount":"-1"}`, `{}`, `[]`, ``,
	} {
		f.Add(b, "limit=50&cursor=12")
	}
	f.Add(`{"limits":{"max-calls-per-second":" 7"}}`, "limit=0")
	f.Add(`{"auto_reload":{"threshold":"5","amount":"0"}}`, "cursor=-1;x")
	f.Fuzz(func(t *testing.T, body, query string) {
		if len(body)+len(query) > fuzzLimit {
			return
		}
		req := func() *http.Request {
			r := httptest.NewRequest("POST", "/admin/accounts/k/credits", strings.NewReader(body))
			r.URL.RawQuery = query
			r.SetPathValue("api_key", "k")
			r, _ = withState(r)
			return r
		}
		checkErr := func(what string, err error) bool {
			t.Helper()
			if err == nil {
				return false
			}
			e := account.AsError(err)
			if e == nil || !(e.Code == account.EINVALID && e.Field != "" || e.Code == codeTooLarge) {
				t.Fatalf("%s: error %#v", what, err)
			}
			return true
		}
		members := func() map[string]json.RawMessage {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
			}
			return m
		}
		allowed := func(m map[string]json.RawMessage, names ...string) {
			for k := range m {
				if !slices.Contains(names, k) {
					t.Fatalf("accepted member %q", k)
				}
			}
		}

		if na, err := readNewAccount(req()); !checkErr("create", err) {
			allowed(members(), "api_key", "secret", "primary_api_key", "balance", "auto_reload", "limits")
			moneyReadsBack(t, na.Balance)
			if na.AutoReload != nil {
				moneyReadsBack(t, na.AutoReload.Threshold)
				moneyReadsBack(t, na.AutoReload.Amount)
			}
		}
		if upd, limits, err := readAccountUpdate(req()); !checkErr("patch", err) {
			allowed(members(), "auto_reload", "limits")
			if upd.SetAutoReload != (members()["auto_reload"] != nil) {
				t.Fatalf("auto_reload present %v, SetAutoReload %v", members()["auto_reload"] != nil, upd.SetAutoReload)
			}
			if limits != nil && members()["limits"] == nil {
				t.Fatal("limits without a limits member")
			}
		}
		if mr, err := readMoneyRequest(req()); !checkErr("money", err) {
			allowed(members(), "amount", "reference")
			if mr.Amount <= 0 {
				t.Fatalf("amount %d accepted", mr.Amount)
			}
			moneyReadsBack(t, mr.Amount)
		}
		if limit, before, err := readPage(req()); !checkErr("page", err) {
			if limit < 1 || limit > maxPageSize || before < 0 {
				t.Fatalf("page limit %d before %d", limit, before)
			}
		}
	})
}

func moneyReadsBack(t *testing.T, m account.Money) {
	t.Helper()
	if m < 0 {
		t.Fatalf("negative amount %d", m)
	}
	if back, err := account.ParseMoney("x", m.String()); err != nil || back != m {
		t.Fatalf("%d reads back as %d, %v", m, back, err)
	}
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
		if len(body)+len(idem) > fuzzLimit {
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
			var moved struct {
				Transaction struct{ Amount string }
				Reload      *struct{ Amount string }
			}
			if err := json.Unmarshal([]byte(resBody), &moved); err != nil {
				t.Fatalf("201 body %s: %v", resBody, err)
			}
			delta := signedMoney(t, moved.Transaction.Amount)
			rows := 1
			if moved.Reload != nil {
				delta += signedMoney(t, moved.Reload.Amount)
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
func moneyState(t *testing.T, svc *account.Service, store *sqlite.Store) (account.Money, int) {
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

func signedMoney(t *testing.T, s string) account.Money {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	m, err := account.ParseMoney("amount", strings.TrimPrefix(s, "-"))
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		return -m
	}
	return m
}

// FuzzClientAddr: whatever the forwarding headers say, the client address
// is an IP address; an untrusted peer is the client whatever it claims;
// behind a trusted proxy, the right-most untrusted hop is the client, so
// nothing a client writes to the left of it is believed.
func FuzzClientAddr(f *testing.F) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	f.Add("10.0.0.1:80", "1.1.1.1, 203.0.113.5", `for=1.1.1.1;proto=http, for="[2001:db9::1]:80"`, false)
	f.Add("[2001:db8::1]:80", "10.0.0.2, 10.0.0.3", `for=unknown, for=_hidden`, true)
	f.Add("198.51.100.1:1", "10.0.0.2", ``, false)
	f.Add("10.0.0.1:80", "[::ffff:10.0.0.1]:80, 203.0.113.7:9", `For="\"quoted\"";by=x`, true)
	f.Fuzz(func(t *testing.T, remote, xff, fwd string, useForwarded bool) {
		c := clientAddrResolver{trusted: trusted, header: HeaderXForwardedFor}
		if useForwarded {
			c.header = HeaderForwarded
		}
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if fwd != "" {
			r.Header.Set("Forwarded", fwd)
		}
		got := c.addr(r)
		peer, ok := parseHop(remote)
		if !ok {
			if got != remote {
				t.Fatalf("unparsable peer %q gave %q", remote, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("client address %q is not a plain IP address", got)
		}
		if !c.isTrusted(peer) {
			if a != peer {
				t.Fatalf("untrusted peer %v, client %v", peer, a)
			}
			return
		}
		var hops []string
		if useForwarded {
			hops = forwardedFor([]string{fwd})
		} else if xff != "" {
			hops = xForwardedFor([]string{xff})
		}
		if len(hops) > 0 {
			if last, ok := parseHop(hops[len(hops)-1]); ok && !c.isTrusted(last) && a != last {
				t.Fatalf("right-most hop %v is untrusted, client %v", last, a)
			}
		}
	})
}
