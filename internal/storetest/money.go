package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var moneyTests = []test{
	{"OpeningBalance", testOpeningBalance},
	{"Credit", testCredit},
	{"Charge", testCharge},
	{"ChargeInsufficient", testChargeInsufficient},
	{"ChargeAutoReload", testChargeAutoReload},
	{"ChargeNotCoveredByReload", testChargeNotCoveredByReload},
	{"NonPositiveAmounts", testNonPositiveAmounts},
	{"TopUp", testTopUp},
	{"TopUpRefused", testTopUpRefused},
	{"Transactions", testTransactions},
	{"ConcurrentMoney", testConcurrentMoney},
}

// checkTx compares a transaction with what it should be, apart from ID
// (only checked to be positive) and Trx (compared only when want has one).
func checkTx(t *testing.T, what string, got, want account.Transaction) {
	t.Helper()
	if got.ID <= 0 {
		t.Errorf("%s: ID %d, want > 0", what, got.ID)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("%s: CreatedAt %v, want %v in UTC", what, got.CreatedAt, want.CreatedAt)
	}
	want.ID, want.CreatedAt = got.ID, got.CreatedAt
	if want.Trx == "" {
		want.Trx = got.Trx
	}
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// checkUnchanged fails unless the account's ledger and balance are still
// before.
func checkUnchanged(t *testing.T, s account.Store, key string, before []account.Transaction) {
	t.Helper()
	after := checkLedger(t, s, key)
	if !slices.Equal(after, before) {
		t.Errorf("ledger changed:\n got %+v\nwant %+v", after, before)
	}
}

func testOpeningBalance(t *testing.T, s account.Store) {
	acct := funded(t, s, "funded01", eur(10)+50_000_000)
	rows := checkLedger(t, s, acct.APIKey)
	if len(rows) != 1 {
		t.Fatalf("%d ledger rows, want 1 (the opening credit)", len(rows))
	}
	checkTx(t, "opening credit", rows[0], account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindCredit, Amount: acct.Balance,
		BalanceAfter: acct.Balance, Reference: "opening balance", CreatedAt: t0,
	})
	if rows[0].Trx != "" || rows[0].RelatedTrx != "" {
		t.Errorf("opening credit has trx %q, related %q; want none", rows[0].Trx, rows[0].RelatedTrx)
	}

	empty := newAccount("empty001")
	create(t, s, empty)
	if rows := checkLedger(t, s, empty.APIKey); len(rows) != 0 {
		t.Errorf("%d ledger rows for a zero opening balance, want 0", len(rows))
	}
}

func testCredit(t *testing.T, s account.Store) {
	acct := funded(t, s, "credit01", eur(1))
	got, err := creditTx(t, s, acct.APIKey, 1, "smallest", at(1))
	if err != nil {
		t.Fatalf("Credit: %v", err)
	}
	checkTx(t, "credit", got, account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindCredit, Amount: 1, BalanceAfter: eur(1) + 1,
		Reference: "smallest", CreatedAt: at(1),
	})
	got2, err := creditTx(t, s, acct.APIKey, eur(2), "", at(2))
	if err != nil {
		t.Fatalf("Credit: %v", err)
	}
	if got2.ID <= got.ID {
		t.Errorf("second credit ID %d not above the first %d", got2.ID, got.ID)
	}
	rows := checkLedger(t, s, acct.APIKey)
	if len(rows) != 3 || rows[1] != got || rows[2] != got2 {
		t.Errorf("ledger %+v, want the opening credit, %+v and %+v", rows, got, got2)
	}
	if b := mustAccount(t, s, acct.APIKey).Balance; b != eur(3)+1 {
		t.Errorf("balance %d, want %d", b, eur(3)+1)
	}
}

func testCharge(t *testing.T, s account.Store) {
	acct := funded(t, s, "charge01", eur(1))
	charge, reload, err := chargeTx(t, s, acct.APIKey, 680_000, "sms", at(1)) // 0.0068 EUR
	if err != nil {
		t.Fatalf("Charge: %v", err)
	}
	if reload != nil {
		t.Errorf("reload %+v without auto-reload", reload)
	}
	checkTx(t, "charge", charge, account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindCharge, Amount: -680_000, BalanceAfter: eur(1) - 680_000,
		Reference: "sms", CreatedAt: at(1),
	})
	if charge.Trx != "" || charge.RelatedTrx != "" {
		t.Errorf("charge has trx %q, related %q; want none", charge.Trx, charge.RelatedTrx)
	}
	// Charging everything that is left is allowed: the balance may be zero.
	rest := eur(1) - 680_000
	if _, _, err := chargeTx(t, s, acct.APIKey, rest, "all", at(2)); err != nil {
		t.Fatalf("Charge(rest): %v", err)
	}
	if rows := checkLedger(t, s, acct.APIKey); len(rows) != 3 || rows[2].BalanceAfter != 0 {
		t.Errorf("ledger %+v, want 3 rows ending at 0", rows)
	}
}

