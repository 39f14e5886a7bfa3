package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// ReplaceSecret (E3's newSecret) and the signature settings.

var replaceTests = []test{
	{"ReplaceOnly", testReplaceOnly},
	{"ReplaceOfTwo", testReplaceOfTwo},
	{"ReplaceUnknown", testReplaceUnknown},
	{"RaceReplace", testRaceReplace},
	{"IDsQuotedAlike", testIDsQuotedAlike},
}

var signatureTests = []test{
	{"SetReadRemove", testSignatureSetReadRemove},
	{"UnknownAccount", testSignatureUnknownAccount},
}

// testReplaceOnly: the only secret is replaced; the account still holds
// one, and the freed slot can take a second one, but not a third.
func testReplaceOnly(t *testing.T, s account.Store) {
	ctx := t.Context()
	old := create(t, s, newAccount("replace1"))
	repl := newSecret("replace1", at(1))
	if err := s.ReplaceSecret(ctx, old.ID, repl); err != nil {
		t.Fatalf("ReplaceSecret: %v", err)
	}
	checkSecrets(t, mustSecrets(t, s, "replace1"), []account.Secret{repl})
	wantHolds(t, s, "replace1", old.ID, false)
	wantHolds(t, s, "replace1", repl.ID, true)
	second := newSecret("replace1", at(2))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatalf("AddSecret after a replacement: %v", err)
	}
	wantCode(t, "AddSecret(third)", s.AddSecret(ctx, newSecret("replace1", at(3))), account.ESECRETLIMIT)
	checkSecrets(t, mustSecrets(t, s, "replace1"), []account.Secret{repl, second})
}

// testReplaceOfTwo replaces each of two secrets in turn (both slots
// taken): the count stays two and the replacement is the newest.
func testReplaceOfTwo(t *testing.T, s account.Store) {
	ctx := t.Context()
	first := create(t, s, newAccount("replace2"))
	second := newSecret("replace2", at(1))
	if err := s.AddSecret(ctx, second); err != nil {
		t.Fatal(err)
	}
	r1 := newSecret("replace2", at(2))
	if err := s.ReplaceSecret(ctx, first.ID, r1); err != nil {
		t.Fatalf("ReplaceSecret(first): %v", err)
	}
	checkSecrets(t, mustSecrets(t, s, "replace2"), []account.Secret{second, r1})
	r2 := newSecret("replace2", at(3))
	if err := s.ReplaceSecret(ctx, second.ID, r2); err != nil {
		t.Fatalf("ReplaceSecret(second): %v", err)
	}
	checkSecrets(t, mustSecrets(t, s, "replace2"), []account.Secret{r1, r2})
	for _, id := range []string{first.ID, second.ID} {
		wantHolds(t, s, "replace2", id, false)
	}
	wantCode(t, "AddSecret(third)", s.AddSecret(ctx, newSecret("replace2", at(4))), account.ESECRETLIMIT)
}

// testReplaceUnknown: an id the account does not hold, an unknown key and
// a taken new id change nothing.
func testReplaceUnknown(t *testing.T, s account.Store) {
	ctx := t.Context()
	mine := create(t, s, newAccount("replace3"))
	theirs := create(t, s, newAccount("replace4"))
	for _, c := range []struct {
		name, oldID string
		sec         account.Secret
		code        account.Code
	}{
		{"unknown id", account.NewID(), newSecret("replace3", at(1)), account.ESECRETNOTFOUND},
		{"another account's id", theirs.ID, newSecret("replace3", at(1)), account.ESECRETNOTFOUND},
		{"unknown key", mine.ID, newSecret("nosuchkey", at(1)), account.ESECRETNOTFOUND},
		{"new id taken", mine.ID, account.Secret{ID: theirs.ID, APIKey: "replace3", Hash: "h", CreatedAt: at(1)}, account.ECONFLICT},
	} {
		wantCode(t, "ReplaceSecret("+c.name+")", s.ReplaceSecret(ctx, c.oldID, c.sec), c.code)
	}
	checkSecrets(t, mustSecrets(t, s, "replace3"), []account.Secret{mine})
	checkSecrets(t, mustSecrets(t, s, "replace4"), []account.Secret{theirs})
}

