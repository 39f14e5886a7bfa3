package storetest

import (
	"reflect"
	"slices"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// A store may serve reads from a copy of its accounts in memory (the
// SQLite store does: it owns its file); every write must then reach that
// copy before it returns. testWritesVisible checks it for every write
// method of account.Store: each reads the account first (so a copy would
// hold it), writes, and checks that the next Account, AccountWithSecret
// and Secrets see the write. A method added to account.Store fails the
// test until it is listed here, with such a check when it writes.

var visibleTests = []test{
	{"every write is seen by the next read", testWritesVisible},
}

// storeReads are the Store methods that change no account.
var storeReads = []string{
	"Account", "AccountCount", "Secrets", "AccountWithSecret", "Transactions", "VerifyLedger",
	"PruneIdempotencyKeys", // idempotency keys are not part of an account's reads
	"SetSignature",         // the signature is read on its own (Signature), never from a copy
	"Signature", "ListAccounts", "SecretIDs",
	// The callback queue and the webhook method are not part of an
	// account's reads.
	"SetWebhookMethod", "WebhookMethod", "EnqueueWebhooks", "ClaimWebhooks",
	"FinishWebhookAttempt", "ReleaseWebhook", "Webhooks", "WebhookQueueDepth",
	"Ping", "Close",
}

// writeCheck writes through one Store method on the account key (created
// with the first secret sec, already read once) and checks the next reads.
type writeCheck func(t *testing.T, s account.Store, key string, sec account.Secret)

var writeChecks = map[string]writeCheck{
	"CreateAccount": func(t *testing.T, s account.Store, key string, _ account.Secret) {
		fresh := key + "new"
		wantCode(t, "Account before CreateAccount", errOf(s.Account(t.Context(), fresh)), account.ENOTFOUND)
		sec := create(t, s, newAccount(fresh))
		wantSees(t, s, fresh, sec.ID, func(a account.Account) bool { return a.APIKey == fresh }, "the new account")
	},
	"ImportAccounts": func(t *testing.T, s account.Store, key string, _ account.Secret) {
		fresh := key + "imp"
		wantCode(t, "Account before ImportAccounts", errOf(s.Account(t.Context(), fresh)), account.ENOTFOUND)
		acct := newAccount(fresh)
		acct.Balance = eur(3)
		rec := importRec(acct)
		wantImported(t, mustImport(t, s, rec))
		wantSees(t, s, fresh, rec.Secret.ID, func(a account.Account) bool { return a.Balance == eur(3) }, "the imported account")
	},
	"UpdateSettings": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		u := "https://example.com/mo"
		if _, err := s.UpdateSettings(t.Context(), key, account.SettingsUpdate{MoCallbackURL: &u}); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, sec.ID, func(a account.Account) bool { return a.Settings.MoCallbackURL == u }, "the new settings")
	},
	"UpdateAccount": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		ar := &account.AutoReload{Threshold: eur(1), Amount: eur(5)}
		limits := account.DefaultLimits
		limits.MaxCallsPerSecond++
		if _, err := s.UpdateAccount(t.Context(), key, account.AccountUpdate{SetAutoReload: true, AutoReload: ar, Limits: &limits}); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, sec.ID, func(a account.Account) bool {
			return a.AutoReload != nil && *a.AutoReload == *ar && a.Limits == limits
		}, "the new auto-reload and limits")
	},
	"AddSecret": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		added := newSecret(key, at(1))
		if err := s.AddSecret(t.Context(), added); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, added.ID, func(account.Account) bool { return true }, "the added secret")
		if ids := secretIDs(mustSecrets(t, s, key)); !slices.Equal(ids, []string{sec.ID, added.ID}) {
			t.Errorf("Secrets after AddSecret: %v, want %v", ids, []string{sec.ID, added.ID})
		}
	},
	"RevokeSecret": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		added := newSecret(key, at(1))
		if err := s.AddSecret(t.Context(), added); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, added.ID, func(account.Account) bool { return true }, "the added secret")
		if err := s.RevokeSecret(t.Context(), key, added.ID); err != nil {
			t.Fatal(err)
		}
		if _, found, err := accountWithSecret(t, s, key, added.ID); err != nil || found {
			t.Errorf("AccountWithSecret right after RevokeSecret: found %v, %v", found, err)
		}
		if ids := secretIDs(mustSecrets(t, s, key)); !slices.Equal(ids, []string{sec.ID}) {
			t.Errorf("Secrets after RevokeSecret: %v, want %v", ids, []string{sec.ID})
		}
	},
	"ReplaceSecret": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		repl := newSecret(key, at(1))
		if err := s.ReplaceSecret(t.Context(), sec.ID, repl); err != nil {
			t.Fatal(err)
		}
		if _, found, err := accountWithSecret(t, s, key, sec.ID); err != nil || found {
			t.Errorf("AccountWithSecret with the replaced secret: found %v, %v", found, err)
		}
		wantSees(t, s, key, repl.ID, func(account.Account) bool { return true }, "the replacing secret")
		if ids := secretIDs(mustSecrets(t, s, key)); !slices.Equal(ids, []string{repl.ID}) {
			t.Errorf("Secrets after ReplaceSecret: %v, want %v", ids, []string{repl.ID})
		}
	},
	"ResetSecrets": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		added := newSecret(key, at(1))
		if err := s.AddSecret(t.Context(), added); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, added.ID, func(account.Account) bool { return true }, "the added secret")
		fresh := newSecret(key, at(2))
		if err := s.ResetSecrets(t.Context(), fresh); err != nil {
			t.Fatal(err)
		}
		for _, old := range []string{sec.ID, added.ID} {
			if _, found, err := accountWithSecret(t, s, key, old); err != nil || found {
				t.Errorf("AccountWithSecret with a reset secret: found %v, %v", found, err)
			}
		}
		wantSees(t, s, key, fresh.ID, func(account.Account) bool { return true }, "the new secret")
		if ids := secretIDs(mustSecrets(t, s, key)); !slices.Equal(ids, []string{fresh.ID}) {
			t.Errorf("Secrets after ResetSecrets: %v, want %v", ids, []string{fresh.ID})
		}
	},
	"Credit": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		if _, err := s.Credit(t.Context(), account.Movement{APIKey: key, Amount: eur(2), Now: at(1)}); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, sec.ID, func(a account.Account) bool { return a.Balance == eur(12) }, "the credited balance")
	},
	"Charge": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		if _, err := s.Charge(t.Context(), account.Movement{APIKey: key, Amount: eur(2), Now: at(1)}); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, sec.ID, func(a account.Account) bool { return a.Balance == eur(8) }, "the charged balance")
	},
	"TopUp": func(t *testing.T, s account.Store, key string, sec account.Secret) {
		ar := &account.AutoReload{Threshold: eur(9), Amount: eur(5)}
		if _, err := s.UpdateAccount(t.Context(), key, account.AccountUpdate{SetAutoReload: true, AutoReload: ar}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Charge(t.Context(), account.Movement{APIKey: key, Amount: eur(2), Now: at(1)}) // 10 + 5 - 2
		if err != nil || res.Reload == nil {
			t.Fatalf("Charge with a reload: %+v, %v", res, err)
		}
		wantSees(t, s, key, sec.ID, func(a account.Account) bool { return a.Balance == eur(13) }, "the reloaded balance")
		if _, err := s.TopUp(t.Context(), key, res.Reload.Trx, at(2)); err != nil {
			t.Fatal(err)
		}
		wantSees(t, s, key, sec.ID, func(a account.Account) bool { return a.Balance == eur(18) }, "the topped-up balance")
	},
}

