package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var importTests = []test{
	{"ImportAndRead", testImportAndRead},
	{"ImportSkipsExisting", testImportSkipsExisting},
	{"ImportPrimaries", testImportPrimaries},
	{"ImportSecretIDTaken", testImportSecretIDTaken},
	{"ImportEmpty", testImportEmpty},
	{"ImportBatch", testImportBatch},
	{"ImportedAccountsWork", testImportedAccountsWork},
	{"ImportConcurrent", testImportConcurrent},
}

// importRec returns a record of acct with a fresh first secret.
func importRec(acct account.Account) account.ImportRecord {
	return account.ImportRecord{Account: acct, Secret: newSecret(acct.APIKey, acct.CreatedAt)}
}

// mustImport imports recs and returns the per-record errors.
func mustImport(t *testing.T, s account.Store, recs ...account.ImportRecord) []error {
	t.Helper()
	errs, err := s.ImportAccounts(t.Context(), recs)
	if err != nil {
		t.Fatalf("ImportAccounts: %v", err)
	}
	if len(errs) != len(recs) {
		t.Fatalf("ImportAccounts returned %d errors for %d records", len(errs), len(recs))
	}
	return errs
}

// wantImported fails unless every record of errs went in.
func wantImported(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("record %d: %v, want imported", i, err)
		}
	}
}

// testImportAndRead imports what CreateAccount creates and reads back the
// same: every field, the secret, and an opening credit when funded.
func testImportAndRead(t *testing.T, s account.Store) {
	primary := account.Account{
		APIKey:     "imprim01",
		Balance:    eur(12) + 34_567_890,
		AutoReload: &account.AutoReload{Threshold: eur(5), Amount: eur(20) + 1},
		Limits:     account.Limits{MaxOutboundRequest: 1, MaxInboundRequest: 2, MaxCallsPerSecond: 3},
		CreatedAt:  t0,
	}
	sub := account.Account{APIKey: "imsub001", PrimaryAPIKey: primary.APIKey, Limits: account.DefaultLimits, CreatedAt: at(1)}
	plain := newAccount("implain1")
	recs := []account.ImportRecord{importRec(primary), importRec(sub), importRec(plain)}
	wantImported(t, mustImport(t, s, recs...))

	for _, rec := range recs {
		checkAccount(t, mustAccount(t, s, rec.Account.APIKey), rec.Account)
		checkSecrets(t, mustSecrets(t, s, rec.Account.APIKey), []account.Secret{rec.Secret})
		wantHolds(t, s, rec.Account.APIKey, rec.Secret.ID, true)
	}
	rows := checkLedger(t, s, primary.APIKey)
	if len(rows) != 1 || rows[0].Kind != account.KindCredit || rows[0].Amount != primary.Balance ||
		rows[0].Reference != "opening balance" || !sameTime(rows[0].CreatedAt, t0) {
		t.Errorf("ledger of a funded import = %+v, want one opening credit of %d at t0", rows, primary.Balance)
	}
	if rows := checkLedger(t, s, plain.APIKey); len(rows) != 0 {
		t.Errorf("%d ledger rows for an import without balance, want 0", len(rows))
	}
	if n, err := s.AccountCount(t.Context()); err != nil || n != 3 {
		t.Errorf("AccountCount = %d, %v; want 3", n, err)
	}
	rep, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	wantClean(t, "after import", rep)
}

