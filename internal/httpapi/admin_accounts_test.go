package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// listPage is one page of GET /admin/accounts, decoded strictly.
func (e *env) listPage(t *testing.T, query url.Values) adminapi.AccountsPage {
	t.Helper()
	r := e.do(t, request{method: "GET", path: "/admin/accounts", query: query, bearer: adminToken})
	if r.status != http.StatusOK {
		t.Fatalf("list %v: %d %s", query, r.status, r.body)
	}
	var page adminapi.AccountsPage
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&page); err != nil || page.Accounts == nil {
		t.Fatalf("list body %s: %v", r.body, err)
	}
	return page
}

// listKeys follows the cursors from the first page and returns every key.
func (e *env) listKeys(t *testing.T, query url.Values) []string {
	t.Helper()
	var keys []string
	for range 50 {
		page := e.listPage(t, query)
		for _, a := range page.Accounts {
			keys = append(keys, a.APIKey)
		}
		if page.NextCursor == "" {
			return keys
		}
		query.Set("cursor", page.NextCursor)
	}
	t.Fatal("the cursors never ended")
	return nil
}

func TestAdminListAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := []string{"list0001", "list0002", "list0003", "list0010", "other001", "sub00001", "sub00002"}
	for _, k := range []string{"list0003", "list0001", "other001", "list0010", "list0002"} {
		e.newAccount(t, account.NewAccount{APIKey: k})
	}
	e.newAccount(t, account.NewAccount{APIKey: "sub00002", PrimaryAPIKey: "list0001"})
	e.newAccount(t, account.NewAccount{APIKey: "sub00001", PrimaryAPIKey: "list0001"})

	for _, tc := range []struct {
		query url.Values
		want  []string
	}{
		{url.Values{}, all},
		{url.Values{"page_size": {"1"}}, all},
		{url.Values{"page_size": {"3"}}, all},
		{url.Values{"page_size": {"7"}}, all},
		{url.Values{"page_size": {"1000"}}, all},
		{url.Values{"prefix": {"list000"}, "page_size": {"2"}}, []string{"list0001", "list0002", "list0003"}},
		{url.Values{"prefix": {"nothing"}}, nil},
		{url.Values{"primary_api_key": {"list0001"}, "page_size": {"1"}}, []string{"sub00001", "sub00002"}},
		{url.Values{"primary_api_key": {"list0001"}, "prefix": {"sub00002"}}, []string{"sub00002"}},
		{url.Values{"primary_api_key": {"sub00001"}}, nil},
	} {
		if got := e.listKeys(t, tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.query, got, tc.want)
		}
	}
	// A full last page has no cursor: the last page is the one without.
	if page := e.listPage(t, url.Values{"page_size": {"7"}}); page.NextCursor != "" {
		t.Errorf("a page holding the last account has cursor %q", page.NextCursor)
	}
	// Each account as GET /admin/accounts/{api_key} shows it.
	page := e.listPage(t, url.Values{"prefix": {"sub00001"}})
	show := e.do(t, request{method: "GET", path: "/admin/accounts/sub00001", bearer: adminToken})
	listed, _ := json.Marshal(page.Accounts[0])
	var a, b any
	_ = json.Unmarshal(listed, &a)
	_ = json.Unmarshal(show.body, &b)
	if len(page.Accounts) != 1 || !equalJSON(a, b) {
		t.Errorf("listed %s, shown %s", listed, show.body)
	}
}

func TestAdminListAccountsRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.newAccount(t, account.NewAccount{APIKey: "refuse01"})
	for _, tc := range []struct {
		raw, param string
	}{
		{"page_size=0", "page_size"},
		{"page_size=1001", "page_size"},
		{"page_size=-1", "page_size"},
		{"page_size=ten", "page_size"},
		{"page_size=", "page_size"},
		{"cursor=", "cursor"},
		{"cursor=refuse01", "cursor"},
		{"cursor=%%%", "query"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("acct:")), "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("acct:NOT A KEY")), "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("txn:refuse01")), "cursor"},
		{"limit=5", "query"},
		{"Prefix=ref", "query"},
	} {
		r := e.do(t, request{method: "GET", path: "/admin/accounts", rawQuery: tc.raw, bearer: adminToken})
		t.Run(tc.raw, func(t *testing.T) { wantValidation(t, r, tc.param) })
	}
	// Without the token: the same 401 as every admin route.
	r := e.do(t, request{method: "GET", path: "/admin/accounts"})
	if r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
}

func TestAdminResetSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, old1 := e.newAccount(t, account.NewAccount{APIKey: "resetme1"})
	old2 := "Second2Secret"
	if _, err := e.svc.CreateSecret(t.Context(), account.Account{APIKey: key}, key, old2); err != nil {
		t.Fatal(err)
	}
	balance := func(secret string) int {
		return e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}}).status
	}
	// Both old secrets work, and are in the verification cache.
	for _, s := range []string{old1, old2, old1, old2} {
		if st := balance(s); st != 200 {
			t.Fatalf("old secret before the reset: %d", st)
		}
	}

	// A generated secret, shown once.
	r := e.do(t, request{method: "POST", path: "/admin/accounts/" + key + "/reset-secret", bearer: adminToken, body: `{}`})
	if r.status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	var got adminapi.SecretReset
	if err := json.Unmarshal(r.body, &got); err != nil || got.APIKey != key || !uuidRE.MatchString(got.SecretID) || account.ValidateSecret(got.APISecret) != nil {
		t.Fatalf("reset body %s: %v", r.body, err)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on a body holding a secret", r.header.Get("Cache-Control"))
	}
	for _, s := range []string{old1, old2} {
		if st := balance(s); st != http.StatusUnauthorized {
			t.Errorf("an old secret after the reset: %d, want 401", st)
		}
	}
	if st := balance(got.APISecret); st != 200 {
		t.Errorf("the new secret: %d", st)
	}
	_, secrets, _ := e.svc.AccountDetails(t.Context(), key)
	if len(secrets) != 1 || secrets[0].ID != got.SecretID {
		t.Errorf("secrets after the reset: %v, want only %s", secrets, got.SecretID)
	}
	// The audit line names the key and the new id, never the secret.
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"secrets reset by an operator","api_key":"resetme1","secret_id":"`+got.SecretID+`"`) {
		t.Errorf("no audit line for the reset in\n%s", logs)
	}
	if strings.Contains(logs, got.APISecret) {
		t.Error("the generated secret is in the log")
	}

	// A chosen secret, not echoed; an empty body generates one too.
	r = e.do(t, request{method: "POST", path: "/admin/accounts/" + key + "/reset-secret", bearer: adminToken, body: `{"secret":"Chosen9Secret"}`})
	m := r.object(t)
	if r.status != 200 || strings.Join(keys(m), ",") != "api_key,secret_id" {
		t.Errorf("reset to a chosen secret: %d %s", r.status, r.body)
	}
	if balance("Chosen9Secret") != 200 || balance(got.APISecret) != http.StatusUnauthorized {
		t.Error("the chosen secret does not replace the generated one")
	}
	r = e.do(t, request{method: "POST", path: "/admin/accounts/" + key + "/reset-secret", bearer: adminToken})
	if r.status != 200 || r.object(t)["api_secret"] == nil {
		t.Errorf("reset with no body: %d %s", r.status, r.body)
	}
}

func TestAdminResetSecretRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{APIKey: "resetno1"})
	before := e.snapshot(t, key)
	path := "/admin/accounts/" + key + "/reset-secret"
	for _, tc := range []struct{ body, param string }{
		{`{"secret":"weak"}`, "secret"},
		{`{"secret":"nouppercase1"}`, "secret"},
		{`{"secret":12345678}`, "secret"},
		{`{"secret":null}`, "secret"},
		{`{"Secret":"Good1Secret"}`, "body"},
		{`{"secret":"Good1Secret","extra":1}`, "body"},
		{`[]`, "body"},
		{`{} {}`, "body"},
	} {
		r := e.do(t, request{method: "POST", path: path, bearer: adminToken, body: tc.body})
		t.Run(tc.body, func(t *testing.T) { wantValidation(t, r, tc.param) })
	}
	r := e.do(t, request{method: "POST", path: "/admin/accounts/nobody00/reset-secret", bearer: adminToken, body: `{}`})
	wantProblem(t, r, http.StatusNotFound, "#invalid-api-key", "Invalid API Key")
	r = e.do(t, request{method: "POST", path: path, body: `{}`})
	if r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.status)
	}
	if after := e.snapshot(t, key); !equalJSON(before, after) {
		t.Errorf("refused resets changed the account:\n%+v\n%+v", before, after)
	}
	if r := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, secret}}); r.status != 200 {
		t.Errorf("the secret after refused resets: %d", r.status)
	}
	if strings.Contains(e.logs.String(), "Good1Secret") {
		t.Error("a refused secret is in the log")
	}
}

// TestAdminResetSecretUnderLoad resets while the old secret is in use: once
// the reset has answered, no request with the old secret succeeds.
func TestAdminResetSecretUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, old := e.newAccount(t, account.NewAccount{APIKey: "resetld1"})
	stop := make(chan struct{})
	var (
		mu        sync.Mutex
		resetDone bool
		lateOK    int
		wg        sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				done := resetDone
				mu.Unlock()
				st := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, old}}).status
				if done && st == 200 {
					mu.Lock()
					lateOK++
					mu.Unlock()
				}
			}
		})
	}
	r := e.do(t, request{method: "POST", path: "/admin/accounts/" + key + "/reset-secret", bearer: adminToken, body: `{"secret":"Fresh1Secret"}`})
	mu.Lock()
	resetDone = true
	mu.Unlock()
	for range 20 {
		if st := e.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{key, old}}).status; st == 200 {
			mu.Lock()
			lateOK++
			mu.Unlock()
		}
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if r.status != 200 || lateOK != 0 {
		t.Errorf("reset %d; %d requests started after it succeeded with the old secret", r.status, lateOK)
	}
}
