package storetest

import (
	"slices"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var adminTests = []test{
	{"ListAccountsPages", testListAccountsPages},
	{"ListAccountsFilters", testListAccountsFilters},
	{"ResetSecretsFromTwo", testResetSecretsFromTwo},
	{"ResetSecretsFromOne", testResetSecretsFromOne},
	{"ResetSecretsUnknown", testResetSecretsUnknown},
	{"RaceResetAndAdd", testRaceResetAndAdd},
}

// keysOf lists the accounts' keys, in order.
func keysOf(accts []account.Account) []string {
	out := make([]string, len(accts))
	for i, a := range accts {
		out[i] = a.APIKey
	}
	return out
}

// listAll walks ListAccounts page by page (pages of size) the way the
// service does, and returns every key seen, in order.
func listAll(t *testing.T, s account.Store, q account.AccountQuery, size int) []string {
	t.Helper()
	var out []string
	q.Limit = size
	for range 100 {
		page, err := s.ListAccounts(t.Context(), q)
		if err != nil {
			t.Fatalf("ListAccounts(%+v): %v", q, err)
		}
		if len(page) > size {
			t.Fatalf("ListAccounts(%+v) returned %d accounts, above the limit", q, len(page))
		}
		out = append(out, keysOf(page)...)
		if len(page) < size {
			return out
		}
		q.After = page[len(page)-1].APIKey
	}
	t.Fatal("ListAccounts never reached a short page")
	return nil
}

func testListAccountsPages(t *testing.T, s account.Store) {
	// Created out of order: the listing is ordered by key, not creation.
	want := []string{"aa000001", "aa000002", "ab000001", "b0000001", "ba000000", "z9999999", "zz000000"}
	for _, i := range []int{4, 0, 6, 2, 1, 5, 3} {
		create(t, s, newAccount(want[i]))
	}
	for _, size := range []int{1, 2, 3, 7, 8} {
		if got := listAll(t, s, account.AccountQuery{}, size); !slices.Equal(got, want) {
			t.Errorf("pages of %d: %v, want %v", size, got, want)
		}
	}
	// Every field comes back as stored.
	ar := &account.AutoReload{Threshold: eur(5), Amount: eur(20)}
	full := autoReloading(t, s, "cc000000", eur(7), ar)
	page, err := s.ListAccounts(t.Context(), account.AccountQuery{After: "b", Prefix: "c", Limit: 5})
	if err != nil || len(page) != 1 {
		t.Fatalf("ListAccounts(prefix c): %v, %v", keysOf(page), err)
	}
	checkAccount(t, page[0], full)
	// After a key that does not exist, from the next one.
	page, err = s.ListAccounts(t.Context(), account.AccountQuery{After: "ab", Limit: 2})
	if got := keysOf(page); err != nil || !slices.Equal(got, []string{"ab000001", "b0000001"}) {
		t.Errorf("after \"ab\": %v, %v", got, err)
	}
	page, err = s.ListAccounts(t.Context(), account.AccountQuery{After: "zz000000", Limit: 2})
	if err != nil || page == nil || len(page) != 0 {
		t.Errorf("after the last key: %v (nil %t), %v; want an empty, non-nil list", keysOf(page), page == nil, err)
	}
}

func testListAccountsFilters(t *testing.T, s account.Store) {
	for _, k := range []string{"prim0001", "prim0002", "pri00000", "other001", "prin0000"} {
		create(t, s, newAccount(k))
	}
	sub := func(key, primary string) {
		a := newAccount(key)
		a.PrimaryAPIKey = primary
		create(t, s, a)
	}
	sub("sub00003", "prim0001")
	sub("prim0003", "prim0001")
	sub("sub00001", "prim0001")
	sub("sub00002", "prim0002")
	for _, tc := range []struct {
		q    account.AccountQuery
		want []string
	}{
		{account.AccountQuery{Prefix: "prim"}, []string{"prim0001", "prim0002", "prim0003"}},
		{account.AccountQuery{Prefix: "pri"}, []string{"pri00000", "prim0001", "prim0002", "prim0003", "prin0000"}},
		{account.AccountQuery{Prefix: "prim0001"}, []string{"prim0001"}},
		{account.AccountQuery{Prefix: "prim00011"}, nil},
		{account.AccountQuery{Prefix: "%"}, nil},
		{account.AccountQuery{Prefix: "_rim"}, nil},
		{account.AccountQuery{PrimaryAPIKey: "prim0001"}, []string{"prim0003", "sub00001", "sub00003"}},
		{account.AccountQuery{PrimaryAPIKey: "prim0002"}, []string{"sub00002"}},
		{account.AccountQuery{PrimaryAPIKey: "other001"}, nil},
		{account.AccountQuery{PrimaryAPIKey: "nobody00"}, nil},
		{account.AccountQuery{PrimaryAPIKey: "prim0001", Prefix: "sub"}, []string{"sub00001", "sub00003"}},
		{account.AccountQuery{PrimaryAPIKey: "prim0001", Prefix: "sub", After: "sub00001"}, []string{"sub00003"}},
	} {
		for _, size := range []int{1, 2, 10} {
			if got := listAll(t, s, tc.q, size); !slices.Equal(got, tc.want) {
				t.Errorf("%+v in pages of %d: %v, want %v", tc.q, size, got, tc.want)
			}
		}
	}
}

// wantResetTo checks that sec is the account's only secret and that none
// of old verifies any more.
func wantResetTo(t *testing.T, s account.Store, sec account.Secret, old []account.Secret) {
	t.Helper()
	checkSecrets(t, mustSecrets(t, s, sec.APIKey), []account.Secret{sec})
	for _, o := range old {
		if _, found, err := accountWithSecret(t, s, o.APIKey, o.ID); err != nil || found {
			t.Errorf("AccountWithSecret(old %s) = found %t, %v; want not found", o.ID, found, err)
		}
	}
	if _, found, err := accountWithSecret(t, s, sec.APIKey, sec.ID); err != nil || !found {
		t.Errorf("AccountWithSecret(new) = found %t, %v; want found", found, err)
	}
}

func testResetSecretsFromTwo(t *testing.T, s account.Store) {
	first := create(t, s, newAccount("reset001"))
	second := newSecret("reset001", at(1))
	if err := s.AddSecret(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	other := create(t, s, newAccount("reset002"))
	sec := newSecret("reset001", at(2))
	if err := s.ResetSecrets(t.Context(), sec); err != nil {
		t.Fatalf("ResetSecrets: %v", err)
	}
	wantResetTo(t, s, sec, []account.Secret{first, second})
	checkSecrets(t, mustSecrets(t, s, "reset002"), []account.Secret{other})
	// The account is usable as any other: a second secret fits again, and
	// a second reset works from there.
	third := newSecret("reset001", at(3))
	if err := s.AddSecret(t.Context(), third); err != nil {
		t.Fatalf("AddSecret after a reset: %v", err)
	}
	again := newSecret("reset001", at(4))
	if err := s.ResetSecrets(t.Context(), again); err != nil {
		t.Fatalf("second ResetSecrets: %v", err)
	}
	wantResetTo(t, s, again, []account.Secret{sec, third})
}

func testResetSecretsFromOne(t *testing.T, s account.Store) {
	// The only secret in slot 2: the slot 1 one was revoked.
	first := create(t, s, newAccount("reset003"))
	second := newSecret("reset003", at(1))
	if err := s.AddSecret(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSecret(t.Context(), "reset003", first.ID); err != nil {
		t.Fatal(err)
	}
	sec := newSecret("reset003", at(2))
	if err := s.ResetSecrets(t.Context(), sec); err != nil {
		t.Fatalf("ResetSecrets: %v", err)
	}
	wantResetTo(t, s, sec, []account.Secret{first, second})
}

func testResetSecretsUnknown(t *testing.T, s account.Store) {
	wantCode(t, "ResetSecrets(unknown)", s.ResetSecrets(t.Context(), newSecret("nobody00", t0)), account.ENOTFOUND)
	// A new id that is taken is a conflict and changes nothing.
	first := create(t, s, newAccount("reset004"))
	taken := newSecret("reset004", at(1))
	taken.ID = first.ID
	wantCode(t, "ResetSecrets(taken id)", s.ResetSecrets(t.Context(), taken), account.ECONFLICT)
	checkSecrets(t, mustSecrets(t, s, "reset004"), []account.Secret{first})
}

// testRaceResetAndAdd races resets with secret creations on one account:
// whatever the order, the account ends with one or two secrets, one of
// them the last reset's, and never more than two.
func testRaceResetAndAdd(t *testing.T, s account.Store) {
	create(t, s, newAccount("reset005"))
	for round := range 10 {
		secs := make([]account.Secret, 4)
		for i := range secs {
			secs[i] = newSecret("reset005", at(round*10+i))
		}
		errs := Race(4, func(i int) error {
			if i%2 == 0 {
				return s.ResetSecrets(t.Context(), secs[i])
			}
			return s.AddSecret(t.Context(), secs[i])
		})
		for i, err := range errs {
			if err != nil && !(i%2 == 1 && account.ErrorCode(err) == account.ESECRETLIMIT) {
				t.Fatalf("round %d, call %d: %v", round, i, err)
			}
		}
		got := mustSecrets(t, s, "reset005")
		if len(got) < 1 || len(got) > account.MaxSecrets {
			t.Fatalf("round %d: %d secrets", round, len(got))
		}
		if !slices.ContainsFunc(got, func(g account.Secret) bool { return g.ID == secs[0].ID || g.ID == secs[2].ID }) {
			t.Fatalf("round %d: secrets %v hold neither reset's secret", round, ids(got))
		}
	}
}
