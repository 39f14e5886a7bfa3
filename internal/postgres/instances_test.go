package postgres

import (
	"fmt"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// These tests run two Stores on one schema, as two server instances on one
// database, and race them.

// twoInstances opens two Stores on one fresh schema.
func twoInstances(t *testing.T) [2]*Store {
	t.Helper()
	a, schema := open(t)
	return [2]*Store{a, openIn(t, schema)}
}

// codes counts the outcomes of errs by code ("" for success).
func codes(errs []error) map[account.Code]int {
	out := map[account.Code]int{}
	for _, err := range errs {
		out[account.ErrorCode(err)]++
	}
	return out
}

func TestInstancesRaceRevoke(t *testing.T) {
	t.Parallel()
	s := twoInstances(t)
	for round := range 20 {
		key := fmt.Sprintf("irevoke%d", round)
		ids := []string{seed(t, s[0], key, 0).ID, addSecret(t, s[1], key).ID}
		errs := storetest.Race(2, func(i int) error { return s[i].RevokeSecret(t.Context(), key, ids[i]) })
		if c := codes(errs); c[""] != 1 || c[account.ELASTSECRET] != 1 {
			t.Errorf("round %d: outcomes %v (%v), want one success and one %s", round, c, errs, account.ELASTSECRET)
		}
		secs, err := s[0].Secrets(t.Context(), key)
		if err != nil || len(secs) != 1 {
			t.Fatalf("round %d: secrets %+v, %v; want 1", round, secs, err)
		}
	}
}

func TestInstancesRaceAdd(t *testing.T) {
	t.Parallel()
	s := twoInstances(t)
	for round := range 10 {
		key := fmt.Sprintf("iadd%04d", round)
		seed(t, s[0], key, 0)
		errs := storetest.Race(8, func(i int) error {
			return s[i%2].AddSecret(t.Context(), account.Secret{ID: account.NewID(), APIKey: key, Hash: "h", CreatedAt: t0})
		})
		if c := codes(errs); c[""] != 1 || c[account.ESECRETLIMIT] != 7 {
			t.Errorf("round %d: outcomes %v (%v), want one success and seven %s", round, c, errs, account.ESECRETLIMIT)
		}
	}
}

// TestInstancesMoney races charges and credits from both instances on one
// auto-reload account, and the same idempotent request on both.
func TestInstancesMoney(t *testing.T) {
	t.Parallel()
	s := twoInstances(t)
	ctx := t.Context()
	acct := account.Account{APIKey: "imoney01", Balance: 5 * account.Scale, Limits: account.DefaultLimits, CreatedAt: t0,
		AutoReload: &account.AutoReload{Threshold: 2 * account.Scale, Amount: 3 * account.Scale}}
	if err := s[0].CreateAccount(ctx, acct, account.Secret{ID: account.NewID(), APIKey: acct.APIKey, Hash: "h", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const n = 100
	errs := storetest.Race(n, func(i int) error {
		m := account.Movement{APIKey: acct.APIKey, Amount: account.Scale, Reference: fmt.Sprint(i), Now: t0}
		var err error
		if i%3 == 0 {
			_, err = s[i%2].Credit(ctx, m)
		} else {
			_, err = s[i%2].Charge(ctx, m)
		}
		return err
	})
	if c := codes(errs); c[""] != n {
		t.Errorf("outcomes %v, want %d successes", c, n)
	}

	results := make([]account.MoveResult, 20)
	errs = storetest.Race(len(results), func(i int) error {
		var err error
		results[i], err = s[i%2].Charge(ctx, account.Movement{APIKey: acct.APIKey, Amount: account.Scale,
			Reference: "once", Now: t0, IdempotencyKey: "both-instances", Fingerprint: "fp"})
		return err
	})
	fresh := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("idempotent charge %d: %v", i, err)
		}
		if !results[i].Replayed {
			fresh++
		}
		if results[i].Transaction != results[0].Transaction {
			t.Errorf("charge %d returned %+v, charge 0 %+v", i, results[i].Transaction, results[0].Transaction)
		}
	}
	if fresh != 1 {
		t.Errorf("%d of the idempotent charges ran, want 1", fresh)
	}

	rep, err := s[1].VerifyLedger(ctx)
	if err != nil || len(rep.Problems) != 0 || rep.Accounts != 1 {
		t.Errorf("VerifyLedger = %+v, %v; want 1 account and no problems", rep, err)
	}
	txs, err := s[0].Transactions(ctx, acct.APIKey, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != len(txs) {
		t.Errorf("VerifyLedger checked %d rows, the ledger has %d", rep.Rows, len(txs))
	}
	var sum account.Money
	for _, tx := range txs {
		sum += tx.Amount
	}
	if a, err := s[1].Account(ctx, acct.APIKey); err != nil || a.Balance != sum {
		t.Errorf("balance %d (%v), want the ledger's sum %d", a.Balance, err, sum)
	}
}

// TestVerifyLedgerFindsDamage switches the triggers off (as a restore with
// session_replication_role = replica does), damages the ledger and expects
// the report internal/sqlite would give.
func TestVerifyLedgerFindsDamage(t *testing.T) {
	t.Parallel()
	s, schema := open(t)
	ctx := t.Context()
	seed(t, s, "damage01", 100)
	seed(t, s, "damage02", 0)
	seed(t, s, "healthy1", 7)
	db := raw(t, schema)
	if _, err := db.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Skipf("cannot switch triggers off (needs superuser): %v", err)
	}
	for _, q := range []string{
		`UPDATE accounts SET balance = 90 WHERE api_key = 'damage01'`,
		`INSERT INTO transactions (api_key, kind, amount, balance_after, created_at)
			VALUES ('damage02', 'credit', 5, 6, now())`,
		`INSERT INTO transactions (api_key, kind, amount, balance_after, created_at)
			VALUES ('nobody01', 'credit', 1, 1, now())`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, err := s.VerifyLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != 3 || rep.Rows != 4 {
		t.Errorf("checked %d accounts and %d rows, want 3 and 4", rep.Accounts, rep.Rows)
	}
	want := []string{
		"damage02 row: balance_after 0.00000006 does not follow from the rows before (0.00 plus 0.00000005 is 0.00000005)",
		"nobody01 row: the row belongs to no account",
		"damage01: balance 0.0000009 differs from the sum of its ledger rows, 0.000001",
		"damage02: balance 0.00 differs from the sum of its ledger rows, 0.00000005",
	}
	var got []string
	for _, p := range rep.Problems {
		where := p.APIKey
		if p.TransactionID != 0 {
			where += " row"
		}
		got = append(got, where+": "+p.Message)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("problems:\n%q\nwant\n%q", got, want)
	}
}
