package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var idempotencyTests = []test{
	{"CreditReplay", testCreditReplay},
	{"ChargeReplayWithReload", testChargeReplayWithReload},
	{"RefusalReplayed", testRefusalReplayed},
	{"KeyReusedForAnotherRequest", testKeyReused},
	{"KeyScopedToAccount", testKeyScopedToAccount},
	{"NoKeyNoReplay", testNoKeyNoReplay},
	{"UnknownAccountWithKey", testUnknownAccountWithKey},
	{"ConcurrentSameKey", testConcurrentSameKey},
	{"Prune", testPrune},
}

// keyed is a movement with an idempotency key. The suite's fingerprints
// are opaque strings: the store only compares them.
func keyed(key string, amount account.Money, reference string, now time.Time, idem, fingerprint string) account.Movement {
	m := mv(key, amount, reference, now)
	m.IdempotencyKey, m.Fingerprint = idem, fingerprint
	return m
}

// sameResult fails unless a replay returned exactly the first result.
func sameResult(t *testing.T, what string, replay, first account.MoveResult) {
	t.Helper()
	if !replay.Replayed {
		t.Errorf("%s: Replayed is false", what)
	}
	if first.Replayed {
		t.Errorf("%s: the first attempt says Replayed", what)
	}
	replay.Replayed = first.Replayed
	if !reflect.DeepEqual(replay, first) {
		t.Errorf("%s: replay differs from the first result:\n got %s\nwant %s", what, fmtResult(replay), fmtResult(first))
	}
}

func fmtResult(r account.MoveResult) string {
	reload := "none"
	if r.Reload != nil {
		reload = fmt.Sprintf("%+v", *r.Reload)
	}
	return fmt.Sprintf("{Transaction:%+v Reload:%s Replayed:%v}", r.Transaction, reload, r.Replayed)
}

func testCreditReplay(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := funded(t, s, "idemcr01", eur(1))
	m := keyed(acct.APIKey, eur(2), "order 7", at(1), "key-1", "fp-credit-2")
	first, err := s.Credit(ctx, m)
	if err != nil {
		t.Fatalf("Credit: %v", err)
	}
	checkTx(t, "credit", first.Transaction, account.Transaction{
		APIKey: acct.APIKey, Kind: account.KindCredit, Amount: eur(2), BalanceAfter: eur(3),
		Reference: "order 7", CreatedAt: at(1),
	})
	before := checkLedger(t, s, acct.APIKey)

	// The repeat may come later: the time is not part of the request.
	m.Now = at(100)
	for i := range 3 {
		again, err := s.Credit(ctx, m)
		if err != nil {
			t.Fatalf("Credit(repeat %d): %v", i, err)
		}
		sameResult(t, fmt.Sprintf("repeat %d", i), again, first)
	}
	checkUnchanged(t, s, acct.APIKey, before)
	if b := mustAccount(t, s, acct.APIKey).Balance; b != eur(3) {
		t.Errorf("balance %d, want %d: the repeats moved money", b, eur(3))
	}
}

func testChargeReplayWithReload(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := autoReloading(t, s, "idemch01", eur(10), &account.AutoReload{Threshold: eur(5), Amount: eur(20)})
	m := keyed(acct.APIKey, eur(6), "call 1", at(1), "charge-key", "fp-charge-6")
	first, err := s.Charge(ctx, m)
	if err != nil || first.Reload == nil {
		t.Fatalf("Charge = %s, %v; want a charge with a reload", fmtResult(first), err)
	}
	before := checkLedger(t, s, acct.APIKey)

	// Even after the balance and the auto-reload setting have changed, the
	// repeat answers what happened the first time.
	if _, err := s.UpdateAccount(ctx, acct.APIKey, account.AccountUpdate{SetAutoReload: true}); err != nil {
		t.Fatalf("UpdateAccount(off): %v", err)
	}
	again, err := s.Charge(ctx, m)
	if err != nil {
		t.Fatalf("Charge(repeat): %v", err)
	}
	sameResult(t, "charge repeat", again, first)
	checkUnchanged(t, s, acct.APIKey, before)
	if again.Reload == nil {
		t.Fatalf("the replay lost the reload")
	}

	// The reload a replay returns is still a real reload: top-up finds it.
	if _, err := s.UpdateAccount(ctx, acct.APIKey, account.AccountUpdate{SetAutoReload: true, AutoReload: acct.AutoReload}); err != nil {
		t.Fatalf("UpdateAccount(on): %v", err)
	}
	if _, err := s.TopUp(ctx, acct.APIKey, again.Reload.Trx, at(2)); err != nil {
		t.Errorf("TopUp(replayed reload's trx): %v", err)
	}
}

