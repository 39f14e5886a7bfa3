package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// importLines posts body to POST /admin/import and decodes the summary.
func (e *env) importLines(t *testing.T, body string) (response, adminapi.ImportSummary) {
	t.Helper()
	r := e.do(t, request{method: "POST", path: "/admin/import", body: body,
		contentType: "application/x-ndjson", bearer: adminToken})
	var sum adminapi.ImportSummary
	if err := json.Unmarshal(r.body, &sum); err != nil {
		t.Fatalf("import answer %s: %v", r.body, err)
	}
	return r, sum
}

// cheapHash hashes secret the way an operator would offline, with the
// tests' low cost.
func cheapHash(t *testing.T, secret string) string {
	t.Helper()
	h, err := account.HashSecret(secret, account.HashParams{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// balanceOf authenticates on E1 and returns the balance body.
func (e *env) balanceOf(t *testing.T, key, secret string) response {
	t.Helper()
	return e.do(t, request{method: "GET", path: "/account/get-balance",
		query: url.Values{"api_key": {key}, "api_secret": {secret}}})
}

func TestImportAccounts(t *testing.T) {
	e := newEnv(t)
	hash := cheapHash(t, "Hashed2Secret")
	body := strings.Join([]string{
		`{"api_key":"import01","secret":"Clear1Secret","balance":"10.5","auto_reload":{"threshold":"1.00","amount":"5.00"}}`,
		``,
		`{"api_key":"import02","secret_hash":"` + hash + `","limits":{"max-calls-per-second":7}}`,
		`  {"api_key":"importsub","primary_api_key":"import01","secret_hash":"` + hash + `"}  `,
		`{"api_key":"import04","secret_hash":"` + hash + `","balance":"0.00000001"}`, // no final newline
	}, "\n")
	r, sum := e.importLines(t, body)
	if r.status != http.StatusOK || sum.Imported != 4 || sum.Skipped != 0 || sum.Failed != 0 || len(sum.Errors) != 0 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if got := e.balanceOf(t, "import01", "Clear1Secret"); got.status != 200 || string(got.body) != `{"value":10.50000000,"autoReload":true}`+"\n" {
		t.Errorf("balance of the clear-secret import: %d %s", got.status, got.body)
	}
	if got := e.balanceOf(t, "import02", "Hashed2Secret"); got.status != 200 || string(got.body) != `{"value":0.00000000,"autoReload":false}`+"\n" {
		t.Errorf("balance of the hashed-secret import: %d %s", got.status, got.body)
	}
	if got := e.balanceOf(t, "import02", "Clear1Secret"); got.status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", got.status)
	}
	acct, secrets, err := e.svc.AccountDetails(t.Context(), "importsub")
	if err != nil || acct.PrimaryAPIKey != "import01" || len(secrets) != 1 || acct.Limits != account.DefaultLimits {
		t.Errorf("subaccount: %+v %v %v", acct, secrets, err)
	}
	if acct, _, _ := e.svc.AccountDetails(t.Context(), "import02"); acct.Limits.MaxCallsPerSecond != 7 || acct.Limits.MaxInboundRequest != 30 {
		t.Errorf("limits: %+v", acct.Limits)
	}
	rep, err := e.svc.VerifyLedger(t.Context())
	if err != nil || len(rep.Problems) != 0 || rep.Rows != 2 {
		t.Errorf("ledger after import: %+v, %v", rep, err)
	}

	// The same import again: every line is skipped and nothing changes.
	_, sum = e.importLines(t, body)
	if sum.Imported != 0 || sum.Skipped != 4 || sum.Failed != 0 {
		t.Errorf("repeat: %+v", sum)
	}
	if strings.Contains(e.logs.String(), "Clear1Secret") {
		t.Error("a secret reached the log")
	}
}

func TestImportRefusedLines(t *testing.T) {
	e := newEnv(t)
	e.newAccount(t, account.NewAccount{APIKey: "existing1"})
	hash := cheapHash(t, "Hashed2Secret")
	lines := []struct {
		line  string
		field string // the message starts with field + ":" ("" : imported)
	}{
		{`{"api_key":"goodline1","secret_hash":"` + hash + `"}`, ""},
		{`not json`, "line"},
		{`{"api_key":"badmember","secret_hash":"` + hash + `","colour":"red"}`, "line"},
		{`{"api_key":"bothsec01","secret":"Clear1Secret","secret_hash":"` + hash + `"}`, "secret_hash"},
		{`{"api_key":"nosecret1"}`, "secret"},
		{`{"api_key":"weaksec01","secret":"weak"}`, "secret"},
		{`{"api_key":"badhash01","secret_hash":"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"}`, "secret_hash"},
		{`{"secret_hash":"` + hash + `"}`, "api_key"},
		{`{"api_key":"BAD KEY","secret_hash":"` + hash + `"}`, "api_key"},
		{`{"api_key":"badbal01","secret_hash":"` + hash + `","balance":"-1"}`, "balance"},
		{`{"api_key":"badbal02","secret_hash":"` + hash + `","balance":1}`, "balance"},
		{`{"api_key":"badlim01","secret_hash":"` + hash + `","limits":{"max-calls-per-second":-1}}`, "limits.max-calls-per-second"},
		{`{"api_key":"orphan001","primary_api_key":"nobody001","secret_hash":"` + hash + `"}`, "primary"},
		{`{"api_key":"existing1","secret":"Clear1Secret"}`, "skipped"},
		{`{"api_key":"goodline2","secret":"Clear1Secret"}`, ""},
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.line + "\n")
	}
	r, sum := e.importLines(t, b.String())
	if r.status != http.StatusOK || sum.Imported != 2 || sum.Skipped != 1 || sum.Failed != len(lines)-3 || len(sum.Errors) != sum.Failed {
		t.Fatalf("summary %s", r.body)
	}
	next := 0
	for i, l := range lines {
		if l.field == "" || l.field == "skipped" {
			continue
		}
		got := sum.Errors[next]
		next++
		if got.Line != i+1 {
			t.Errorf("error %d names line %d, want %d", next, got.Line, i+1)
		}
		if !strings.HasPrefix(got.Message, l.field) {
			t.Errorf("line %d: message %q, want it to start with %q", i+1, got.Message, l.field)
		}
	}
	if strings.Contains(string(r.body), "Clear1Secret") || strings.Contains(string(r.body), hash) {
		t.Error("the answer quotes a secret or a hash")
	}
	for _, key := range []string{"goodline1", "goodline2"} {
		if _, _, err := e.svc.AccountDetails(t.Context(), key); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	if n, _ := e.store.AccountCount(t.Context()); n != 3 {
		t.Errorf("%d accounts, want 3", n)
	}
}

// TestImportBatches sends more lines than one batch holds, and a line
// too long to read, which is refused on its own.
func TestImportBatches(t *testing.T) {
	e := newEnv(t, withMaxBody(1<<20))
	hash := cheapHash(t, "Hashed2Secret")
	var b strings.Builder
	const n = 1234
	for i := range n {
		fmt.Fprintf(&b, `{"api_key":"batch%05d","secret_hash":"%s","balance":"1.00"}`+"\n", i, hash)
		if i == 700 {
			b.WriteString(`{"api_key":"toolong01","secret_hash":"` + strings.Repeat("x", 20<<10) + `"}` + "\n")
		}
	}
	r, sum := e.importLines(t, b.String())
	if r.status != http.StatusOK || sum.Imported != n || sum.Failed != 1 || sum.Errors[0].Line != 702 {
		t.Fatalf("summary %d %.300s", r.status, r.body)
	}
	if c, _ := e.store.AccountCount(t.Context()); c != n {
		t.Errorf("%d accounts, want %d", c, n)
	}
	if got := e.balanceOf(t, "batch01233", "Hashed2Secret"); got.status != 200 {
		t.Errorf("the last account: %d %s", got.status, got.body)
	}
}

// TestImportBodyTooLarge: the lines read before the body limit are
// imported, and the answer says which was the last.
func TestImportBodyTooLarge(t *testing.T) {
	e := newEnv(t, withMaxBody(4096))
	hash := cheapHash(t, "Hashed2Secret")
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, `{"api_key":"cut%05d","secret_hash":"%s"}`+"\n", i, hash)
	}
	r, sum := e.importLines(t, b.String())
	if r.status != http.StatusRequestEntityTooLarge || sum.LastLine == nil || *sum.LastLine == 0 || sum.Imported != *sum.LastLine {
		t.Fatalf("answer %d %s", r.status, r.body)
	}
	m := r.object(t)
	if m["title"] != "Payload Too Large" || m["instance"] != r.header.Get("X-Request-Id") {
		t.Errorf("problem members: %s", r.body)
	}
	if c, _ := e.store.AccountCount(t.Context()); c != sum.Imported {
		t.Errorf("%d accounts, want %d", c, sum.Imported)
	}
}