func testChargeInsufficient(t *testing.T, s account.Store) {
	acct := funded(t, s, "broke001", eur(1))
	wantChargeRefused(t, s, "Charge(beyond balance)", acct.APIKey, eur(1)+1)

	empty := funded(t, s, "broke002", 0)
	wantChargeRefused(t, s, "Charge(empty account)", empty.APIKey, 1)
	checkUnchanged(t, s, empty.APIKey, nil)
}

func testChargeAutoReload(t *testing.T, s account.Store) {
	acct := autoReloading(t, s, "reload01", eur(10), &account.AutoReload{Threshold: eur(5), Amount: eur(20)})

	// Down to exactly the threshold: not below it, no reload.
	_, reload, err := chargeTx(t, s, acct.APIKey, eur(5), "to threshold", at(1))
	if err != nil || reload != nil {
		t.Fatalf("Charge(to threshold) = reload %+v, %v; want no reload", reload, err)
	}

	// One unit below the threshold: the reload comes first, then the charge.
	charge, reload, err := chargeTx(t, s, acct.APIKey, 1, "below", at(2))
	if err != nil {
		t.Fatalf("Charge(below threshold): %v", err)
	}
	if reload == nil {
		t.Fatalf("Charge(below threshold): no reload")
	}
	checkTx(t, "reload", *reload, account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindReload, Amount: eur(20), BalanceAfter: eur(25),
		Reference: "auto-reload", CreatedAt: at(2),
	})
	checkTx(t, "charge after reload", charge, account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindCharge, Amount: -1, BalanceAfter: eur(25) - 1,
		Reference: "below", CreatedAt: at(2),
	})
	if reload.Trx == "" || reload.RelatedTrx != "" {
		t.Errorf("reload trx %q, related %q; want a fresh trx and no related one", reload.Trx, reload.RelatedTrx)
	}
	if reload.ID >= charge.ID {
		t.Errorf("reload ID %d not before charge ID %d", reload.ID, charge.ID)
	}

	// A charge larger than the balance that the reload covers.
	_, reload2, err := chargeTx(t, s, acct.APIKey, eur(30), "covered by reload", at(3))
	if err != nil || reload2 == nil {
		t.Fatalf("Charge(covered by reload) = reload %+v, %v; want a reload", reload2, err)
	}
	if reload2.Trx == "" || reload2.Trx == reload.Trx {
		t.Errorf("second reload trx %q, first %q; want distinct non-empty references", reload2.Trx, reload.Trx)
	}

	rows := checkLedger(t, s, acct.APIKey)
	kinds := ""
	for _, r := range rows {
		kinds += r.Kind + " "
	}
	if want := "credit charge reload charge reload charge "; kinds != want {
		t.Errorf("ledger kinds %q, want %q", kinds, want)
	}
	if b := mustAccount(t, s, acct.APIKey).Balance; b != eur(15)-1 {
		t.Errorf("balance %d, want %d", b, eur(15)-1)
	}
}

func testChargeNotCoveredByReload(t *testing.T, s account.Store) {
	acct := autoReloading(t, s, "reload02", eur(1), &account.AutoReload{Threshold: eur(5), Amount: eur(2)})
	wantChargeRefused(t, s, "Charge(not covered by reload)", acct.APIKey, eur(3)+1)
}

// wantChargeRefused charges key amount and fails unless the store refuses
// it for want of funds (EFUNDS), without a reload, leaving the ledger and
// the balance as they were.
func wantChargeRefused(t *testing.T, s account.Store, what, key string, amount account.Money) {
	t.Helper()
	before := checkLedger(t, s, key)
	_, reload, err := chargeTx(t, s, key, amount, "too much", at(1))
	wantCode(t, what, err, account.EFUNDS)
	if reload != nil {
		t.Errorf("%s: reload %+v on a refused charge", what, reload)
	}
	checkUnchanged(t, s, key, before)
}

func testNonPositiveAmounts(t *testing.T, s account.Store) {
	acct := funded(t, s, "nonpos01", eur(1))
	before := checkLedger(t, s, acct.APIKey)
	for _, amount := range []account.Money{0, -1} {
		_, err := creditTx(t, s, acct.APIKey, amount, "", t0)
		if err == nil {
			t.Errorf("Credit(%d) succeeded", amount)
		}
		_, _, err = chargeTx(t, s, acct.APIKey, amount, "", t0)
		if err == nil {
			t.Errorf("Charge(%d) succeeded", amount)
		}
	}
	checkUnchanged(t, s, acct.APIKey, before)
}

