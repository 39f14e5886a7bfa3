package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// TestGroupCommit: concurrent movements on a file share transactions
// (fewer batches than movements), each is answered with its own outcome
// (the refused charges EFUNDS, the others their rows), and the ledger and
// the balance agree afterwards, also as read back after a reopen.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "group.db")
	s := open(t, path)
	seed(t, s, "group001", 0)
	const n = 64
	errs := storetest.Race(n, func(i int) error {
		m := account.Movement{APIKey: "group001", Amount: account.Money(1000 + i), Now: t0}
		if i%2 == 1 {
			m.Amount = 1 << 40 // more than the credits ever bring: refused
			_, err := s.Charge(t.Context(), m)
			return err
		}
		_, err := s.Credit(t.Context(), m)
		return err
	})
	var want account.Money
	for i, err := range errs {
		if i%2 == 1 {
			if account.ErrorCode(err) != account.EFUNDS {
				t.Errorf("charge %d: %v, want EFUNDS", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("credit %d: %v", i, err)
		}
		want += account.Money(1000 + i)
	}
	if st := s.BatchStats(); st.Batches >= n || st.Batches < 1 || st.Movements != n {
		t.Errorf("%d movements ran as %+v", n, st)
	}
	if a, err := s.Account(t.Context(), "group001"); err != nil || a.Balance != want {
		t.Errorf("balance %d (%v), want %d", a.Balance, err, want)
	}
	rep, err := s.VerifyLedger(t.Context())
	if err != nil || len(rep.Problems) != 0 || rep.Rows != n/2 {
		t.Errorf("VerifyLedger: %+v, %v; want %d clean rows", rep, err, n/2)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := open(t, path)
	if a, err := again.Account(t.Context(), "group001"); err != nil || a.Balance != want {
		t.Errorf("after reopening: balance %d (%v), want %d", a.Balance, err, want)
	}
}