// testRaceReplace: concurrent replacements of one secret; exactly one
// wins, the others find it gone, and the account keeps one secret.
func testRaceReplace(t *testing.T, s account.Store) {
	const rounds, racers = 10, 6
	for round := range rounds {
		key := fmt.Sprintf("racerep%02d", round)
		old := create(t, s, newAccount(key))
		repls := make([]account.Secret, racers)
		for i := range repls {
			repls[i] = newSecret(key, at(i+1))
		}
		errs := Race(racers, func(i int) error { return s.ReplaceSecret(t.Context(), old.ID, repls[i]) })
		won := -1
		for i, err := range errs {
			switch account.ErrorCode(err) {
			case "":
				if won >= 0 {
					t.Errorf("round %d: replacements %d and %d both succeeded", round, won, i)
				}
				won = i
			case account.ESECRETNOTFOUND:
			default:
				t.Errorf("round %d: ReplaceSecret: %v, want nil or %s", round, err, account.ESECRETNOTFOUND)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no replacement succeeded", round)
		}
		checkSecrets(t, mustSecrets(t, s, key), []account.Secret{repls[won]})
	}
}

// testIDsQuotedAlike: every message naming a key or an id quotes it in
// single quotes, as the real service does ("ID 'x' could not be found").
func testIDsQuotedAlike(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := newAccount("quoting1")
	create(t, s, acct)
	if err := s.AddSecret(ctx, newSecret("quoting1", at(1))); err != nil {
		t.Fatal(err)
	}
	unknown := account.NewID()
	sub := newAccount("quoting2")
	sub.PrimaryAPIKey = "nosuchkey"
	for _, c := range []struct {
		name, quoted string
		err          error
	}{
		{"RevokeSecret(unknown id)", unknown, s.RevokeSecret(ctx, "quoting1", unknown)},
		{"ReplaceSecret(unknown id)", unknown, s.ReplaceSecret(ctx, unknown, newSecret("quoting1", at(2)))},
		{"AddSecret(third)", "quoting1", s.AddSecret(ctx, newSecret("quoting1", at(2)))},
		{"CreateAccount(taken key)", "quoting1", s.CreateAccount(ctx, acct, newSecret("quoting1", at(2)))},
		{"CreateAccount(unknown primary)", "nosuchkey", s.CreateAccount(ctx, sub, newSecret("quoting2", at(2)))},
		{"Secrets(unknown key)", "nosuchkey", func() error { _, err := s.Secrets(ctx, "nosuchkey"); return err }()},
	} {
		e := account.AsError(c.err)
		if e == nil || !strings.Contains(e.Message, "'"+c.quoted+"'") || strings.Contains(e.Message, `"`) {
			t.Errorf("%s: %v; want a message quoting '%s' in single quotes only", c.name, c.err, c.quoted)
		}
	}
}

func testSignatureSetReadRemove(t *testing.T, s account.Store) {
	ctx := t.Context()
	create(t, s, newAccount("signed01"))
	create(t, s, newAccount("signed02"))
	if _, found, err := s.Signature(ctx, "signed01"); found || err != nil {
		t.Fatalf("Signature(none set) = %v, %v; want false, nil", found, err)
	}
	for _, sig := range []account.Signature{
		{Method: account.SigMD5Hash, Sealed: bytes.Repeat([]byte{1}, 45)},
		{Method: account.SigSHA512, Sealed: bytes.Repeat([]byte{2}, 60)}, // replaces the first
	} {
		if err := s.SetSignature(ctx, "signed01", &sig); err != nil {
			t.Fatalf("SetSignature(%s): %v", sig.Method, err)
		}
		got, found, err := s.Signature(ctx, "signed01")
		if err != nil || !found || got.Method != sig.Method || !bytes.Equal(got.Sealed, sig.Sealed) {
			t.Fatalf("Signature = %+v, %v, %v; want %+v", got, found, err, sig)
		}
	}
	if _, found, _ := s.Signature(ctx, "signed02"); found {
		t.Error("another account has the signature too")
	}
	for range 2 { // removing twice is no error
		if err := s.SetSignature(ctx, "signed01", nil); err != nil {
			t.Fatalf("SetSignature(nil): %v", err)
		}
		if _, found, err := s.Signature(ctx, "signed01"); found || err != nil {
			t.Fatalf("Signature(removed) = %v, %v; want false, nil", found, err)
		}
	}
}

func testSignatureUnknownAccount(t *testing.T, s account.Store) {
	ctx := t.Context()
	sig := account.Signature{Method: account.SigSHA256, Sealed: bytes.Repeat([]byte{3}, 45)}
	wantCode(t, "SetSignature(unknown key)", s.SetSignature(ctx, "nosuchkey", &sig), account.ENOTFOUND)
	wantCode(t, "SetSignature(unknown key, nil)", s.SetSignature(ctx, "nosuchkey", nil), account.ENOTFOUND)
	if _, found, err := s.Signature(ctx, "nosuchkey"); found || err != nil {
		t.Errorf("Signature(unknown key) = %v, %v; want false, nil", found, err)
	}
}
