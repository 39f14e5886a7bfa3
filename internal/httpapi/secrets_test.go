package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// wantSecretObject checks one secret object exactly and returns its id.
func wantSecretObject(t *testing.T, v any, key string) string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("secret %v is not an object", v)
	}
	id, _ := m["id"].(string)
	if !uuidRE.MatchString(id) {
		t.Errorf("id %q is not a v4 UUID", id)
	}
	want := map[string]any{
		"_links":     map[string]any{"self": map[string]any{"href": "/accounts/" + key + "/secrets/" + id}},
		"id":         id,
		"created_at": clockStamp,
	}
	if !equalJSON(m, want) {
		t.Errorf("secret %v, want %v", m, want)
	}
	return id
}

// listIDs lists key's secrets as caller and checks the HAL shape.
func listIDs(t *testing.T, e *env, key string, caller []string) []string {
	t.Helper()
	r := e.do(t, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: caller})
	if r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	m := r.object(t)
	if strings.Join(keys(m), ",") != "_embedded,_links" {
		t.Errorf("list keys %v", keys(m))
	}
	if !equalJSON(m["_links"], map[string]any{"self": map[string]any{"href": "/accounts/" + key + "/secrets"}}) {
		t.Errorf("list _links %v", m["_links"])
	}
	emb, _ := m["_embedded"].(map[string]any)
	if strings.Join(keys(emb), ",") != "secrets" {
		t.Errorf("_embedded keys %v", keys(emb))
	}
	var ids []string
	list, _ := emb["secrets"].([]any)
	for _, s := range list {
		ids = append(ids, wantSecretObject(t, s, key))
	}
	return ids
}

func TestSecretsLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	creds := []string{key, secret}
	path := "/accounts/" + key + "/secrets"

	ids := listIDs(t, e, key, creds)
	if len(ids) != 1 {
		t.Fatalf("new account has %d secrets", len(ids))
	}
	first := ids[0]

	// E5, JSON.
	r := e.do(t, request{method: "POST", path: path, basic: creds, contentType: "application/json", body: `{"secret":"Second2Secret"}`})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	second := wantSecretObject(t, r.object(t), key)
	if loc := r.header.Get("Location"); loc != path+"/"+second {
		t.Errorf("Location %q", loc)
	}
	if got := listIDs(t, e, key, creds); strings.Join(got, ",") != first+","+second {
		t.Errorf("list %v, want oldest first [%s %s]", got, first, second)
	}
	// The new secret authenticates.
	if r := e.do(t, request{method: "GET", path: path, basic: []string{key, "Second2Secret"}}); r.status != 200 {
		t.Errorf("new secret: %d", r.status)
	}

	// A third is refused.
	r = e.do(t, request{method: "POST", path: path, basic: creds, contentType: "application/json", body: `{"secret":"Third3Secret"}`})
	m := wantProblem(t, r, 403, "/account/secret-management#add-excess-secret", "Secret Addition Forbidden")
	wantDetail(t, m, "Account reached maximum number [2] of allowed secrets")

	// E6, with an upper-case id too.
	r = e.do(t, request{method: "GET", path: path + "/" + second, basic: creds})
	if r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	wantSecretObject(t, r.object(t), key)
	r = e.do(t, request{method: "GET", path: path + "/" + strings.ToUpper(second), basic: creds})
	if r.status != 200 || wantSecretObject(t, r.object(t), key) != second {
		t.Errorf("get upper-case id: %d %s", r.status, r.body)
	}

	// E7.
	r = e.do(t, request{method: "DELETE", path: path + "/" + second, basic: creds})
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: %d %q", r.status, r.body)
	}
	r = e.do(t, request{method: "GET", path: path + "/" + second, basic: creds})
	wantDetail(t, wantProblem(t, r, 404, "#invalid-id", "Invalid ID"), "ID '"+second+"' could not be found")
	// The store refuses this one: the same words, the same quotes.
	r = e.do(t, request{method: "DELETE", path: path + "/" + second, basic: creds})
	wantDetail(t, wantProblem(t, r, 404, "#invalid-id", "Invalid ID"), "ID '"+second+"' could not be found")
	r = e.do(t, request{method: "DELETE", path: path + "/" + first, basic: creds})
	m = wantProblem(t, r, 403, "/account/secret-management#delete-last-secret", "Secret Deletion Forbidden")
	wantDetail(t, m, "Can not delete the last secret. The account must always have at least 1 secret active at any time")

	// E5, form-encoded.
	r = e.do(t, request{method: "POST", path: path, basic: creds, form: url.Values{"secret": {"Form3Secret"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("create from form: %d %s", r.status, r.body)
	}
	wantSecretObject(t, r.object(t), key)
	// Nothing ever returns a secret's value.
	for _, s := range []string{"Second2Secret", "Form3Secret", secret} {
		if strings.Contains(string(r.body), s) {
			t.Errorf("a response contains a secret")
		}
	}
}

func TestSecretsErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	otherKey, _ := e.newAccount(t, account.NewAccount{APIKey: "otherkey1"})
	creds := []string{key, secret}
	path := "/accounts/" + key + "/secrets"
	const unknownUUID = "07239aeb-d756-4c32-a1de-cf64f8b21827"

	unauthorized := []struct {
		name string
		req  request
	}{
		{"missing", request{}},
		{"wrong secret", request{basic: []string{key, secret + "x"}}},
		{"unknown key", request{basic: []string{"nosuchkey", secret}}},
		{"bad base64", request{header: map[string]string{"Authorization": "Basic !!!notbase64"}}},
		{"no colon", request{header: map[string]string{"Authorization": "Basic bm9jb2xvbg=="}}},
		{"bearer", request{header: map[string]string{"Authorization": "Bearer " + secret}}},
		{"query credentials", request{query: url.Values{"api_key": {key}, "api_secret": {secret}}}},
	}
	for _, ep := range []struct{ method, path, body string }{
		{"GET", path, ""}, {"POST", path, `{"secret":"Another1Secret"}`},
		{"GET", path + "/" + unknownUUID, ""}, {"DELETE", path + "/" + unknownUUID, ""},
	} {
		for _, u := range unauthorized {
			req := u.req
			req.method, req.path, req.body = ep.method, ep.path, ep.body
			r := e.do(t, req)
			m := wantProblem(t, r, 401, "#unauthorized", "Invalid credentials supplied")
			wantDetail(t, m, "You did not provide correct credentials.")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s %s: no WWW-Authenticate", ep.method, ep.path, u.name)
			}
		}
	}

	// An unknown key and someone else's key are the same 404.
	unknown := e.do(t, request{method: "GET", path: "/accounts/nosuchkey/secrets", basic: creds})
	foreign := e.do(t, request{method: "GET", path: "/accounts/" + otherKey + "/secrets", basic: creds})
	mu := wantProblem(t, unknown, 404, "#invalid-api-key", "Invalid API Key")
	mf := wantProblem(t, foreign, 404, "#invalid-api-key", "Invalid API Key")
	if strings.ReplaceAll(mu["detail"].(string), "nosuchkey", "K") != strings.ReplaceAll(mf["detail"].(string), otherKey, "K") {
		t.Errorf("details differ: %q vs %q", mu["detail"], mf["detail"])
	}
	for _, ep := range []struct{ method, path, body string }{
		{"POST", "/accounts/" + otherKey + "/secrets", `{"secret":"Another1Secret"}`},
		{"GET", "/accounts/" + otherKey + "/secrets/" + unknownUUID, ""},
		{"DELETE", "/accounts/" + otherKey + "/secrets/" + unknownUUID, ""},
	} {
		wantProblem(t, e.do(t, request{method: ep.method, path: ep.path, body: ep.body, basic: creds}), 404, "#invalid-api-key", "Invalid API Key")
	}

	// Unknown and malformed ids.
	for _, id := range []string{unknownUUID, "not-a-uuid", "07239aeb-d756-4c32-a1de-cf64f8b2182z", strings.Repeat("a", 300), "%20", "x%2Fy", "%00"} {
		for _, m := range []string{"GET", "DELETE"} {
			p := wantProblem(t, e.do(t, request{method: m, path: path + "/" + id, basic: creds}), 404, "#invalid-id", "Invalid ID")
			if id == unknownUUID {
				wantDetail(t, p, "ID '"+unknownUUID+"' could not be found")
			}
		}
	}

	// Validation.
	for _, body := range []string{`{"secret":"short1A"}`, `{"secret":"alllowercase1"}`, `{"secret":"NoDigitsHere"}`, `{"secret":"` + strings.Repeat("Ab1", 9) + `"}`, `{}`, `{"secret":5}`} {
		wantValidation(t, e.do(t, request{method: "POST", path: path, basic: creds, contentType: "application/json", body: body}), "secret")
	}
	wantValidation(t, e.do(t, request{method: "POST", path: path, basic: creds, contentType: "application/json", body: "secret"}), "body")
}

func TestSubaccountSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	primary, pSecret := e.newAccount(t, account.NewAccount{APIKey: "primary01"})
	sub, sSecret := e.newAccount(t, account.NewAccount{APIKey: "subacct01", PrimaryAPIKey: primary, Secret: "Sub1Secret"})
	other, oSecret := e.newAccount(t, account.NewAccount{APIKey: "unrelated1"})
	pCreds := []string{primary, pSecret}

	ids := listIDs(t, e, sub, pCreds)
	if len(ids) != 1 {
		t.Fatalf("sub has %d secrets", len(ids))
	}
	r := e.do(t, request{method: "POST", path: "/accounts/" + sub + "/secrets", basic: pCreds, body: `{"secret":"SubSecond2"}`})
	if r.status != 201 {
		t.Fatalf("primary creates sub secret: %d %s", r.status, r.body)
	}
	second := wantSecretObject(t, r.object(t), sub)
	if r := e.do(t, request{method: "GET", path: "/accounts/" + sub + "/secrets/" + second, basic: pCreds}); r.status != 200 {
		t.Errorf("primary gets sub secret: %d", r.status)
	}
	if r := e.do(t, request{method: "DELETE", path: "/accounts/" + sub + "/secrets/" + second, basic: pCreds}); r.status != 204 {
		t.Errorf("primary revokes sub secret: %d", r.status)
	}

	// Neither a subaccount nor an unrelated account sees anyone else's
	// secrets, and the 404 is the same as for a key that does not exist.
	for _, c := range []struct {
		caller []string
		target string
	}{
		{[]string{sub, sSecret}, primary},
		{[]string{other, oSecret}, sub},
		{[]string{other, oSecret}, primary},
		{[]string{other, oSecret}, "nosuchkey"},
	} {
		r := e.do(t, request{method: "GET", path: "/accounts/" + c.target + "/secrets", basic: c.caller})
		m := wantProblem(t, r, 404, "#invalid-api-key", "Invalid API Key")
		if want := "API key '" + c.target + "' not found"; m["detail"] != want {
			t.Errorf("detail %q, want %q", m["detail"], want)
		}
	}
}

// TestRevocationIsImmediate: once DELETE answered 204, the revoked secret
// fails at once, although successful verifications are cached.
func TestRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, old := e.newAccount(t, account.NewAccount{})
	oldCreds := []string{key, old}
	ids := listIDs(t, e, key, oldCreds)
	for range 3 { // warm the verification cache
		if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: oldCreds}); r.status != 200 {
			t.Fatalf("balance: %d", r.status)
		}
	}
	r := e.do(t, request{method: "POST", path: "/accounts/" + key + "/secrets", basic: oldCreds, body: `{"secret":"Rotated9Secret"}`})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = e.do(t, request{method: "DELETE", path: "/accounts/" + key + "/secrets/" + ids[0], basic: oldCreds})
	if r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	wantLegacy(t, e.do(t, request{method: "GET", path: "/account/get-balance", basic: oldCreds}), 401, "authentication failed")
	wantLegacy(t, e.do(t, request{method: "GET", path: "/account/get-balance", query: url.Values{"api_key": {key}, "api_secret": {old}}}), 401, "authentication failed")
	wantProblem(t, e.do(t, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: oldCreds}), 401, "#unauthorized", "Invalid credentials supplied")
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, "Rotated9Secret"}}); r.status != 200 {
		t.Errorf("new secret after rotation: %d", r.status)
	}
}
