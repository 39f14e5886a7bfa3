package adminapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

const adminToken = "adminapi-test-token-71c4"

// newServer serves the real admin API, as vonage serve builds it, over a
// fresh in-memory database and returns its URL. maxBody 0 keeps the
// default body limit.
func newServer(t *testing.T, maxBody int64) string {
	t.Helper()
	cfg := server.TestConfig()
	cfg.AdminToken = adminToken
	if maxBody > 0 {
		cfg.MaxBodyBytes = maxBody
	}
	return testutil.StartServer(t, cfg).URL
}

func ptr[T any](v T) *T { return &v }

// TestClient calls every method against the real server.
func TestClient(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := adminapi.New(newServer(t, 0)+"/", adminToken)

	created, err := c.CreateAccount(ctx, adminapi.NewAccount{
		APIKey: "client01", Secret: "Client1Secret", Balance: "10.50",
		AutoReload: &adminapi.AutoReload{Threshold: "5.00", Amount: "20.00"},
		Limits:     &adminapi.LimitsPatch{MaxCallsPerSecond: ptr(7)},
	})
	if err != nil || created.APIKey != "client01" || created.APISecret != "" || created.Account.Balance != "10.50" ||
		created.Account.Limits != (adminapi.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 7}) ||
		len(created.Account.Secrets) != 1 || created.Account.AutoReload == nil || *created.Account.AutoReload != (adminapi.AutoReload{Threshold: "5.00", Amount: "20.00"}) {
		t.Fatalf("CreateAccount = %+v, %v", created, err)
	}
	sub, err := c.CreateAccount(ctx, adminapi.NewAccount{PrimaryAPIKey: "client01"})
	if err != nil || len(sub.APIKey) != 8 || account.ValidateSecret(sub.APISecret) != nil || sub.Account.PrimaryAPIKey != "client01" {
		t.Fatalf("CreateAccount of a generated subaccount = %+v, %v", sub, err)
	}
	if got, err := c.Account(ctx, "client01"); err != nil || got.APIKey != "client01" || got.Secrets[0] != created.Account.Secrets[0] {
		t.Errorf("Account = %+v, %v", got, err)
	}

	upd, err := c.UpdateAccount(ctx, "client01", adminapi.AccountUpdate{AutoReloadOff: true, Limits: &adminapi.LimitsPatch{MaxOutboundRequest: ptr(3)}})
	if err != nil || upd.AutoReload != nil || upd.Limits != (adminapi.Limits{MaxOutboundRequest: 3, MaxInboundRequest: 30, MaxCallsPerSecond: 7}) {
		t.Errorf("UpdateAccount = %+v, %v", upd, err)
	}
	upd, err = c.UpdateAccount(ctx, "client01", adminapi.AccountUpdate{AutoReload: &adminapi.AutoReload{Threshold: "1.00", Amount: "2.00"}})
	if err != nil || upd.AutoReload == nil || upd.AutoReload.Amount != "2.00" || upd.Limits.MaxOutboundRequest != 3 {
		t.Errorf("UpdateAccount turning auto-reload on = %+v, %v", upd, err)
	}

	credit, err := c.Credit(ctx, "client01", adminapi.MoneyRequest{Amount: "1.25", Reference: "invoice 7"})
	if err != nil || credit.Transaction.Kind != "credit" || credit.Transaction.Amount != "1.25" || credit.Balance != "11.75" || credit.Replayed || credit.Reload != nil {
		t.Errorf("Credit = %+v, %v", credit, err)
	}
	charge := adminapi.MoneyRequest{Amount: "11.00", Reference: "order 1", IdempotencyKey: "order-1"}
	first, err := c.Charge(ctx, "client01", charge)
	if err != nil || first.Transaction.Amount != "-11.00" || first.Reload == nil || first.Reload.Amount != "2.00" || first.Balance != "2.75" || first.Replayed {
		t.Errorf("Charge = %+v, %v", first, err)
	}
	again, err := c.Charge(ctx, "client01", charge)
	if err != nil || !again.Replayed || again.Transaction != first.Transaction || *again.Reload != *first.Reload {
		t.Errorf("Charge replayed = %+v, %v; first %+v", again, err, first)
	}

	// Short funds: a 402 *Error, also when replayed.
	short := adminapi.MoneyRequest{Amount: "100.00", IdempotencyKey: "too-much"}
	for i, replayed := range []bool{false, true} {
		_, err := c.Charge(ctx, "client01", short)
		var e *adminapi.Error
		if !errors.As(err, &e) || e.Status != http.StatusPaymentRequired || e.Replayed != replayed || e.Title == "" || e.Type == "" || e.Instance == "" {
			t.Errorf("short charge %d: %#v", i, err)
		}
	}

	// Pages of the ledger: the opening balance, credit, reload, charge.
	var rows []adminapi.Transaction
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := c.Transactions(ctx, "client01", 3, cursor)
		if err != nil || pages > 2 {
			t.Fatalf("Transactions page %d: %+v, %v", pages, page, err)
		}
		rows = append(rows, page.Transactions...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(rows) != 4 || rows[0] != first.Transaction || rows[3].Reference != "opening balance" {
		t.Errorf("ledger %+v", rows)
	}
	if page, err := c.Transactions(ctx, "client01", 0, ""); err != nil || len(page.Transactions) != 4 || page.NextCursor != "" {
		t.Errorf("Transactions, default page = %+v, %v", page, err)
	}

	sum, err := c.Import(ctx, strings.NewReader(`{"api_key":"import01","secret":"Import1Secret"}`+"\n"+`{"api_key":"client01","secret":"Import1Secret"}`+"\nnot json\n"))
	if err != nil || sum.Imported != 1 || sum.Skipped != 1 || sum.Failed != 1 || len(sum.Errors) != 1 || sum.Errors[0].Line != 3 || sum.LastLine != nil {
		t.Errorf("Import = %+v, %v", sum, err)
	}

	rep, err := c.VerifyLedger(ctx)
	if err != nil || !rep.OK || rep.Accounts != 3 || rep.Rows != 4 || rep.Problems == nil {
		t.Errorf("VerifyLedger = %+v, %v", rep, err)
	}

	// A refused request: the problem's members, invalid_parameters included.
	_, err = c.Credit(ctx, "client01", adminapi.MoneyRequest{Amount: "1e3"})
	var e *adminapi.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || len(e.InvalidParameters) != 1 || e.InvalidParameters[0].Name != "amount" {
		t.Errorf("bad amount: %#v", err)
	}
	if _, err := c.Account(ctx, "nosuchkey"); !errors.As(err, &e) || e.Status != http.StatusNotFound || !strings.Contains(err.Error(), "404 Invalid API Key") {
		t.Errorf("unknown key: %v", err)
	}
}