// reloadOnce charges an auto-reload account below its threshold and returns
// the reload.
func reloadOnce(t *testing.T, s account.Store, key string) account.Transaction {
	t.Helper()
	_, reload, err := chargeTx(t, s, key, 1, "trigger reload", at(1))
	if err != nil || reload == nil {
		t.Fatalf("Charge(%s) = reload %v, %v; want a reload", key, reload, err)
	}
	return *reload
}

func testTopUp(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := autoReloading(t, s, "topup001", 0, &account.AutoReload{Threshold: eur(5), Amount: eur(20)})
	reload := reloadOnce(t, s, acct.APIKey)
	balance := mustAccount(t, s, acct.APIKey).Balance

	got, err := s.TopUp(ctx, acct.APIKey, reload.Trx, at(2))
	if err != nil {
		t.Fatalf("TopUp: %v", err)
	}
	checkTx(t, "top-up", got, account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindTopUp, Amount: eur(20), BalanceAfter: balance + eur(20),
		RelatedTrx: reload.Trx, CreatedAt: at(2),
	})
	if got.Trx == "" || got.Trx == reload.Trx {
		t.Errorf("top-up trx %q; want a fresh one, not the reload's %q", got.Trx, reload.Trx)
	}

	// The same reload may be repeated again, each time with a new trx.
	got2, err := s.TopUp(ctx, acct.APIKey, reload.Trx, at(3))
	if err != nil {
		t.Fatalf("TopUp(again): %v", err)
	}
	if got2.Trx == got.Trx || got2.RelatedTrx != reload.Trx || got2.BalanceAfter != balance+eur(40) {
		t.Errorf("second top-up %+v", got2)
	}
	checkLedger(t, s, acct.APIKey)
}

func testTopUpRefused(t *testing.T, s account.Store) {
	ctx := t.Context()
	ar := &account.AutoReload{Threshold: eur(5), Amount: eur(20)}
	mine := autoReloading(t, s, "topupmin", eur(1), ar)
	theirs := autoReloading(t, s, "topupthr", 0, ar)
	off := funded(t, s, "topupoff", eur(1))

	myReload := reloadOnce(t, s, mine.APIKey)
	theirReload := reloadOnce(t, s, theirs.APIKey)
	myTopUp, err := s.TopUp(ctx, mine.APIKey, myReload.Trx, at(2))
	if err != nil {
		t.Fatal(err)
	}
	before := checkLedger(t, s, mine.APIKey)

	for _, tc := range []struct{ name, trx string }{
		{"unknown trx", account.NewTrx()},
		{"another account's reload", theirReload.Trx},
		{"a top-up, not a reload", myTopUp.Trx},
		{"empty trx", ""},
	} {
		_, err := s.TopUp(ctx, mine.APIKey, tc.trx, at(3))
		wantCode(t, "TopUp("+tc.name+")", err, account.EINVALID)
		if e := account.AsError(err); e.Field != "trx" {
			t.Errorf("TopUp(%s): field %q, want \"trx\"", tc.name, e.Field)
		}
	}
	checkUnchanged(t, s, mine.APIKey, before)

	offBefore := checkLedger(t, s, off.APIKey)
	for _, trx := range []string{myReload.Trx, account.NewTrx()} {
		_, err = s.TopUp(ctx, off.APIKey, trx, at(3))
		wantCode(t, "TopUp(auto-reload off)", err, account.EAUTORELOADOFF)
	}
	checkUnchanged(t, s, off.APIKey, offBefore)
}