func testRefusalReplayed(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := funded(t, s, "idemef01", eur(1))
	m := keyed(acct.APIKey, eur(5), "too much", at(1), "efunds-key", "fp-charge-5")
	first, err := s.Charge(ctx, m)
	wantCode(t, "Charge(beyond balance)", err, account.EFUNDS)
	if first.Replayed || first.Reload != nil || first.Transaction.ID != 0 {
		t.Errorf("refused charge returned %s", fmtResult(first))
	}
	firstMsg := err.Error()

	// Now the money is there, but the repeat is the same request: it is
	// refused again, without looking at the balance.
	if _, err := creditTx(t, s, acct.APIKey, eur(10), "funding", at(2)); err != nil {
		t.Fatal(err)
	}
	before := checkLedger(t, s, acct.APIKey)
	again, err := s.Charge(ctx, m)
	wantCode(t, "Charge(repeat of a refusal)", err, account.EFUNDS)
	if !again.Replayed {
		t.Errorf("repeat of a refusal: Replayed is false")
	}
	if err != nil && err.Error() != firstMsg {
		t.Errorf("repeat of a refusal: error %q, first %q", err, firstMsg)
	}
	checkUnchanged(t, s, acct.APIKey, before)

	// A fresh key for the same charge is a new request, and succeeds.
	m.IdempotencyKey = "efunds-key-2"
	if res, err := s.Charge(ctx, m); err != nil || res.Replayed {
		t.Errorf("Charge(new key) = %s, %v; want a fresh charge", fmtResult(res), err)
	}
}

func testKeyReused(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := funded(t, s, "idemre01", eur(10))
	credit := keyed(acct.APIKey, eur(1), "a", at(1), "k", "fp-credit-1")
	if _, err := s.Credit(ctx, credit); err != nil {
		t.Fatal(err)
	}
	refused := keyed(acct.APIKey, eur(100), "b", at(1), "refused", "fp-charge-100")
	_, err := s.Charge(ctx, refused)
	wantCode(t, "Charge(refused)", err, account.EFUNDS)
	before := checkLedger(t, s, acct.APIKey)

	for _, tc := range []struct {
		name   string
		charge bool
		m      account.Movement
	}{
		{"credit, other amount", false, keyed(acct.APIKey, eur(2), "a", at(2), "k", "fp-credit-2")},
		{"credit, other reference", false, keyed(acct.APIKey, eur(1), "other", at(2), "k", "fp-credit-1-other")},
		{"charge under a credit's key", true, keyed(acct.APIKey, eur(1), "a", at(2), "k", "fp-charge-1")},
		{"charge, other amount, under a refusal's key", true, keyed(acct.APIKey, eur(1), "b", at(2), "refused", "fp-charge-1")},
		{"credit under a refusal's key", false, keyed(acct.APIKey, eur(100), "b", at(2), "refused", "fp-credit-100")},
	} {
		var res account.MoveResult
		if tc.charge {
			res, err = s.Charge(ctx, tc.m)
		} else {
			res, err = s.Credit(ctx, tc.m)
		}
		wantCode(t, tc.name, err, account.ECONFLICT)
		if res.Replayed || res.Transaction.ID != 0 {
			t.Errorf("%s: result %s with the conflict", tc.name, fmtResult(res))
		}
	}
	checkUnchanged(t, s, acct.APIKey, before)
}

func testKeyScopedToAccount(t *testing.T, s account.Store) {
	ctx := t.Context()
	for _, key := range []string{"idemsc01", "idemsc02"} {
		funded(t, s, key, eur(5))
	}
	// The same key and fingerprint on two accounts: two requests.
	r1, err1 := s.Charge(ctx, keyed("idemsc01", eur(1), "x", at(1), "shared", "fp"))
	r2, err2 := s.Charge(ctx, keyed("idemsc02", eur(1), "x", at(1), "shared", "fp"))
	if err1 != nil || err2 != nil || r1.Replayed || r2.Replayed || r1.Transaction.ID == r2.Transaction.ID {
		t.Fatalf("charges under one key on two accounts: %s, %v; %s, %v", fmtResult(r1), err1, fmtResult(r2), err2)
	}
	for _, key := range []string{"idemsc01", "idemsc02"} {
		if b := mustAccount(t, s, key).Balance; b != eur(4) {
			t.Errorf("%s: balance %d, want %d", key, b, eur(4))
		}
	}
	// And each replays its own.
	again, err := s.Charge(ctx, keyed("idemsc02", eur(1), "x", at(2), "shared", "fp"))
	if err != nil {
		t.Fatal(err)
	}
	sameResult(t, "replay on the second account", again, r2)
}

func testNoKeyNoReplay(t *testing.T, s account.Store) {
	acct := newAccount("idemno01")
	create(t, s, acct)
	// Without a key, two identical requests are two movements, whatever the
	// fingerprint says.
	m := mv(acct.APIKey, eur(1), "same", at(1))
	m.Fingerprint = "fp"
	for i := range 2 {
		if res, err := s.Credit(t.Context(), m); err != nil || res.Replayed {
			t.Fatalf("Credit %d without a key = %s, %v", i, fmtResult(res), err)
		}
	}
	if rows := checkLedger(t, s, acct.APIKey); len(rows) != 2 {
		t.Errorf("%d rows, want 2", len(rows))
	}
}