func TestImportNeedsAdmin(t *testing.T) {
	e := newEnv(t)
	body := `{"api_key":"noadmin01","secret":"Clear1Secret"}`
	r := e.do(t, request{method: "POST", path: "/admin/import", body: body})
	wantProblem(t, r, http.StatusUnauthorized, "#unauthorized", "Invalid credentials supplied")
	r = e.do(t, request{method: "POST", path: "/admin/import", body: body, bearer: "wrong"})
	wantProblem(t, r, http.StatusUnauthorized, "#unauthorized", "Invalid credentials supplied")
	// Other methods are a 405, behind the token like every admin answer.
	r = e.do(t, request{method: "GET", path: "/admin/import"})
	wantProblem(t, r, http.StatusUnauthorized, "#unauthorized", "Invalid credentials supplied")
	r = e.do(t, request{method: "GET", path: "/admin/import", bearer: adminToken})
	wantProblem(t, r, http.StatusMethodNotAllowed, "#method-not-allowed", "Method Not Allowed")
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	// The old path is an account's (a key that cannot exist), which has no POST.
	r = e.do(t, request{method: "POST", path: "/admin/accounts/import", body: body, bearer: adminToken})
	wantProblem(t, r, http.StatusMethodNotAllowed, "#method-not-allowed", "Method Not Allowed")
	r = e.do(t, request{method: "GET", path: "/admin/accounts/import", bearer: adminToken})
	wantProblem(t, r, http.StatusNotFound, "#invalid-api-key", "Invalid API Key")
	if n, _ := e.store.AccountCount(t.Context()); n != 0 {
		t.Errorf("%d accounts after refused imports", n)
	}
	// Without an admin token the route does not exist.
	off := newEnv(t, withoutAdmin())
	r = off.do(t, request{method: "POST", path: "/admin/import", body: body, bearer: adminToken})
	wantProblem(t, r, http.StatusNotFound, "#not-found", "Not Found")
}
