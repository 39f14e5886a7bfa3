package storetest

import (
	"fmt"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var secretTests = []test{
	{"AddSecondThenLimit", testAddSecondThenLimit},
	{"CreationOrder", testCreationOrder},
	{"Revoke", testRevoke},
	{"RevokeLast", testRevokeLast},
	{"RevokeUnknown", testRevokeUnknown},
	{"RevokeOtherAccounts", testRevokeOtherAccounts},
	{"RaceAdd", testRaceAdd},
	{"RaceRevoke", testRaceRevoke},
	{"AccountWithSecret", testAccountWithSecret},
}

// testAccountWithSecret checks the one read a cached verification makes:
// the account while it holds the secret, nothing once it does not.
func testAccountWithSecret(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := newAccount("withsec1")
	first := create(t, s, acct)
	create(t, s, newAccount("withsec2"))
	second := newSecret(acct.APIKey, at(1))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatal(err)
	}
	want, err := s.Account(ctx, acct.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := accountWithSecret(t, s, acct.APIKey, first.ID)
	if err != nil || !found || got.APIKey != want.APIKey || got.Balance != want.Balance || got.Limits != want.Limits || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("AccountWithSecret(held) = %+v, %v, %v; want %+v, true, nil", got, found, err, want)
	}
	if err := s.RevokeSecret(ctx, acct.APIKey, first.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, key, id string }{
		{"revoked", acct.APIKey, first.ID},
		{"unknown key", "nosuchkey", second.ID},
		{"another account's key", "withsec2", second.ID},
		{"unknown id", acct.APIKey, "00000000-0000-4000-8000-000000000000"},
	} {
		if _, found, err := accountWithSecret(t, s, c.key, c.id); found || err != nil {
			t.Errorf("AccountWithSecret(%s) = %v, %v; want false, nil", c.name, found, err)
		}
	}
	if _, found, err := accountWithSecret(t, s, acct.APIKey, second.ID); !found || err != nil {
		t.Errorf("AccountWithSecret(remaining) = %v, %v; want true, nil", found, err)
	}
}

func testAddSecondThenLimit(t *testing.T, s account.Store) {
	ctx := t.Context()
	first := create(t, s, newAccount("secrets1"))
	second := newSecret("secrets1", at(1))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatalf("AddSecret(second): %v", err)
	}
	checkSecrets(t, mustSecrets(t, s, "secrets1"), []account.Secret{first, second})
	for _, sec := range []account.Secret{first, second} {
		wantHolds(t, s, "secrets1", sec.ID, true)
	}

	third := newSecret("secrets1", at(2))
	wantCode(t, "AddSecret(third)", s.AddSecret(ctx, third), account.ESECRETLIMIT)
	checkSecrets(t, mustSecrets(t, s, "secrets1"), []account.Secret{first, second})
	wantHolds(t, s, "secrets1", third.ID, false) // the refused third
}

// testCreationOrder gives secrets the same timestamp and ids that sort the
// other way, and reuses a freed place, so only the true creation order can
// pass.
func testCreationOrder(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := newAccount("ordering")
	secret := func(id, name string) account.Secret {
		return account.Secret{ID: id, APIKey: acct.APIKey, Hash: "$argon2id$test$" + name, CreatedAt: t0}
	}
	a := secret("ffffffff-ffff-4fff-bfff-ffffffffffff", "a")
	b := secret("88888888-8888-4888-8888-888888888888", "b")
	c := secret("00000000-0000-4000-8000-000000000000", "c")
	d := secret("99999999-9999-4999-9999-999999999999", "d")
	if err := s.CreateAccount(ctx, acct, a); err != nil {
		t.Fatal(err)
	}
	// Each step revokes the older secret (when it names one) to free a
	// place, then adds another.
	for _, step := range []struct {
		revoke string
		add    account.Secret
		want   []account.Secret
	}{
		{"", b, []account.Secret{a, b}},
		{a.ID, c, []account.Secret{b, c}},
		{b.ID, d, []account.Secret{c, d}},
	} {
		if step.revoke != "" {
			if err := s.RevokeSecret(ctx, acct.APIKey, step.revoke); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddSecret(ctx, step.add); err != nil {
			t.Fatal(err)
		}
		checkSecrets(t, mustSecrets(t, s, acct.APIKey), step.want)
	}
}

func testRevoke(t *testing.T, s account.Store) {
	ctx := t.Context()
	first := create(t, s, newAccount("revoke01"))
	second := newSecret("revoke01", at(1))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSecret(ctx, "revoke01", first.ID); err != nil {
		t.Fatalf("RevokeSecret(first): %v", err)
	}
	checkSecrets(t, mustSecrets(t, s, "revoke01"), []account.Secret{second})
	wantHolds(t, s, "revoke01", first.ID, false) // revoked
	wantHolds(t, s, "revoke01", second.ID, true) // kept
	wantCode(t, "RevokeSecret(already revoked)", s.RevokeSecret(ctx, "revoke01", first.ID), account.ESECRETNOTFOUND)
}

func testRevokeLast(t *testing.T, s account.Store) {
	ctx := t.Context()
	only := create(t, s, newAccount("lastone1"))
	wantCode(t, "RevokeSecret(only)", s.RevokeSecret(ctx, "lastone1", only.ID), account.ELASTSECRET)
	checkSecrets(t, mustSecrets(t, s, "lastone1"), []account.Secret{only})
	wantHolds(t, s, "lastone1", only.ID, true)
}

func testRevokeUnknown(t *testing.T, s account.Store) {
	ctx := t.Context()
	only := create(t, s, newAccount("unknown2"))
	// With one secret left, an unknown id must still be "not found", not
	// "last secret".
	wantCode(t, "RevokeSecret(unknown id)", s.RevokeSecret(ctx, "unknown2", account.NewID()), account.ESECRETNOTFOUND)
	second := newSecret("unknown2", at(1))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "RevokeSecret(unknown id, two secrets)", s.RevokeSecret(ctx, "unknown2", account.NewID()), account.ESECRETNOTFOUND)
	checkSecrets(t, mustSecrets(t, s, "unknown2"), []account.Secret{only, second})
}