// testImportSkipsExisting: a taken key is ECONFLICT for that record only,
// and the stored account keeps everything it had; a key twice in one
// batch goes in once.
func testImportSkipsExisting(t *testing.T, s account.Store) {
	orig, sec, again := takenKey(t, s, "imexist1")
	fresh := newAccount("imfresh1")
	twice := newAccount("imfresh1")
	twice.Balance = eur(9)
	errs := mustImport(t, s, importRec(again), importRec(fresh), importRec(twice))
	wantCode(t, "existing key", errs[0], account.ECONFLICT)
	if errs[1] != nil {
		t.Errorf("new key: %v, want imported", errs[1])
	}
	wantCode(t, "key already earlier in the batch", errs[2], account.ECONFLICT)
	for _, i := range []int{0, 2} {
		if e := account.AsError(errs[i]); e != nil && e.Field != "api_key" {
			t.Errorf("record %d: Field %q, want \"api_key\" for a taken key", i, e.Field)
		}
	}

	wantKept(t, s, orig, sec)
	checkAccount(t, mustAccount(t, s, fresh.APIKey), fresh)
	if rows := checkLedger(t, s, fresh.APIKey); len(rows) != 0 {
		t.Errorf("the second record of a key added %d ledger rows", len(rows))
	}

	// Running the same import again changes nothing.
	errs = mustImport(t, s, importRec(again), importRec(fresh))
	wantCode(t, "repeat, existing", errs[0], account.ECONFLICT)
	wantCode(t, "repeat, imported", errs[1], account.ECONFLICT)
	if n, err := s.AccountCount(t.Context()); err != nil || n != 2 {
		t.Errorf("AccountCount = %d, %v; want 2", n, err)
	}
}

// testImportPrimaries: a primary may be stored or earlier in the batch; an
// unknown one, a later one or a subaccount is refused for that record
// only.
func testImportPrimaries(t *testing.T, s account.Store) {
	create(t, s, newAccount("stored01"))
	sub := newAccount("storsub1")
	sub.PrimaryAPIKey = "stored01"
	create(t, s, sub)

	with := func(key, primary string) account.ImportRecord {
		a := newAccount(key)
		a.PrimaryAPIKey = primary
		a.Balance = eur(1)
		return importRec(a)
	}
	recs := []account.ImportRecord{
		with("imsub101", "stored01"), // stored primary
		with("imprim02", ""),
		with("imsub102", "imprim02"), // primary earlier in the batch
		with("imsub103", "nobody01"), // unknown
		with("imsub104", "storsub1"), // a subaccount
		with("imsub105", "imprim03"), // primary later in the batch
		with("imprim03", ""),
		with("imsub106", "imsub101"), // a subaccount imported just before
	}
	errs := mustImport(t, s, recs...)
	for i, want := range []account.Code{"", "", "", account.ENOTFOUND, account.EINVALID, account.ENOTFOUND, "", account.EINVALID} {
		key := recs[i].Account.APIKey
		wantCode(t, key, errs[i], want)
		_, err := s.Account(t.Context(), key)
		if want == "" {
			if err != nil {
				t.Errorf("Account(%s): %v", key, err)
			}
			checkLedger(t, s, key)
		} else {
			wantCode(t, "Account("+key+") after its refusal", err, account.ENOTFOUND)
		}
	}
	if got := mustAccount(t, s, "imsub102").PrimaryAPIKey; got != "imprim02" {
		t.Errorf("imsub102's primary = %q", got)
	}
}

// testImportSecretIDTaken: a record whose secret id exists is refused and
// leaves no account behind.
func testImportSecretIDTaken(t *testing.T, s account.Store) {
	taken := create(t, s, newAccount("owner001"))
	a := newAccount("imdupsec")
	a.Balance = eur(2)
	rec := account.ImportRecord{Account: a, Secret: account.Secret{ID: taken.ID, APIKey: a.APIKey, Hash: "$argon2id$other", CreatedAt: t0}}
	ok := newAccount("imafter1")
	errs := mustImport(t, s, rec, importRec(ok))
	wantCode(t, "taken secret id", errs[0], account.ECONFLICT)
	if e := account.AsError(errs[0]); e != nil && e.Field != "" {
		t.Errorf("taken secret id: Field %q, want none (the key is not taken)", e.Field)
	}
	if errs[1] != nil {
		t.Errorf("the next record: %v", errs[1])
	}
	_, err := s.Account(t.Context(), a.APIKey)
	wantCode(t, "Account after the refused record", err, account.ENOTFOUND)
	checkSecrets(t, mustSecrets(t, s, "owner001"), []account.Secret{taken})
	mustAccount(t, s, ok.APIKey)
	rep, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantClean(t, "after a refused record", rep)
}

