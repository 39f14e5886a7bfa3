package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// balanceOf returns the account's balance as "vonage balance --json" shows it.
func balanceOf(t *testing.T, s *testServer, key string) string {
	t.Helper()
	r := cliRun(t, s.env(key, userSecret), "balance", "--json").want(t, exitOK)
	var b balanceJSON
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("balance --json: %v\n%s", err, r.stdout)
	}
	return b.Value
}

// moved runs a credit or charge with --json and returns its answer.
func moved(t *testing.T, s *testServer, args ...string) movedJSON {
	t.Helper()
	r := cliRun(t, s.adminEnv(), append(append([]string{"admin"}, args...), "--json")...).want(t, exitOK)
	var m movedJSON
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("admin %s --json: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return m
}

func TestAdminCreditCharge(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 10_00000000, nil) // 10.00 EUR

	// The table: the transaction, the new balance and the generated key.
	r := cliRun(t, s.adminEnv(), "admin", "credit", key, "5.25", "--reference", "invoice 7").want(t, exitOK)
	if !regexp.MustCompile(`(?m)^ID\s+TIME\s+KIND\s+AMOUNT\s+BALANCE AFTER\s+REFERENCE\s+TRX\n\d+\s+\S+Z\s+credit\s+5\.25000000\s+15\.25000000\s+invoice 7\s+-\n`).MatchString(r.stdout) {
		t.Errorf("admin credit table:\n%s", r.stdout)
	}
	k := regexp.MustCompile(`(?m)^Idempotency key:\s+(\S+)$`).FindStringSubmatch(r.stdout)
	if !strings.Contains(r.stdout, "Balance:") || !strings.Contains(r.stdout, "15.25000000 EUR") || k == nil || len(k[1]) < 16 {
		t.Errorf("admin credit lacks the balance or a generated key:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "replayed") {
		t.Errorf("a first request says replayed:\n%s", r.stdout)
	}

	// Each run generates its own key, so two identical credits both move money.
	m1 := moved(t, s, "credit", key, "1.00")
	m2 := moved(t, s, "credit", key, "1.00")
	if m1.IdempotencyKey == "" || m1.IdempotencyKey == m2.IdempotencyKey || m2.Balance != "17.25000000" || m1.Replayed || m1.Reload != nil {
		t.Errorf("two credits: %+v, %+v", m1, m2)
	}
	if m2.Transaction.Kind != "credit" || m2.Transaction.Amount != "1.00000000" || m2.Transaction.BalanceAfter != "17.25000000" || m2.Transaction.ID <= m1.Transaction.ID {
		t.Errorf("credit transaction: %+v", m2.Transaction)
	}

	// A charge is negative in the ledger.
	r = cliRun(t, s.adminEnv(), "admin", "charge", key, "3.50").want(t, exitOK)
	if !regexp.MustCompile(`(?m)^\d+\s+\S+\s+charge\s+-3\.50000000\s+13\.75000000\s+-\s+-\n`).MatchString(r.stdout) || !strings.Contains(r.stdout, "13.75000000 EUR") {
		t.Errorf("admin charge:\n%s", r.stdout)
	}
	if got := balanceOf(t, s, key); got != "13.75000000" {
		t.Errorf("balance after credits and a charge = %s, want 13.75000000", got)
	}

	// Short of funds: 402, exit 1, nothing moves.
	cliRun(t, s.adminEnv(), "admin", "charge", key, "100.00").wantErr(t, exitError, "insufficient funds")
	if got := balanceOf(t, s, key); got != "13.75000000" {
		t.Errorf("a refused charge changed the balance to %s", got)
	}

	// Mistakes: an unknown key (4), a bad amount (1, naming the field), usage.
	cliRun(t, s.adminEnv(), "admin", "credit", "nosuchkey", "1.00").wantErr(t, exitNotFound, "nosuchkey")
	cliRun(t, s.adminEnv(), "admin", "credit", key, "1e3").wantErr(t, exitError, "amount")
	cliRun(t, s.adminEnv(), "admin", "charge", key, "--", "-1").wantErr(t, exitError, "amount")
	cliRun(t, s.adminEnv(), "admin", "charge", key, "0").wantErr(t, exitError, "amount")
	cliRun(t, s.adminEnv(), "admin", "credit", key, "1.00", "--idempotency-key", "").wantErr(t, exitUsage, "idempotency-key")
	cliRun(t, s.adminEnv(), "admin", "credit", key).want(t, exitUsage)

	// When the outcome is unknown, the key to retry with is on stderr.
	r = cliRun(t, s.adminEnv(), "admin", "credit", key, "1.00", "--idempotency-key", "retry-me-1", "--base-url", "http://127.0.0.1:1").wantErr(t, exitError, "Request failed")
	if !strings.Contains(r.stderr, "--idempotency-key retry-me-1") {
		t.Errorf("no retry hint on stderr:\n%s", r.stderr)
	}
}

func TestAdminChargeIdempotent(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 10_00000000, nil)

	first := moved(t, s, "charge", key, "2.00", "--reference", "order-1", "--idempotency-key", "order-1-charge")
	if first.Balance != "8.00000000" || first.Replayed || first.IdempotencyKey != "order-1-charge" {
		t.Fatalf("first charge: %+v", first)
	}

	// The same key and request: the first answer again, no money moved.
	r := cliRun(t, s.adminEnv(), "admin", "charge", key, "2.00", "--reference", "order-1", "--idempotency-key", "order-1-charge").want(t, exitOK)
	if !strings.Contains(r.stdout, "(replayed: no money moved)") || !strings.Contains(r.stdout, "8.00000000 EUR") || !strings.Contains(r.stdout, "order-1-charge") {
		t.Errorf("replay:\n%s", r.stdout)
	}
	again := moved(t, s, "charge", key, "2.00", "--reference", "order-1", "--idempotency-key", "order-1-charge")
	if !again.Replayed || again.Transaction != first.Transaction || again.Balance != "8.00000000" {
		t.Errorf("replay --json = %+v, want %+v replayed", again, first)
	}
	if got := balanceOf(t, s, key); got != "8.00000000" {
		t.Errorf("balance after replays = %s, want 8.00000000", got)
	}

	// The same key with another amount is a conflict: exit 1, the server's words.
	cliRun(t, s.adminEnv(), "admin", "charge", key, "3.00", "--reference", "order-1", "--idempotency-key", "order-1-charge").
		wantErr(t, exitError, "Conflict", "already used for a different request")
	// A credit cannot reuse a charge's key either.
	cliRun(t, s.adminEnv(), "admin", "credit", key, "2.00", "--reference", "order-1", "--idempotency-key", "order-1-charge").
		wantErr(t, exitError, "Conflict")
	if got := balanceOf(t, s, key); got != "8.00000000" {
		t.Errorf("balance after conflicts = %s, want 8.00000000", got)
	}

	// A refusal is remembered too: its replay says so.
	cliRun(t, s.adminEnv(), "admin", "charge", key, "50.00", "--idempotency-key", "too-much").wantErr(t, exitError, "insufficient funds")
	r = cliRun(t, s.adminEnv(), "admin", "charge", key, "50.00", "--idempotency-key", "too-much").wantErr(t, exitError, "insufficient funds", "replayed: no money moved")
	if r.stdout != "" {
		t.Errorf("a refused charge prints on stdout:\n%s", r.stdout)
	}
}