func testRevokeOtherAccounts(t *testing.T, s account.Store) {
	ctx := t.Context()
	mine := create(t, s, newAccount("mine0001"))
	theirs := create(t, s, newAccount("theirs01"))
	theirs2 := newSecret("theirs01", at(1))
	if err := s.AddSecret(ctx, theirs2); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{theirs.ID, theirs2.ID} {
		wantCode(t, "RevokeSecret(another account's id)", s.RevokeSecret(ctx, "mine0001", id), account.ESECRETNOTFOUND)
		wantHolds(t, s, "mine0001", id, false) // their id
	}
	checkSecrets(t, mustSecrets(t, s, "theirs01"), []account.Secret{theirs, theirs2})
	checkSecrets(t, mustSecrets(t, s, "mine0001"), []account.Secret{mine})
}

// wantHolds fails unless the account key holds the secret id (want true)
// or does not (want false), as the read that confirms a cached
// verification sees it.
func wantHolds(t *testing.T, s account.Store, key, id string, want bool) {
	t.Helper()
	if _, found, err := accountWithSecret(t, s, key, id); found != want || err != nil {
		t.Errorf("AccountWithSecret(%s, %s) = %v, %v; want %v, nil", key, id, found, err, want)
	}
}

// testRaceAdd: concurrent adds to an account with one secret; exactly one
// may win.
func testRaceAdd(t *testing.T, s account.Store) {
	const rounds, racers = 20, 8
	for round := range rounds {
		key := fmt.Sprintf("raceadd%02d", round)
		create(t, s, newAccount(key))
		errs := Race(racers, func(i int) error {
			return s.AddSecret(t.Context(), newSecret(key, at(i)))
		})
		ok := 0
		for _, err := range errs {
			switch account.ErrorCode(err) {
			case "":
				ok++
			case account.ESECRETLIMIT:
			default:
				t.Errorf("round %d: AddSecret: %v, want nil or %s", round, err, account.ESECRETLIMIT)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d adds succeeded, want exactly 1", round, ok)
		}
		if secs := mustSecrets(t, s, key); len(secs) != 2 {
			t.Errorf("round %d: %d secrets, want 2", round, len(secs))
		}
	}
}

// testRaceRevoke: two concurrent revokes of an account's two secrets; one
// must fail with ELASTSECRET.
func testRaceRevoke(t *testing.T, s account.Store) {
	const rounds = 20
	for round := range rounds {
		key := fmt.Sprintf("racerev%02d", round)
		first := create(t, s, newAccount(key))
		second := newSecret(key, at(1))
		if err := s.AddSecret(t.Context(), second); err != nil {
			t.Fatal(err)
		}
		targets := []string{first.ID, second.ID}
		errs := Race(2, func(i int) error {
			return s.RevokeSecret(t.Context(), key, targets[i])
		})
		ok, last := 0, 0
		for _, err := range errs {
			switch account.ErrorCode(err) {
			case "":
				ok++
			case account.ELASTSECRET:
				last++
			default:
				t.Errorf("round %d: RevokeSecret: %v, want nil or %s", round, err, account.ELASTSECRET)
			}
		}
		if ok != 1 || last != 1 {
			t.Errorf("round %d: %d revokes succeeded and %d got %s, want 1 and 1", round, ok, last, account.ELASTSECRET)
		}
		secs := mustSecrets(t, s, key)
		if len(secs) != 1 {
			t.Fatalf("round %d: %d secrets, want 1", round, len(secs))
		}
		// The survivor is the one whose revoke failed.
		survivor := targets[0]
		if errs[0] == nil {
			survivor = targets[1]
		}
		if secs[0].ID != survivor {
			t.Errorf("round %d: secret %s survived, want %s (its revoke failed)", round, secs[0].ID, survivor)
		}
	}
}