func testUnknownAccountWithKey(t *testing.T, s account.Store) {
	ctx := t.Context()
	create(t, s, newAccount("idemkn01"))
	m := keyed("idemun01", eur(1), "", at(1), "k", "fp")
	_, err := s.Credit(ctx, m)
	wantCode(t, "Credit(unknown account, key)", err, account.ENOTFOUND)
	_, err = s.Charge(ctx, m)
	wantCode(t, "Charge(unknown account, key)", err, account.ENOTFOUND)
	// Nothing was remembered: the key is free on an account that exists.
	m.APIKey = "idemkn01"
	if res, err := s.Credit(ctx, m); err != nil || res.Replayed {
		t.Errorf("Credit(known account, same key) = %s, %v", fmtResult(res), err)
	}
}

// testConcurrentSameKey sends one request 50 times at once: exactly one
// moves money, every other one replays its result.
func testConcurrentSameKey(t *testing.T, s account.Store) {
	const n = 50
	for i, tc := range []struct {
		name   string
		charge bool
		refuse bool
	}{
		{"credit", false, false},
		{"charge with reload", true, false},
		{"refused charge", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("idemcc%02d", i)
			autoReloading(t, s, key, eur(10), &account.AutoReload{Threshold: eur(5), Amount: eur(3)})
			before := checkLedger(t, s, key)
			amount := eur(6)
			if tc.refuse {
				amount = eur(14) // 10 - 14 + 3 < 0
			}
			results := make([]account.MoveResult, n)
			errs := Race(n, func(i int) error {
				var err error
				m := keyed(key, amount, "once", at(i), "same-key", "fp-once")
				if tc.charge {
					results[i], err = s.Charge(t.Context(), m)
				} else {
					results[i], err = s.Credit(t.Context(), m)
				}
				return err
			})
			fresh := -1
			for i, err := range errs {
				switch {
				case tc.refuse && account.ErrorCode(err) == account.EFUNDS:
				case !tc.refuse && err == nil:
				default:
					t.Fatalf("call %d: %s, %v", i, fmtResult(results[i]), err)
				}
				if !results[i].Replayed {
					if fresh >= 0 {
						t.Fatalf("calls %d and %d both ran (neither replayed)", fresh, i)
					}
					fresh = i
				}
			}
			if fresh < 0 {
				t.Fatalf("every call says Replayed; one must have run")
			}
			for i := range results {
				if i != fresh {
					sameResult(t, fmt.Sprintf("call %d", i), results[i], results[fresh])
				}
			}
			rows := checkLedger(t, s, key)
			want := len(before)
			switch {
			case tc.refuse:
			case tc.charge:
				want += 2 // the reload and the charge
			default:
				want++
			}
			if len(rows) != want {
				t.Errorf("%d ledger rows, want %d: the key moved money more than once", len(rows), want)
			}
		})
	}
}

func testPrune(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := funded(t, s, "idempr01", eur(10))
	old := keyed(acct.APIKey, eur(1), "old", at(0), "old", "fp-old")
	edge := keyed(acct.APIKey, eur(1), "edge", at(50), "edge", "fp-edge")
	young := keyed(acct.APIKey, eur(1), "young", at(100), "young", "fp-young")
	refusedOld := keyed(acct.APIKey, eur(1000), "refused", at(1), "refused-old", "fp-refused")
	results := map[string]account.MoveResult{}
	for _, m := range []account.Movement{old, edge, young} {
		res, err := s.Charge(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		results[m.IdempotencyKey] = res
	}
	_, err := s.Charge(ctx, refusedOld)
	wantCode(t, "Charge(refused)", err, account.EFUNDS)

	if n, err := s.PruneIdempotencyKeys(ctx, at(0)); err != nil || n != 0 {
		t.Errorf("Prune(before every key) = %d, %v; want 0", n, err)
	}
	// Created before the cutoff: old and refused-old; edge was created at
	// the cutoff itself and stays.
	if n, err := s.PruneIdempotencyKeys(ctx, at(50)); err != nil || n != 2 {
		t.Errorf("Prune(at 50) = %d, %v; want 2", n, err)
	}
	if n, err := s.PruneIdempotencyKeys(ctx, at(50)); err != nil || n != 0 {
		t.Errorf("Prune(at 50, again) = %d, %v; want 0", n, err)
	}
	for _, m := range []account.Movement{edge, young} {
		res, err := s.Charge(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, "kept key "+m.IdempotencyKey, res, results[m.IdempotencyKey])
	}
	// A forgotten key is free again: the same request runs anew.
	balance := mustAccount(t, s, acct.APIKey).Balance
	res, err := s.Charge(ctx, old)
	if err != nil || res.Replayed || res.Transaction.ID == results["old"].Transaction.ID {
		t.Errorf("Charge(pruned key) = %s, %v; want a new charge", fmtResult(res), err)
	}
	if b := mustAccount(t, s, acct.APIKey).Balance; b != balance-eur(1) {
		t.Errorf("balance %d, want %d", b, balance-eur(1))
	}
	checkLedger(t, s, acct.APIKey)
}