func testWritesVisible(t *testing.T, s account.Store) {
	st := reflect.TypeFor[account.Store]()
	for i := range st.NumMethod() {
		name := st.Method(i).Name
		if _, ok := writeChecks[name]; !ok && !slices.Contains(storeReads, name) {
			t.Errorf("account.Store.%s is unknown to storetest's writeChecks: add a check that the next "+
				"Account, AccountWithSecret and Secrets see what it writes (or list it in storeReads if it writes nothing they show)", name)
		}
	}
	n := 0
	for name, check := range writeChecks {
		if _, ok := st.MethodByName(name); !ok {
			t.Errorf("writeChecks lists %s, which account.Store does not have", name)
		}
		n++
		key := "visible" + string(rune('a'+n))
		sec := create(t, s, account.Account{APIKey: key, Balance: eur(10), Limits: account.DefaultLimits, CreatedAt: t0})
		wantSees(t, s, key, sec.ID, func(a account.Account) bool { return a.Balance == eur(10) }, "the new account") // now in any copy
		t.Run(name, func(t *testing.T) { check(t, s, key, sec) })
	}
}

// wantSees checks that Account, AccountWithSecret (with the secret id) and
// Secrets of key all see what ok accepts (what names it).
func wantSees(t *testing.T, s account.Store, key, secretID string, ok func(account.Account) bool, what string) {
	t.Helper()
	if a := mustAccount(t, s, key); !ok(a) {
		t.Errorf("Account(%q) does not show %s: %+v", key, what, a)
	}
	a, found, err := accountWithSecret(t, s, key, secretID)
	if err != nil || !found || !ok(a) {
		t.Errorf("AccountWithSecret(%q) does not show %s: found %v, %v, %+v", key, what, found, err, a)
	}
	if !slices.Contains(secretIDs(mustSecrets(t, s, key)), secretID) {
		t.Errorf("Secrets(%q) lacks the secret %s", key, secretID)
	}
}

func secretIDs(secs []account.Secret) []string {
	ids := make([]string, len(secs))
	for i, sec := range secs {
		ids[i] = sec.ID
	}
	return ids
}

func errOf[T any](_ T, err error) error { return err }

// accountWithSecret is s.AccountWithSecret, and, when s can also answer it
// from memory (account.MemoryReader, which the service asks first), checks
// that the memory's answer, when it has one, is the same: a copy that kept
// a revoked secret or an old balance would fail here.
func accountWithSecret(t *testing.T, s account.Store, key, secretID string) (account.Account, bool, error) {
	t.Helper()
	a, found, err := s.AccountWithSecret(t.Context(), key, secretID)
	mem, ok := s.(account.MemoryReader)
	if !ok || err != nil {
		return a, found, err
	}
	if ma, mfound, held := mem.AccountWithSecretInMemory(key, secretID); held && (mfound != found || !reflect.DeepEqual(ma, a)) {
		t.Errorf("AccountWithSecretInMemory(%q, %q) = %+v, found %v; the database says %+v, found %v", key, secretID, ma, mfound, a, found)
	}
	return a, found, err
}
