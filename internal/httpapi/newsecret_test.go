package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// balanceStatus is the status of E1 with key and secret in the query.
func (e *env) balanceStatus(t *testing.T, key, secret string) int {
	t.Helper()
	return e.do(t, withCreds(request{method: "GET", path: "/account/get-balance"}, "query", key, secret)).status
}

// TestNewSecret: E3's newSecret replaces the secret the request used, in
// place (the count does not change), answers the settings plus
// "api-secret", and the old secret fails on the very next request, also
// when a verification of it was cached.
func TestNewSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, mode := range []string{"query", "form", "basic"} {
		key, old := e.newAccount(t, account.NewAccount{})
		if st := e.balanceStatus(t, key, old); st != http.StatusOK { // caches the verification
			t.Fatalf("%s: balance with the old secret: %d", mode, st)
		}
		before := e.snapshot(t, key)
		const repl = "N3w-Secret-42"
		req := withCreds(request{method: "POST", path: "/account/settings"}, mode, key, old)
		if mode == "query" {
			req.query.Set("newSecret", repl)
		} else {
			req.form = url.Values{"newSecret": {repl}}
			if mode == "form" {
				req.form = withCreds(request{}, "form", key, old).form
				req.form.Set("newSecret", repl)
			}
		}
		r := e.do(t, req)
		if r.status != http.StatusOK {
			t.Fatalf("%s: newSecret: %d %s", mode, r.status, r.body)
		}
		m := r.object(t)
		want := map[string]any{"mo-callback-url": "", "dr-callback-url": "", "max-outbound-request": 30,
			"max-inbound-request": 30, "max-calls-per-second": 30, "api-secret": repl}
		if !equalJSON(m, want) {
			t.Errorf("%s: body %s, want %v", mode, r.body, want)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", mode, cc)
		}
		after := e.snapshot(t, key)
		if len(after.SecretIDs) != 1 || after.SecretIDs[0] == before.SecretIDs[0] {
			t.Errorf("%s: secrets %v -> %v, want one new id", mode, before.SecretIDs, after.SecretIDs)
		}
		if st := e.balanceStatus(t, key, old); st != http.StatusUnauthorized {
			t.Errorf("%s: old secret after the change: %d, want 401", mode, st)
		}
		if st := e.balanceStatus(t, key, repl); st != http.StatusOK {
			t.Errorf("%s: new secret: %d, want 200", mode, st)
		}
	}
	if strings.Contains(e.logs.String(), "N3w-Secret-42") {
		t.Error("the new secret reached the log")
	}
}

// TestNewSecretOfTwo: with two secrets, the one the request used is
// replaced and the other keeps working.
func TestNewSecretOfTwo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, first := e.newAccount(t, account.NewAccount{})
	acct, err := e.store.Account(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	const second, repl = "Second-Secret-2", "Repl4ced-Secret"
	if _, err := e.svc.CreateSecret(t.Context(), acct, key, second); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t, key)
	req := withCreds(request{method: "POST", path: "/account/settings"}, "query", key, second)
	req.query.Set("newSecret", repl)
	if r := e.do(t, req); r.status != http.StatusOK {
		t.Fatalf("newSecret: %d %s", r.status, r.body)
	}
	after := e.snapshot(t, key)
	if len(after.SecretIDs) != 2 || after.SecretIDs[0] != before.SecretIDs[0] || slices.Contains(after.SecretIDs, before.SecretIDs[1]) {
		t.Errorf("secrets %v -> %v, want the first kept and the second replaced", before.SecretIDs, after.SecretIDs)
	}
	for secret, want := range map[string]int{first: 200, second: 401, repl: 200} {
		if st := e.balanceStatus(t, key, secret); st != want {
			t.Errorf("balance with %s: %d, want %d", secret, st, want)
		}
	}
}

// TestNewSecretRefused: every field is checked before anything changes:
// a weak newSecret leaves valid URLs unset, a bad URL leaves the secret.
func TestNewSecretRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	before := e.snapshot(t, key)
	for _, c := range []struct {
		name  string
		form  url.Values
		label string
	}{
		{"weak", url.Values{"newSecret": {"weak"}, "moCallBackUrl": {"https://example.com/mo"}}, "newSecret: must be 8 to 25 characters long"},
		{"no digit", url.Values{"newSecret": {"NoDigitsHere"}}, "newSecret: must contain at least one lower-case letter, one upper-case letter and one digit"},
		{"empty", url.Values{"newSecret": {""}}, "newSecret: must be 8 to 25 characters long"},
		{"bad url", url.Values{"newSecret": {"Fine-Secret-9"}, "drCallBackUrl": {"ftp://x"}}, "drCallBackUrl: must be an absolute http or https URL"},
	} {
		c.form.Set("api_key", key)
		c.form.Set("api_secret", secret)
		r := e.do(t, request{method: "POST", path: "/account/settings", form: c.form})
		wantLegacy(t, r, http.StatusBadRequest, c.label)
		if strings.Contains(string(r.body), c.form.Get("newSecret")) && c.form.Get("newSecret") != "" {
			t.Errorf("%s: the answer repeats the secret: %s", c.name, r.body)
		}
		if after := e.snapshot(t, key); !equalJSON(after, before) {
			t.Errorf("%s: the account changed:\n%+v\n%+v", c.name, before, after)
		}
	}
	if st := e.balanceStatus(t, key, secret); st != http.StatusOK {
		t.Errorf("the secret stopped working: %d", st)
	}
	// Both valid: both applied, in one request.
	r := e.do(t, request{method: "POST", path: "/account/settings", form: url.Values{
		"api_key": {key}, "api_secret": {secret}, "newSecret": {"Both-Valid-7"}, "moCallBackUrl": {"https://example.com/mo"}}})
	if m := r.object(t); r.status != http.StatusOK || m["mo-callback-url"] != "https://example.com/mo" || m["api-secret"] != "Both-Valid-7" {
		t.Errorf("both valid: %d %s", r.status, r.body)
	}
	if st := e.balanceStatus(t, key, "Both-Valid-7"); st != http.StatusOK {
		t.Errorf("the new secret: %d", st)
	}
}
