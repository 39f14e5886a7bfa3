package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var ledgerTests = []test{
	{"VerifyEmpty", testVerifyEmpty},
	{"VerifyBusy", testVerifyBusy},
	{"ModelCheck", testModelCheck},
}

// wantClean fails unless rep found no problem.
func wantClean(t *testing.T, what string, rep account.LedgerReport) {
	t.Helper()
	for _, p := range rep.Problems {
		t.Errorf("%s: problem on %s (row %d): %s", what, p.APIKey, p.TransactionID, p.Message)
	}
}

func testVerifyEmpty(t *testing.T, s account.Store) {
	rep, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	if rep.Accounts != 0 || rep.Rows != 0 || len(rep.Problems) != 0 {
		t.Errorf("VerifyLedger on an empty store = %+v", rep)
	}
	// An account without rows has a zero balance, which is consistent.
	create(t, s, newAccount("verify00"))
	rep, err = s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	if rep.Accounts != 1 || rep.Rows != 0 {
		t.Errorf("VerifyLedger = %+v; want 1 account, 0 rows", rep)
	}
	wantClean(t, "one empty account", rep)
}

// testVerifyBusy moves money on several accounts while VerifyLedger runs:
// every report sees one consistent snapshot, so none finds a problem, and
// the last one counts every account and row.
func testVerifyBusy(t *testing.T, s account.Store) {
	ctx := t.Context()
	const accounts = 4
	keys := make([]string, accounts)
	for i := range keys {
		keys[i] = fmt.Sprintf("verify%02d", i+1)
		a := newAccount(keys[i])
		a.Balance = eur(int64(i))
		if i%2 == 1 {
			a.AutoReload = &account.AutoReload{Threshold: eur(2), Amount: eur(3)}
		}
		create(t, s, a)
	}
	sub := newAccount("verifysb")
	sub.PrimaryAPIKey = keys[0]
	create(t, s, sub) // no rows at all

	var (
		done    atomic.Bool
		reports int
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		lastRows := 0
		for !done.Load() {
			rep, err := s.VerifyLedger(ctx)
			if err != nil {
				t.Errorf("VerifyLedger during writes: %v", err)
				return
			}
			wantClean(t, "during writes", rep)
			if rep.Rows < lastRows {
				t.Errorf("VerifyLedger counted %d rows after %d", rep.Rows, lastRows)
			}
			lastRows = rep.Rows
			reports++
		}
	})
	errs := Race(120, func(i int) error {
		key := keys[i%accounts]
		switch i % 3 {
		case 0:
			_, err := creditTx(t, s, key, account.Money(i+1)*1_000_000, fmt.Sprint("credit ", i), at(i))
			return err
		case 1:
			_, _, err := chargeTx(t, s, key, eur(1), fmt.Sprint("charge ", i), at(i))
			if account.ErrorCode(err) == account.EFUNDS {
				return nil
			}
			return err
		default:
			res, err := s.Charge(ctx, keyed(key, 1, "keyed", at(i), fmt.Sprint("k", i%7), fmt.Sprint("fp", i%7)))
			if account.ErrorCode(err) == account.EFUNDS || account.ErrorCode(err) == account.ECONFLICT {
				return nil
			}
			if err == nil && res.Reload != nil && i%2 == 1 {
				_, err = s.TopUp(ctx, key, res.Reload.Trx, at(i))
			}
			return err
		}
	})
	done.Store(true)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}

	rows := 0
	for _, key := range append(keys, sub.APIKey) {
		rows += len(checkLedger(t, s, key))
	}
	rep, err := s.VerifyLedger(ctx)
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	wantClean(t, "after writes", rep)
	if rep.Accounts != accounts+1 || rep.Rows != rows {
		t.Errorf("VerifyLedger = %d accounts, %d rows; want %d, %d", rep.Accounts, rep.Rows, accounts+1, rows)
	}
	t.Logf("%d reports during the writes; finally %d accounts, %d rows", reports, rep.Accounts, rep.Rows)
}