// TestClientImportCut: a body over the server's limit answers a problem
// with the summary of what was imported before it.
func TestClientImportCut(t *testing.T) {
	t.Parallel()
	c := adminapi.New(newServer(t, 2048), adminToken)
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, `{"api_key":"cut%05d","secret":"Import1Secret"}`+"\n", i)
	}
	sum, err := c.Import(t.Context(), strings.NewReader(b.String()))
	var e *adminapi.Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge || sum.LastLine == nil || *sum.LastLine == 0 || sum.Imported != *sum.LastLine {
		t.Fatalf("Import over the limit = %+v, %v", sum, err)
	}
}

// TestClientErrors: no answer, a wrong token, an answer that is not the
// documented JSON, and an answer quoting the token or a secret sent.
func TestClientErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := newServer(t, 0)

	_, err := adminapi.New(url, "wrong-token").Account(ctx, "client01")
	var e *adminapi.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("wrong token: %v", err)
	}

	_, err = adminapi.New("http://127.0.0.1:1", adminToken).VerifyLedger(ctx)
	if !errors.Is(err, adminapi.ErrTransport) || errors.As(err, &e) || strings.Contains(err.Error(), adminToken) {
		t.Errorf("no server: %v", err)
	}

	const secret = "Leaked1Secret"
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/admin/ledger/verify" {
			w.Write([]byte(`<html>not json</html>`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"type":"t","title":"Bad %[1]s","detail":"%[1]s and %[2]s","invalid_parameters":[{"name":"secret","reason":"is %[2]s"}]}`,
			r.Header.Get("Authorization"), secret)
	}))
	t.Cleanup(fake.Close)
	c := adminapi.New(fake.URL, adminToken)
	if _, err := c.VerifyLedger(ctx); !errors.Is(err, adminapi.ErrDecode) {
		t.Errorf("not JSON: %v", err)
	}
	_, err = c.CreateAccount(ctx, adminapi.NewAccount{Secret: secret})
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Title != "Bad Bearer REDACTED" {
		t.Fatalf("echoing fake: %#v", err)
	}
	if text := fmt.Sprintf("%v %+v", err, *e); strings.Contains(text, adminToken) || strings.Contains(text, secret) {
		t.Errorf("a secret in the error: %s", text)
	}
}

// TestClientAccountsAndReset lists accounts through the cursors and resets
// a secret.
func TestClientAccountsAndReset(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := adminapi.New(newServer(t, 0), adminToken)
	var want []string
	for i := range 5 {
		k := fmt.Sprintf("page%04d", i)
		want = append(want, k)
		if _, err := c.CreateAccount(ctx, adminapi.NewAccount{APIKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateAccount(ctx, adminapi.NewAccount{APIKey: "subp0000", PrimaryAPIKey: "page0003"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	q := adminapi.AccountsQuery{Prefix: "page", PageSize: 2}
	for range 10 {
		page, err := c.ListAccounts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			got = append(got, a.APIKey)
		}
		if q.Cursor = page.NextCursor; q.Cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ListAccounts walked %v, want %v", got, want)
	}
	if page, err := c.ListAccounts(ctx, adminapi.AccountsQuery{PrimaryAPIKey: "page0003"}); err != nil || len(page.Accounts) != 1 || page.Accounts[0].APIKey != "subp0000" {
		t.Errorf("ListAccounts(primary) = %+v, %v", page, err)
	}
	_, err := c.ListAccounts(ctx, adminapi.AccountsQuery{Cursor: "bogus"})
	var apiErr *adminapi.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("ListAccounts(bad cursor) = %v", err)
	}

	reset, err := c.ResetSecret(ctx, "page0001", "")
	if err != nil || reset.APIKey != "page0001" || account.ValidateSecret(reset.APISecret) != nil {
		t.Fatalf("ResetSecret(generated) = %+v, %v", reset, err)
	}
	acct, err := c.Account(ctx, "page0001")
	if err != nil || len(acct.Secrets) != 1 || acct.Secrets[0].ID != reset.SecretID {
		t.Errorf("after the reset: %+v, %v", acct, err)
	}
	chosen, err := c.ResetSecret(ctx, "page0001", "Chosen1Secret")
	if err != nil || chosen.APISecret != "" || chosen.SecretID == reset.SecretID {
		t.Errorf("ResetSecret(chosen) = %+v, %v", chosen, err)
	}
	if _, err := c.ResetSecret(ctx, "page0001", "weak-Secret-of-Mine-which-is-too-long"); err == nil || strings.Contains(err.Error(), "weak-Secret") {
		t.Errorf("ResetSecret(too long) = %v", err)
	}
}
