package httpapi_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// The signers below are this test's own reading of the SDKs' signing code
// (account/signature_internal_test.go checks the server against the SDKs'
// published vectors): legacy is server-sdk 2.x's HashGenerator, node is
// @vonage/auth's createSignatureHash.

var testDataKey = base64.StdEncoding.EncodeToString([]byte("data-key-for-tests-0123456789abc"))

func withDataKey() envOption { return withConfig(func(c *server.Config) { c.DataKey = testDataKey }) }

func digest(method, secret, msg string) string {
	if method == "md5hash" {
		sum := md5.Sum([]byte(msg + secret))
		return hex.EncodeToString(sum[:])
	}
	h := map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}[method]
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// sign adds timestamp and sig to params, signing the way gen says.
func sign(gen, method, secret string, params url.Values, ts int64) url.Values {
	out := url.Values{}
	for k, v := range params {
		out[k] = v
	}
	out.Set("timestamp", strconv.FormatInt(ts, 10))
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	sort.Strings(names)
	var msg string
	if gen == "legacy" {
		for _, k := range names {
			msg += "&" + k + "=" + strings.NewReplacer("&", "_", "=", "_").Replace(out.Get(k))
		}
	} else {
		msg = strings.NewReplacer("&", "_", "=", "_").Replace(out.Encode()) // sorted, form-encoded
	}
	out.Set("sig", digest(method, secret, msg))
	return out
}

// setSignature sets key's signature through the admin API.
func (e *env) setSignature(t *testing.T, key, body string) response {
	t.Helper()
	return e.do(t, request{method: "PATCH", path: "/admin/accounts/" + key, bearer: adminToken, body: body, contentType: "application/json"})
}

// TestSignedRequests: every method, both generations of SDK signing, in
// the query and in a form body, on E1–E3; a stale or future timestamp, a
// wrong signature or secret, and an account without a signature are 401.
func TestSignedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDataKey())
	key, _ := e.newReloadingAccount(t, account.NewAccount{})
	now := clock.Unix()
	const sigSecret = "Sig-Secret-0123456789abcdef"
	for _, method := range account.SignatureMethods {
		if r := e.setSignature(t, key, `{"signature":{"secret":"`+sigSecret+`","method":"`+method+`"}}`); r.status != http.StatusOK {
			t.Fatalf("set %s: %d %s", method, r.status, r.body)
		}
		for _, gen := range []string{"legacy", "node"} {
			q := sign(gen, method, sigSecret, url.Values{"api_key": {key}}, now)
			if r := e.do(t, request{method: "GET", path: "/account/get-balance", query: q}); r.status != http.StatusOK {
				t.Errorf("%s %s E1: %d %s", method, gen, r.status, r.body)
			}
			q.Set("sig", strings.ToUpper(q.Get("sig"))) // PHP and .NET write upper case
			if r := e.do(t, request{method: "GET", path: "/account/get-balance", query: q}); r.status != http.StatusOK {
				t.Errorf("%s %s E1, upper-case sig: %d %s", method, gen, r.status, r.body)
			}
			f := sign(gen, method, sigSecret, url.Values{"api_key": {key}, "moCallBackUrl": {"https://example.com/mo?a=1&b=2"}}, now)
			if r := e.do(t, request{method: "POST", path: "/account/settings", form: f}); r.status != http.StatusOK {
				t.Errorf("%s %s E3 form: %d %s", method, gen, r.status, r.body)
			}
			trx := sign(gen, method, sigSecret, url.Values{"api_key": {key}, "trx": {"nosuchtrx"}}, now)
			wantLegacy(t, e.do(t, request{method: "POST", path: "/account/top-up", form: trx}), http.StatusBadRequest,
				"trx: is not a reload of this account") // authenticated, then refused
		}
	}
	good := func() url.Values { return sign("legacy", "sha512", sigSecret, url.Values{"api_key": {key}}, now) }
	for _, spoil := range map[string]func(url.Values) url.Values{
		"stale timestamp": func(url.Values) url.Values {
			return sign("legacy", "sha512", sigSecret, url.Values{"api_key": {key}}, now-301)
		},
		"future timestamp": func(url.Values) url.Values {
			return sign("legacy", "sha512", sigSecret, url.Values{"api_key": {key}}, now+301)
		},
		"other secret": func(url.Values) url.Values {
			return sign("legacy", "sha512", sigSecret+"x", url.Values{"api_key": {key}}, now)
		},
		"other method": func(url.Values) url.Values {
			return sign("legacy", "sha256", sigSecret, url.Values{"api_key": {key}}, now)
		},
		"param changed": func(q url.Values) url.Values { q.Set("extra", "1"); return q },
		"no timestamp":  func(q url.Values) url.Values { q.Del("timestamp"); return q },
		"empty sig":     func(q url.Values) url.Values { q.Set("sig", ""); return q },
		"other key":     func(q url.Values) url.Values { q.Set("api_key", "nosuchkey"); return q },
	} {
		r := e.do(t, request{method: "GET", path: "/account/get-balance", query: spoil(good())})
		wantLegacy(t, r, http.StatusUnauthorized, "authentication failed")
	}
	// Within the window either way is fine.
	for _, ts := range []int64{now - 299, now + 299} {
		q := sign("node", "sha512", sigSecret, url.Values{"api_key": {key}}, ts)
		if r := e.do(t, request{method: "GET", path: "/account/get-balance", query: q}); r.status != http.StatusOK {
			t.Errorf("timestamp %+d s: %d", ts-now, r.status)
		}
	}
	// The admin API shows the method, never the secret; null removes it.
	r := e.do(t, request{method: "GET", path: "/admin/accounts/" + key, bearer: adminToken})
	if m := r.object(t); !equalJSON(m["signature"], map[string]any{"method": "sha512"}) || strings.Contains(string(r.body), sigSecret) {
		t.Errorf("GET account: %s", r.body)
	}
	if r := e.setSignature(t, key, `{"signature":null}`); r.status != http.StatusOK || r.object(t)["signature"] != nil {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	wantLegacy(t, e.do(t, request{method: "GET", path: "/account/get-balance", query: good()}), http.StatusUnauthorized, "authentication failed")
	if strings.Contains(e.logs.String(), sigSecret) {
		t.Error("the signature secret reached the log")
	}
}