func testImportEmpty(t *testing.T, s account.Store) {
	errs := mustImport(t, s)
	if len(errs) != 0 {
		t.Errorf("errors for an empty import: %v", errs)
	}
}

// testImportBatch imports a batch of the size the HTTP layer sends.
func testImportBatch(t *testing.T, s account.Store) {
	const n = 600
	recs := make([]account.ImportRecord, n)
	for i := range recs {
		a := newAccount(fmt.Sprintf("imbatch%05d", i))
		a.Balance = account.Money(i)
		recs[i] = importRec(a)
	}
	wantImported(t, mustImport(t, s, recs...))
	if c, err := s.AccountCount(t.Context()); err != nil || c != n {
		t.Fatalf("AccountCount = %d, %v; want %d", c, err, n)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		checkAccount(t, mustAccount(t, s, recs[i].Account.APIKey), recs[i].Account)
		checkSecrets(t, mustSecrets(t, s, recs[i].Account.APIKey), []account.Secret{recs[i].Secret})
	}
	rep, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != n || rep.Rows != n-1 {
		t.Errorf("VerifyLedger = %d accounts, %d rows; want %d, %d", rep.Accounts, rep.Rows, n, n-1)
	}
	wantClean(t, "after a batch", rep)
}

// testImportedAccountsWork: an imported account is like a created one for
// every other method.
func testImportedAccountsWork(t *testing.T, s account.Store) {
	ctx := t.Context()
	a := newAccount("imwork01")
	a.Balance = eur(10)
	a.AutoReload = &account.AutoReload{Threshold: eur(5), Amount: eur(20)}
	rec := importRec(a)
	wantImported(t, mustImport(t, s, rec))

	second := newSecret(a.APIKey, at(1))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatalf("AddSecret: %v", err)
	}
	wantCode(t, "third secret", s.AddSecret(ctx, newSecret(a.APIKey, at(2))), account.ESECRETLIMIT)
	if err := s.RevokeSecret(ctx, a.APIKey, rec.Secret.ID); err != nil {
		t.Fatalf("RevokeSecret: %v", err)
	}
	wantCode(t, "revoke the last", s.RevokeSecret(ctx, a.APIKey, second.ID), account.ELASTSECRET)
	if _, reload, err := chargeTx(t, s, a.APIKey, eur(6), "below threshold", at(3)); err != nil || reload == nil {
		t.Fatalf("charge: reload %v, %v; want a reload", reload, err)
	}
	if rows := checkLedger(t, s, a.APIKey); len(rows) != 3 {
		t.Errorf("%d ledger rows, want opening, reload, charge", len(rows))
	}
}

// testImportConcurrent runs overlapping imports at once: each key goes in
// exactly once, the others see ECONFLICT, and nothing fails.
func testImportConcurrent(t *testing.T, s account.Store) {
	const workers, n = 4, 50
	var wg sync.WaitGroup
	imported := make([][]bool, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]account.ImportRecord, n)
			for i := range recs {
				a := newAccount(fmt.Sprintf("imconc%04d", i))
				a.Balance = eur(1)
				recs[i] = importRec(a)
			}
			errs, err := s.ImportAccounts(t.Context(), recs)
			if err != nil {
				t.Errorf("worker %d: %v", w, err)
				return
			}
			imported[w] = make([]bool, n)
			for i, err := range errs {
				if err == nil {
					imported[w][i] = true
				} else if account.ErrorCode(err) != account.ECONFLICT {
					t.Errorf("worker %d, record %d: %v", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range n {
		got := 0
		for w := range workers {
			if imported[w][i] {
				got++
			}
		}
		if got != 1 {
			t.Errorf("record %d imported %d times, want once", i, got)
		}
	}
	rep, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accounts != n || rep.Rows != n {
		t.Errorf("VerifyLedger = %d accounts, %d rows; want %d each", rep.Accounts, rep.Rows, n)
	}
	wantClean(t, "after concurrent imports", rep)
}
