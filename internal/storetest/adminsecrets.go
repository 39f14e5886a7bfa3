package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The operator's listing reads the secrets of a whole page of accounts at
// once (Store.SecretIDs): the same secrets Secrets returns, in the same
// order, without hashes, whether or not a store holds the account in a
// copy in memory, and current after every write.

var adminSecretTests = []test{
	{"SecretIDsLikeSecrets", testSecretIDsLikeSecrets},
	{"SecretIDsFullPage", testSecretIDsFullPage},
	{"SecretIDsAfterWrites", testSecretIDsAfterWrites},
}

// mustSecretIDs reads the secrets of keys with SecretIDs.
func mustSecretIDs(t *testing.T, s account.Store, keys ...string) map[string][]account.Secret {
	t.Helper()
	got, err := s.SecretIDs(t.Context(), keys)
	if err != nil {
		t.Fatalf("SecretIDs(%d keys): %v", len(keys), err)
	}
	return got
}

// wantSecretIDs checks that got holds the secrets of key as Secrets
// returns them, field by field, with the hash left out.
func wantSecretIDs(t *testing.T, s account.Store, got map[string][]account.Secret, key string) {
	t.Helper()
	want := mustSecrets(t, s, key)
	for i := range want {
		want[i].Hash = ""
	}
	list, ok := got[key]
	if !ok {
		t.Fatalf("SecretIDs left out %q", key)
	}
	checkSecrets(t, list, want)
}

func testSecretIDsLikeSecrets(t *testing.T, s account.Store) {
	ctx := t.Context()
	// one: one secret, read first (a store with a copy in memory holds it);
	// two: two secrets, the second created at an earlier time (creation
	// order is not time order), never read before.
	create(t, s, newAccount("adsone01"))
	mustAccount(t, s, "adsone01")
	first := create(t, s, newAccount("adstwo01"))
	second := newSecret("adstwo01", at(-60))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatal(err)
	}

	got := mustSecretIDs(t, s, "adstwo01", "nosuchkey", "adsone01", "adstwo01")
	if len(got) != 2 {
		t.Errorf("SecretIDs returned %d accounts, want 2 (an unknown key is left out, a repeated one counted once): %v", len(got), got)
	}
	wantSecretIDs(t, s, got, "adsone01")
	wantSecretIDs(t, s, got, "adstwo01")
	if ids := secretIDs(got["adstwo01"]); !slices.Equal(ids, []string{first.ID, second.ID}) {
		t.Errorf("adstwo01: %v, want creation order %v", ids, []string{first.ID, second.ID})
	}
	for key, list := range got {
		for _, sec := range list {
			if sec.Hash != "" || sec.APIKey != key {
				t.Errorf("SecretIDs[%q] holds %+v: want no hash and its own key", key, sec)
			}
		}
	}

	if got := mustSecretIDs(t, s); len(got) != 0 {
		t.Errorf("SecretIDs() = %v, want nothing", got)
	}
	if got := mustSecretIDs(t, s, "nosuchkey", "nosuchke2"); len(got) != 0 {
		t.Errorf("SecretIDs(unknown keys) = %v, want nothing", got)
	}
}

// testSecretIDsFullPage reads the largest page the service asks for,
// MaxAccountPage+1 keys, some unknown, half of them read before.
func testSecretIDsFullPage(t *testing.T, s account.Store) {
	n := account.MaxAccountPage + 1
	keys := make([]string, 0, n)
	var recs []account.ImportRecord
	for i := range n - 10 {
		key := fmt.Sprintf("adspage%04d", i)
		keys = append(keys, key)
		recs = append(recs, importRec(newAccount(key)))
	}
	wantImported(t, mustImport(t, s, recs...))
	for i, key := range keys {
		if i%2 == 0 {
			mustAccount(t, s, key)
		}
	}
	for i := range 10 {
		keys = append(keys, fmt.Sprintf("adsnone%04d", i))
	}
	got := mustSecretIDs(t, s, keys...)
	if len(got) != n-10 {
		t.Fatalf("SecretIDs(%d keys, %d known) returned %d accounts", n, n-10, len(got))
	}
	for i, rec := range recs {
		list := got[rec.Account.APIKey]
		if len(list) != 1 || list[0].ID != rec.Secret.ID || !sameTime(list[0].CreatedAt, rec.Secret.CreatedAt) || list[0].Hash != "" {
			t.Fatalf("account %d %s: %+v, want its one secret %s without hash", i, rec.Account.APIKey, list, rec.Secret.ID)
		}
	}
}

// testSecretIDsAfterWrites: each write to the secrets is seen by the next
// SecretIDs, for an account read before (held in a copy) and one not.
func testSecretIDsAfterWrites(t *testing.T, s account.Store) {
	ctx := t.Context()
	for _, warm := range []bool{true, false} {
		key := "adswrnot"
		if warm {
			key = "adswrrd1"
		}
		sec := create(t, s, newAccount(key))
		read := func() []string {
			t.Helper()
			if warm {
				mustSecrets(t, s, key) // a store with a copy now holds it
			}
			return secretIDs(mustSecretIDs(t, s, key)[key])
		}
		want := func(what string, ids ...string) {
			t.Helper()
			if got := read(); !slices.Equal(got, ids) {
				t.Errorf("%s (account read before: %v): SecretIDs = %v, want %v", what, warm, got, ids)
			}
		}
		want("after CreateAccount", sec.ID)
		added := newSecret(key, at(1))
		if err := s.AddSecret(ctx, added); err != nil {
			t.Fatal(err)
		}
		want("after AddSecret", sec.ID, added.ID)
		if err := s.RevokeSecret(ctx, key, sec.ID); err != nil {
			t.Fatal(err)
		}
		want("after RevokeSecret", added.ID)
		repl := newSecret(key, at(2))
		if err := s.ReplaceSecret(ctx, added.ID, repl); err != nil {
			t.Fatal(err)
		}
		want("after ReplaceSecret", repl.ID)
		fresh := newSecret(key, at(3))
		if err := s.ResetSecrets(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		want("after ResetSecrets", fresh.ID)
	}
}
