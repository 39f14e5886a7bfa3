package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Fuzz targets for every parser of request data in this package: the
// credential extraction (query, form, Basic), the JSON and form bodies of
// E5 and the admin API, the ledger's query string and the client address
// from forwarding headers. Seeds are in testdata/fuzz/<FuzzName>/ as well
// as below; .ci/run runs each target for a few seconds.

// FuzzLimit keeps fuzzed request parts well under the server's body cap,
// so that no property depends on where the 413 falls. Exported for the
// fuzz targets of package httpapi_test (fuzz_server_test.go).
const FuzzLimit = 8 << 10

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
		if len(key)+len(secret)+len(rawQuery)+len(body)+len(authz) > FuzzLimit {
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
		if len(body) > FuzzLimit {
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
		if len(body)+len(query) > FuzzLimit {
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
		if upd, limits, sig, method, err := readAccountUpdate(req()); !checkErr("patch", err) {
			allowed(members(), "auto_reload", "limits", "signature", "webhook_method")
			if (method != "") != (members()["webhook_method"] != nil) {
				t.Fatalf("webhook_method present %v, read %q", members()["webhook_method"] != nil, method)
			}
			if (sig != nil) != (members()["signature"] != nil) {
				t.Fatalf("signature present %v, read %v", members()["signature"] != nil, sig != nil)
			}
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
