package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// TestVerifyLedgerFindsTampering: the schema refuses inconsistent ledger
// writes, so to see VerifyLedger find anything, a raw client drops the
// guarding triggers first and then tampers with the file.
func TestVerifyLedgerFindsTampering(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "test.db")
	s := open(t, path)
	seed(t, s, "tamper01", 100)
	seed(t, s, "tamper02", 50)
	seed(t, s, "tamper03", 0)
	for _, key := range []string{"tamper01", "tamper02"} {
		if _, err := s.Credit(t.Context(), account.Movement{APIKey: key, Amount: 10, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.VerifyLedger(t.Context())
	if err != nil || len(rep.Problems) != 0 || rep.Accounts != 3 || rep.Rows != 4 {
		t.Fatalf("VerifyLedger before tampering = %+v, %v", rep, err)
	}

	db := raw(t, path)
	for _, q := range []string{
		`DROP TRIGGER transactions_no_update`,
		`DROP TRIGGER accounts_balance_from_ledger`,
		// tamper01: a row whose amount no longer leads to its balance_after.
		`UPDATE transactions SET amount = 11 WHERE api_key = 'tamper01' AND amount = 10`,
		// tamper03: money without a ledger row.
		`UPDATE accounts SET balance = 7 WHERE api_key = 'tamper03'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, err = s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.APIKey+": "+p.Message)
		if isRow := strings.HasPrefix(p.Message, "balance_after"); isRow != (p.TransactionID != 0) {
			t.Errorf("problem %+v: a row's problem names the row, an account's names none", p)
		}
	}
	want := []string{
		"tamper01: balance_after 0.0000011 does not follow from the rows before (0.000001 plus 0.00000011 is 0.00000111)",
		"tamper01: balance 0.0000011 differs from the sum of its ledger rows, 0.00000111",
		"tamper03: balance 0.00000007 differs from the sum of its ledger rows, 0.00",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Accounts != 3 || rep.Rows != 4 {
		t.Errorf("counted %d accounts, %d rows; want 3, 4", rep.Accounts, rep.Rows)
	}
}

// TestSchemaGuardsIdempotencyKeys: a key records one outcome, consistently.
func TestSchemaGuardsIdempotencyKeys(t *testing.T) {
	t.Parallel()
	_, _, db := openRaw(t, "rawidem1", 100)
	insert := func(key, outcome string, txID any) error {
		_, err := db.Exec(`INSERT INTO idempotency_keys (api_key, key, fingerprint, outcome, transaction_id, created_at)
			VALUES ('rawidem1', ?, 'fp', ?, ?, 0)`, key, outcome, txID)
		return err
	}
	check := sqlite3.SQLITE_CONSTRAINT_CHECK
	wantSQLiteCode(t, "unknown outcome", insert("a", "maybe", nil), check)
	wantSQLiteCode(t, "ok without a row", insert("b", "ok", nil), check)
	wantSQLiteCode(t, "refusal with a row", insert("c", "insufficient_funds", 1), check)
	wantSQLiteCode(t, "row that does not exist", insert("d", "ok", 999), sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
	if err := insert("e", "insufficient_funds", nil); err != nil {
		t.Fatalf("a valid refusal: %v", err)
	}
	wantSQLiteCode(t, "the same key twice", insert("e", "insufficient_funds", nil), sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	_, err := db.Exec(`INSERT INTO idempotency_keys (api_key, key, fingerprint, outcome, created_at)
		VALUES ('nobody01', 'k', 'fp', 'insufficient_funds', 0)`)
	wantSQLiteCode(t, "key of an unknown account", err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
}

// TestUpgradeFrom0001: a database written by the first release gains the
// idempotency table and keeps its data.
func TestUpgradeFrom0001(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "test.db")
	first, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := raw(t, path)
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
		string(first),
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO accounts (api_key, balance, max_outbound_request, max_inbound_request, max_calls_per_second, created_at)
			VALUES ('oldacct1', 0, 30, 30, 30, 0)`,
		`INSERT INTO transactions (api_key, kind, amount, balance_after, created_at) VALUES ('oldacct1', 'credit', 500, 500, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("setting up a 0001 database: %v", err)
		}
	}
	db.Close()

	s := open(t, path)
	res, err := s.Charge(t.Context(), account.Movement{APIKey: "oldacct1", Amount: 200, Now: t0, IdempotencyKey: "k", Fingerprint: "fp"})
	if err != nil {
		t.Fatalf("Charge with a key after the upgrade: %v", err)
	}
	again, err := s.Charge(t.Context(), account.Movement{APIKey: "oldacct1", Amount: 200, Now: t0, IdempotencyKey: "k", Fingerprint: "fp"})
	if err != nil || !again.Replayed || again.Transaction != res.Transaction {
		t.Errorf("replay after the upgrade = %+v, %v", again, err)
	}
	acct, err := s.Account(t.Context(), "oldacct1")
	if err != nil || acct.Balance != 300 {
		t.Errorf("balance %d (%v), want 300", acct.Balance, err)
	}
	if rep, err := s.VerifyLedger(t.Context()); err != nil || len(rep.Problems) != 0 || rep.Rows != 2 {
		t.Errorf("VerifyLedger = %+v, %v", rep, err)
	}
}