func TestAdminChargeAutoReload(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// 6.00 EUR; below 5.00 a reload adds 20.00.
	key := s.newAccount(t, userSecret, 6_00000000, &account.AutoReload{Threshold: 5_00000000, Amount: 20_00000000})

	r := cliRun(t, s.adminEnv(), "admin", "charge", key, "2.00", "--reference", "sms").want(t, exitOK)
	// Newest first: the charge, then the reload that came just before it.
	if !regexp.MustCompile(`(?m)^\d+\s+\S+\s+charge\s+-2\.00000000\s+24\.00000000\s+sms\s+-\n\d+\s+\S+\s+reload\s+20\.00000000\s+26\.00000000\s+auto-reload\s+[0-9a-f]+\n`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^Balance:\s+24\.00000000 EUR$`).MatchString(r.stdout) {
		t.Errorf("charge with auto-reload:\n%s", r.stdout)
	}

	m := moved(t, s, "charge", key, "20.00")
	if m.Reload == nil || m.Reload.Kind != "reload" || m.Reload.Trx == "" || m.Reload.Amount != "20.00000000" || m.Balance != "24.00000000" {
		t.Errorf("charge --json with a reload: %+v (reload %+v)", m, m.Reload)
	}
	// The reload's trx tops up through the account API.
	cliRun(t, s.env(key, userSecret), "topup", m.Reload.Trx).want(t, exitOK)
	if got := balanceOf(t, s, key); got != "44.00000000" {
		t.Errorf("balance = %s, want 44.00000000", got)
	}
}

func TestAdminTransactions(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 1_00000000, nil) // the opening credit is row 1
	for _, amount := range []string{"1.00", "2.00", "3.00", "4.00"} {
		moved(t, s, "credit", key, amount, "--reference", "ref "+amount)
	}
	moved(t, s, "charge", key, "0.50")

	all := func(args ...string) []adminapi.Transaction {
		t.Helper()
		r := cliRun(t, s.adminEnv(), append([]string{"admin", "transactions", key, "--json"}, args...)...).want(t, exitOK)
		var page adminapi.TransactionsPage
		if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
			t.Fatalf("admin transactions --json: %v\n%s", err, r.stdout)
		}
		return page.Transactions
	}
	txs := all()
	if len(txs) != 6 || txs[0].Kind != "charge" || txs[0].BalanceAfter != "10.50000000" || txs[5].BalanceAfter != "1.00000000" {
		t.Fatalf("the whole ledger in one default page: %+v", txs)
	}
	for i := 1; i < len(txs); i++ {
		if txs[i].ID >= txs[i-1].ID {
			t.Errorf("not newest first: %+v", txs)
		}
	}

	// A page of two: the table, and on stderr how to get the next page.
	r := cliRun(t, s.adminEnv(), "admin", "transactions", key, "--limit", "2").want(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "charge") || !strings.Contains(lines[2], "ref 4.00") {
		t.Errorf("--limit 2 table:\n%s", r.stdout)
	}
	m := regexp.MustCompile(`--cursor (\d+) --limit 2`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no next-page hint on stderr: %q", r.stderr)
	}
	// Following the cursor by hand gives the next two rows.
	next := all("--limit", "2", "--cursor", m[1])
	if len(next) != 2 || next[0].ID != txs[2].ID || next[1].ID != txs[3].ID {
		t.Errorf("the page after cursor %s = %+v", m[1], next)
	}
	// The last page has no hint.
	r = cliRun(t, s.adminEnv(), "admin", "transactions", key, "--limit", "2", "--cursor", "3").want(t, exitOK)
	if r.stderr != "" || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("last page: stdout\n%s\nstderr %q", r.stdout, r.stderr)
	}

	// --all follows the cursors, with progress on stderr.
	r = cliRun(t, s.adminEnv(), "admin", "transactions", key, "--all", "--limit", "2").want(t, exitOK)
	if strings.Count(r.stdout, "\n") != 7 || strings.Contains(r.stderr, "--cursor") ||
		!strings.Contains(r.stderr, "Fetched 2 transactions so far") || !strings.Contains(r.stderr, "Fetched 4 transactions so far") {
		t.Errorf("--all --limit 2: stdout\n%s\nstderr\n%s", r.stdout, r.stderr)
	}
	if got := all("--all", "--limit", "2"); len(got) != 6 || got[5].ID != txs[5].ID {
		t.Errorf("--all --json = %+v", got)
	}
	if r := cliRun(t, s.adminEnv(), "admin", "transactions", key, "--all", "--json"); strings.Contains(r.stdout, "next_cursor") {
		t.Errorf("--all --json has a cursor:\n%s", r.stdout)
	}

	cliRun(t, s.adminEnv(), "admin", "transactions", key, "--limit", "0").wantErr(t, exitUsage, "--limit")
	cliRun(t, s.adminEnv(), "admin", "transactions", key, "--limit", "1001").want(t, exitUsage)
	cliRun(t, s.adminEnv(), "admin", "transactions", key, "--cursor", "x").wantErr(t, exitError, "cursor")
	cliRun(t, s.adminEnv(), "admin", "transactions", "nosuchkey").want(t, exitNotFound)
}

func TestAdminVerifyLedger(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 1_00000000, nil)
	moved(t, s, "credit", key, "1.00")
	s.newAccount(t, userSecret, 0, nil)

	r := cliRun(t, s.adminEnv(), "admin", "verify-ledger").want(t, exitOK)
	for _, re := range []string{`(?m)^Accounts checked:\s+2$`, `(?m)^Rows checked:\s+2$`, `(?m)^Result:\s+ok$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("verify-ledger lacks %s:\n%s", re, r.stdout)
		}
	}
	r = cliRun(t, s.adminEnv(), "admin", "verify-ledger", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, `"ok": true`) || !strings.Contains(r.stdout, `"problems": []`) {
		t.Errorf("verify-ledger --json:\n%s", r.stdout)
	}

	// The real stores refuse to break the ledger, so a stub reports problems.
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/admin/ledger/verify" || r.Header.Get("Authorization") != "Bearer "+adminToken {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"accounts":3,"rows":40,"problems":[
			{"api_key":"acct0001","transaction_id":17,"message":"balance_after does not continue the previous row"},
			{"api_key":"acct0002","transaction_id":0,"message":"balance 5.00 is not the ledger's sum 4.00"}],"ok":false}`))
	}))
	t.Cleanup(stub.Close)
	env := map[string]string{"VONAGE_ADMIN_TOKEN": adminToken, "VONAGE_BASE_URL": stub.URL}
	r = cliRun(t, env, "admin", "verify-ledger").wantErr(t, exitError, "2 problem(s)")
	for _, re := range []string{`(?m)^Rows checked:\s+40$`, `(?m)^acct0001\s+17\s+balance_after does not continue`, `(?m)^acct0002\s+\(balance\)\s+balance 5\.00`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("verify-ledger with problems lacks %s:\n%s", re, r.stdout)
		}
	}
	r = cliRun(t, env, "admin", "verify-ledger", "--json").want(t, exitError)
	var rep adminapi.LedgerReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.OK || len(rep.Problems) != 2 {
		t.Errorf("verify-ledger --json with problems = %q (%v)", r.stdout, err)
	}
}

func TestAdminAccountUpdate(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 10_00000000, nil)
	env := s.env(key, userSecret)

	r := cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--auto-reload-threshold", "5.00", "--auto-reload-amount", "20.00").want(t, exitOK)
	if !strings.Contains(r.stdout, "below 5.00000000 EUR, add 20.00000000 EUR") {
		t.Errorf("update turning auto-reload on:\n%s", r.stdout)
	}
	if r := cliRun(t, env, "balance").want(t, exitOK); !regexp.MustCompile(`(?m)^Auto-reload:\s+on$`).MatchString(r.stdout) {
		t.Errorf("balance after turning auto-reload on:\n%s", r.stdout)
	}

	// Limits: only those named change; auto-reload stays.
	r = cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--max-outbound-request", "7", "--max-calls-per-second", "500", "--json").want(t, exitOK)
	var acct accountJSON
	if err := json.Unmarshal([]byte(r.stdout), &acct); err != nil {
		t.Fatalf("update --json: %v\n%s", err, r.stdout)
	}
	if acct.Limits.MaxOutboundRequest != 7 || acct.Limits.MaxCallsPerSecond != 500 || acct.Limits.MaxInboundRequest != 30 || acct.AutoReload == nil {
		t.Errorf("after updating limits: %+v", acct)
	}
	r = cliRun(t, env, "settings", "--json").want(t, exitOK)
	var st settingsJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.MaxOutboundRequest != 7 || st.MaxCallsPerSecond != 500 || st.MaxInboundRequest != 30 {
		t.Errorf("settings after the update = %q (%v)", r.stdout, err)
	}

	r = cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--auto-reload-off").want(t, exitOK)
	if !regexp.MustCompile(`(?m)^Auto-reload:\s+off$`).MatchString(r.stdout) || !strings.Contains(r.stdout, "500") {
		t.Errorf("update turning auto-reload off:\n%s", r.stdout)
	}
	if r := cliRun(t, env, "balance").want(t, exitOK); !regexp.MustCompile(`(?m)^Auto-reload:\s+off$`).MatchString(r.stdout) {
		t.Errorf("balance after turning auto-reload off:\n%s", r.stdout)
	}

	cliRun(t, s.adminEnv(), "admin", "account", "update", key).wantErr(t, exitUsage, "nothing to change")
	cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--auto-reload-off", "--auto-reload-amount", "1.00").wantErr(t, exitUsage, "--auto-reload-off")
	cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--auto-reload-threshold", "1.00").wantErr(t, exitUsage, "--auto-reload-amount")
	cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--max-inbound-request", "-1").wantErr(t, exitError, "max-inbound-request")
	cliRun(t, s.adminEnv(), "admin", "account", "update", "nosuchkey", "--auto-reload-off").want(t, exitNotFound)
}