func testTransactions(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := newAccount("ledger01")
	create(t, s, acct)
	other := funded(t, s, "ledger02", eur(1))

	var want []account.Transaction // oldest first
	for i := range 7 {
		tx, err := creditTx(t, s, acct.APIKey, account.Money(i+1), fmt.Sprintf("credit %d", i), at(i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tx)
		if _, err := creditTx(t, s, other.APIKey, 1, "interleaved", at(i)); err != nil {
			t.Fatal(err)
		}
	}
	newest := func(from, n int) []account.Transaction { // want[from], want[from-1], ...
		var out []account.Transaction
		for i := from; i >= 0 && len(out) < n; i-- {
			out = append(out, want[i])
		}
		return out
	}
	check := func(before int64, limit int, exp []account.Transaction) {
		t.Helper()
		got, err := s.Transactions(ctx, acct.APIKey, before, limit)
		if err != nil {
			t.Fatalf("Transactions(%d, %d): %v", before, limit, err)
		}
		if len(got) != len(exp) {
			t.Fatalf("Transactions(%d, %d): %d rows, want %d", before, limit, len(got), len(exp))
		}
		for i := range exp {
			checkTx(t, fmt.Sprintf("Transactions(%d, %d)[%d]", before, limit, i), got[i], exp[i])
			if got[i].ID != exp[i].ID || got[i].Trx != exp[i].Trx {
				t.Errorf("Transactions(%d, %d)[%d]: ID %d, want %d", before, limit, i, got[i].ID, exp[i].ID)
			}
		}
	}
	check(0, 100, newest(6, 100))
	check(0, 3, newest(6, 3))
	check(want[4].ID, 3, newest(3, 3))
	check(want[1].ID, 3, newest(0, 3))
	check(want[0].ID, 3, nil)
	check(want[6].ID+1000, 2, newest(6, 2))
	check(0, 0, newest(6, 1))  // limit below 1 is 1
	check(0, -5, newest(6, 1)) // likewise
	if got, err := s.Transactions(ctx, acct.APIKey, 0, 1_000_000); err != nil || len(got) != 7 {
		t.Errorf("Transactions(limit 1e6) = %d rows, %v; want 7", len(got), err)
	}

	// An account without rows has an empty (not nil-error) ledger.
	create(t, s, newAccount("ledger03"))
	if got, err := s.Transactions(ctx, "ledger03", 0, 10); err != nil || len(got) != 0 {
		t.Errorf("Transactions(no rows) = %v, %v; want none", got, err)
	}
}

// testConcurrentMoney races charges and credits (and, with auto-reload,
// reloads) on one account: whatever the interleaving, every row's balance
// follows from the previous one, nothing goes below zero and the balance is
// the sum of the ledger.
func testConcurrentMoney(t *testing.T, s account.Store) {
	for _, tc := range []struct {
		key string
		ar  *account.AutoReload
	}{
		{"concur01", nil},
		{"concur02", &account.AutoReload{Threshold: eur(2), Amount: eur(3)}},
	} {
		autoReloading(t, s, tc.key, eur(5), tc.ar)

		const n = 200
		charge, credit := eur(1), account.Money(50_000_000)
		errs := Race(n, func(i int) error {
			if i%2 == 0 {
				_, _, err := chargeTx(t, s, tc.key, charge, fmt.Sprint("charge ", i), at(i))
				return err
			}
			_, err := creditTx(t, s, tc.key, credit, fmt.Sprint("credit ", i), at(i))
			return err
		})
		charged, funds := 0, 0
		for i, err := range errs {
			switch {
			case err == nil && i%2 == 0:
				charged++
			case err == nil:
			case i%2 == 0 && account.ErrorCode(err) == account.EFUNDS:
				funds++
			default:
				t.Errorf("%s: call %d: %v", tc.key, i, err)
			}
		}
		rows := checkLedger(t, s, tc.key)
		counts := map[string]int{}
		for _, r := range rows {
			counts[r.Kind]++
		}
		if counts[account.KindCharge] != charged || counts[account.KindCredit] != 1+n/2 {
			t.Errorf("%s: ledger has %v, want %d charges and %d credits", tc.key, counts, charged, 1+n/2)
		}
		if tc.ar == nil && counts[account.KindReload] != 0 {
			t.Errorf("%s: %d reloads without auto-reload", tc.key, counts[account.KindReload])
		}
		t.Logf("%s: %d charges, %d refused, %d reloads, final balance %s",
			tc.key, charged, funds, counts[account.KindReload], rows[len(rows)-1].BalanceAfter)
	}
}

// mv is a movement without an idempotency key.
func mv(key string, amount account.Money, reference string, now time.Time) account.Movement {
	return account.Movement{APIKey: key, Amount: amount, Reference: reference, Now: now}
}

// creditTx credits without an idempotency key and returns the row.
func creditTx(t *testing.T, s account.Store, key string, amount account.Money, reference string, now time.Time) (account.Transaction, error) {
	res, err := s.Credit(t.Context(), mv(key, amount, reference, now))
	if err == nil && (res.Replayed || res.Reload != nil) {
		t.Errorf("Credit without a key = %+v; want neither replayed nor a reload", res)
	}
	return res.Transaction, err
}

// chargeTx charges without an idempotency key and returns the rows.
func chargeTx(t *testing.T, s account.Store, key string, amount account.Money, reference string, now time.Time) (account.Transaction, *account.Transaction, error) {
	res, err := s.Charge(t.Context(), mv(key, amount, reference, now))
	if res.Replayed {
		t.Errorf("Charge without a key replayed: %+v, %v", res, err)
	}
	return res.Transaction, res.Reload, err
}