// TestSignedFailuresLimited: wrong signatures count in the failure limits
// of wrong secrets: past them, even a right secret is refused from there.
func TestSignedFailuresLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDataKey(), withConfig(func(c *server.Config) { c.AuthLimits.PerPair = 3 }))
	key, secret := e.newAccount(t, account.NewAccount{})
	e.setSignature(t, key, `{"signature":{"secret":"Sig-Secret-0123","method":"md5hash"}}`)
	bad := sign("legacy", "md5hash", "wrong-secret", url.Values{"api_key": {key}}, clock.Unix())
	for range 3 {
		wantLegacy(t, e.do(t, request{method: "GET", path: "/account/get-balance", query: bad}), http.StatusUnauthorized, "authentication failed")
	}
	r := e.do(t, withCreds(request{method: "GET", path: "/account/get-balance"}, "query", key, secret))
	wantLegacy(t, r, http.StatusTooManyRequests, "rate limit exceeded")
}

// TestSignatureAdmin: the admin API refuses a signature it cannot keep
// encrypted, and bad ones, changing nothing.
func TestSignatureAdmin(t *testing.T) {
	t.Parallel()
	noKey := newEnv(t)
	key, _ := noKey.newAccount(t, account.NewAccount{})
	r := noKey.setSignature(t, key, `{"signature":{"secret":"Sig-Secret-0123","method":"md5hash"},"limits":{"max-calls-per-second":5}}`)
	wantValidation(t, r, "signature")
	if m := r.object(t); !strings.Contains(string(r.body), "VONAGE_DATA_KEY") || strings.Contains(string(r.body), "Sig-Secret-0123") {
		t.Errorf("no data key: %v", m)
	}
	if a, _ := noKey.store.Account(t.Context(), key); a.Limits.MaxCallsPerSecond != 30 {
		t.Errorf("the limits changed with a refused signature: %+v", a.Limits)
	}
	e := newEnv(t, withDataKey())
	key, _ = e.newAccount(t, account.NewAccount{})
	for body, field := range map[string]string{
		`{"signature":{"secret":"Sig-Secret-0123","method":"sha384"}}`:    "signature.method",
		`{"signature":{"secret":"short","method":"md5"}}`:                 "signature.secret",
		`{"signature":{"secret":"Sig-Secret-0123"}}`:                      "signature.method",
		`{"signature":{"method":"md5"}}`:                                  "signature.secret",
		`{"signature":{"secret":1,"method":"md5"}}`:                       "signature.secret",
		`{"signature":"md5"}`:                                             "signature",
		`{"signature":{"secret":"Sig-Secret-0123","method":"md5","x":1}}`: "signature",
	} {
		wantValidation(t, e.setSignature(t, key, body), field)
	}
	if _, found, _ := e.store.Signature(t.Context(), key); found {
		t.Error("a refused signature was stored")
	}
	wantProblem(t, e.setSignature(t, "nosuchkey", `{"signature":{"secret":"Sig-Secret-0123","method":"md5"}}`), http.StatusNotFound, "#invalid-api-key", "Invalid API Key")
}

// TestSignedNewSecret: a signed request may replace an account's only
// secret, but cannot choose between two.
func TestSignedNewSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDataKey())
	key, old := e.newAccount(t, account.NewAccount{})
	e.setSignature(t, key, `{"signature":{"secret":"Sig-Secret-0123","method":"sha256"}}`)
	f := sign("node", "sha256", "Sig-Secret-0123", url.Values{"api_key": {key}, "newSecret": {"Signed-New-1"}}, clock.Unix())
	r := e.do(t, request{method: "POST", path: "/account/settings", form: f})
	if r.status != http.StatusOK || r.object(t)["api-secret"] != "Signed-New-1" {
		t.Fatalf("signed newSecret: %d %s", r.status, r.body)
	}
	if e.balanceStatus(t, key, old) != http.StatusUnauthorized || e.balanceStatus(t, key, "Signed-New-1") != http.StatusOK {
		t.Error("the only secret was not replaced")
	}
	acct, _ := e.store.Account(t.Context(), key)
	if _, err := e.svc.CreateSecret(t.Context(), acct, key, "Second-Secret-2"); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t, key)
	f = sign("node", "sha256", "Sig-Secret-0123", url.Values{"api_key": {key}, "newSecret": {"Signed-New-2"}}, clock.Unix())
	wantLegacyPrefix(t, e.do(t, request{method: "POST", path: "/account/settings", form: f}), http.StatusBadRequest, "newSecret: ")
	if after := e.snapshot(t, key); !equalJSON(after, before) {
		t.Error("a refused newSecret changed the account")
	}
}
