package storetest

import (
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var accountTests = []test{
	{"CreateAndRead", testCreateAndRead},
	{"CreateDuplicateKey", testCreateDuplicateKey},
	{"CreateUnknownPrimary", testCreateUnknownPrimary},
	{"UnknownAccount", testUnknownAccount},
	{"AccountCount", testAccountCount},
	{"UpdateSettings", testUpdateSettings},
	{"UpdateAccount", testUpdateAccount},
	{"Ping", testPing},
}

func testCreateAndRead(t *testing.T, s account.Store) {
	primary := account.Account{
		APIKey:     "primary01",
		Balance:    eur(12) + 34_567_890, // 12.3456789 EUR
		AutoReload: &account.AutoReload{Threshold: eur(5), Amount: eur(20) + 1},
		Limits:     account.Limits{MaxOutboundRequest: 1, MaxInboundRequest: 2, MaxCallsPerSecond: 3},
		Settings:   account.Settings{MoCallbackURL: "https://example.com/mo", DrCallbackURL: "https://example.com/dr"},
		CreatedAt:  t0,
	}
	sec := create(t, s, primary)
	checkAccount(t, mustAccount(t, s, primary.APIKey), primary)
	checkSecrets(t, mustSecrets(t, s, primary.APIKey), []account.Secret{sec})

	sub := account.Account{
		APIKey:        "sub00001",
		PrimaryAPIKey: primary.APIKey,
		Limits:        account.Limits{MaxOutboundRequest: 0, MaxInboundRequest: 1_000_000, MaxCallsPerSecond: 30},
		CreatedAt:     at(1),
	}
	create(t, s, sub)
	checkAccount(t, mustAccount(t, s, sub.APIKey), sub)
	// The primary is unchanged by its subaccount.
	checkAccount(t, mustAccount(t, s, primary.APIKey), primary)
}

func testCreateDuplicateKey(t *testing.T, s account.Store) {
	orig, sec, again := takenKey(t, s, "dupkey01")
	err := s.CreateAccount(t.Context(), again, newSecret(again.APIKey, again.CreatedAt))
	wantCode(t, "CreateAccount(existing key)", err, account.ECONFLICT)
	wantKept(t, s, orig, sec)
}

// takenKey stores an account under key (3 EUR, created at t0) and returns
// it, its secret, and another account under the same key, with another
// balance and creation time, that the store must refuse.
func takenKey(t *testing.T, s account.Store, key string) (orig account.Account, sec account.Secret, again account.Account) {
	t.Helper()
	orig = newAccount(key)
	orig.Balance = eur(3)
	sec = create(t, s, orig)
	again = newAccount(key)
	again.Balance = eur(100)
	again.CreatedAt = at(5)
	return orig, sec, again
}

// wantKept fails unless the account of takenKey still has all it had: its
// fields, its one secret and its one ledger row (the opening credit).
func wantKept(t *testing.T, s account.Store, orig account.Account, sec account.Secret) {
	t.Helper()
	checkAccount(t, mustAccount(t, s, orig.APIKey), orig)
	checkSecrets(t, mustSecrets(t, s, orig.APIKey), []account.Secret{sec})
	if rows := checkLedger(t, s, orig.APIKey); len(rows) != 1 {
		t.Errorf("%d ledger rows on the account of a taken key, want 1", len(rows))
	}
}

func testCreateUnknownPrimary(t *testing.T, s account.Store) {
	sub := newAccount("orphan01")
	sub.PrimaryAPIKey = "nobody01"
	sub.Balance = eur(1)
	err := s.CreateAccount(t.Context(), sub, newSecret(sub.APIKey, t0))
	wantCode(t, "CreateAccount(unknown primary)", err, account.ENOTFOUND)

	_, err = s.Account(t.Context(), sub.APIKey)
	wantCode(t, "Account after the refused create", err, account.ENOTFOUND)
	if n, err := s.AccountCount(t.Context()); err != nil || n != 0 {
		t.Errorf("AccountCount = %d, %v; want 0", n, err)
	}
}

func testUnknownAccount(t *testing.T, s account.Store) {
	create(t, s, newAccount("known001"))
	ctx := t.Context()
	const key = "unknown1"

	_, err := s.Account(ctx, key)
	wantCode(t, "Account", err, account.ENOTFOUND)
	_, err = s.Secrets(ctx, key)
	wantCode(t, "Secrets", err, account.ENOTFOUND)
	mo := "https://example.com/mo"
	_, err = s.UpdateSettings(ctx, key, account.SettingsUpdate{MoCallbackURL: &mo})
	wantCode(t, "UpdateSettings", err, account.ENOTFOUND)
	err = s.AddSecret(ctx, newSecret(key, t0))
	wantCode(t, "AddSecret", err, account.ENOTFOUND)
	_, err = creditTx(t, s, key, eur(1), "", t0)
	wantCode(t, "Credit", err, account.ENOTFOUND)
	_, _, err = chargeTx(t, s, key, eur(1), "", t0)
	wantCode(t, "Charge", err, account.ENOTFOUND)
	_, err = s.TopUp(ctx, key, account.NewTrx(), t0)
	wantCode(t, "TopUp", err, account.ENOTFOUND)
	_, err = s.Transactions(ctx, key, 0, 10)
	wantCode(t, "Transactions", err, account.ENOTFOUND)
	_, err = s.UpdateAccount(ctx, key, account.AccountUpdate{SetAutoReload: true})
	wantCode(t, "UpdateAccount", err, account.ENOTFOUND)
	_, err = s.UpdateAccount(ctx, key, account.AccountUpdate{Limits: &account.DefaultLimits})
	wantCode(t, "UpdateAccount(limits)", err, account.ENOTFOUND)
	err = s.RevokeSecret(ctx, key, account.NewID())
	wantCode(t, "RevokeSecret", err, account.ESECRETNOTFOUND)
	wantHolds(t, s, key, account.NewID(), false)
	if n, err := s.AccountCount(ctx); err != nil || n != 1 {
		t.Errorf("AccountCount = %d, %v; want 1", n, err)
	}
}

func testAccountCount(t *testing.T, s account.Store) {
	count := func(want int) {
		t.Helper()
		n, err := s.AccountCount(t.Context())
		if err != nil || n != want {
			t.Fatalf("AccountCount = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	create(t, s, newAccount("count001"))
	count(1)
	sub := newAccount("count002")
	sub.PrimaryAPIKey = "count001"
	create(t, s, sub)
	count(2)
	_ = s.CreateAccount(t.Context(), newAccount("count001"), newSecret("count001", t0))
	count(2)
}

func testUpdateSettings(t *testing.T, s account.Store) {
	ctx := t.Context()
	want := autoReloading(t, s, "settings", 0, &account.AutoReload{Threshold: eur(1), Amount: eur(2)})
	str := func(v string) *string { return &v }

	steps := []struct {
		name string
		upd  account.SettingsUpdate
		mo   string
		dr   string
	}{
		{"set mo", account.SettingsUpdate{MoCallbackURL: str("https://example.com/mo")}, "https://example.com/mo", ""},
		{"set dr, mo untouched", account.SettingsUpdate{DrCallbackURL: str("http://example.com:8080/dr?x=1")}, "https://example.com/mo", "http://example.com:8080/dr?x=1"},
		{"nothing", account.SettingsUpdate{}, "https://example.com/mo", "http://example.com:8080/dr?x=1"},
		{"clear mo", account.SettingsUpdate{MoCallbackURL: str("")}, "", "http://example.com:8080/dr?x=1"},
		{"set both", account.SettingsUpdate{MoCallbackURL: str("https://a.example/1"), DrCallbackURL: str("https://b.example/2")}, "https://a.example/1", "https://b.example/2"},
		{"clear both", account.SettingsUpdate{MoCallbackURL: str(""), DrCallbackURL: str("")}, "", ""},
	}
	for _, st := range steps {
		got, err := s.UpdateSettings(ctx, want.APIKey, st.upd)
		if err != nil {
			t.Fatalf("%s: UpdateSettings: %v", st.name, err)
		}
		want.Settings = account.Settings{MoCallbackURL: st.mo, DrCallbackURL: st.dr}
		checkAccount(t, got, want)
		checkAccount(t, mustAccount(t, s, want.APIKey), want)
	}
}

func testPing(t *testing.T, s account.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testUpdateAccount(t *testing.T, s account.Store) {
	ctx := t.Context()
	want := newAccount("update01")
	want.Balance = eur(7)
	want.Settings.MoCallbackURL = "https://example.com/mo"
	create(t, s, want)
	other := autoReloading(t, s, "update02", 0, &account.AutoReload{Threshold: eur(1), Amount: eur(1)})

	on := &account.AutoReload{Threshold: eur(5), Amount: eur(20) + 1}
	changed := &account.AutoReload{Threshold: 0, Amount: 1}
	limits := &account.Limits{MaxOutboundRequest: 0, MaxInboundRequest: 1_000_000, MaxCallsPerSecond: 3}
	steps := []struct {
		name   string
		upd    account.AccountUpdate
		ar     *account.AutoReload
		limits account.Limits
	}{
		{"nothing", account.AccountUpdate{}, nil, account.DefaultLimits},
		{"turn on", account.AccountUpdate{SetAutoReload: true, AutoReload: on}, on, account.DefaultLimits},
		{"limits only, auto-reload untouched", account.AccountUpdate{Limits: limits}, on, *limits},
		{"change auto-reload", account.AccountUpdate{SetAutoReload: true, AutoReload: changed}, changed, *limits},
		{"turn off", account.AccountUpdate{SetAutoReload: true}, nil, *limits},
		{"turn off again", account.AccountUpdate{SetAutoReload: true}, nil, *limits},
		{"nil auto-reload without SetAutoReload leaves it", account.AccountUpdate{AutoReload: on}, nil, *limits},
		{"both", account.AccountUpdate{SetAutoReload: true, AutoReload: on, Limits: &account.DefaultLimits}, on, account.DefaultLimits},
	}
	for _, st := range steps {
		got, err := s.UpdateAccount(ctx, want.APIKey, st.upd)
		if err != nil {
			t.Fatalf("%s: UpdateAccount: %v", st.name, err)
		}
		want.AutoReload, want.Limits = st.ar, st.limits
		checkAccount(t, got, want)
		checkAccount(t, mustAccount(t, s, want.APIKey), want)
	}
	// The ledger is untouched and the other account unchanged.
	if rows := checkLedger(t, s, want.APIKey); len(rows) != 1 {
		t.Errorf("%d ledger rows, want only the opening credit", len(rows))
	}
	checkAccount(t, mustAccount(t, s, other.APIKey), other)

	// What is set is what charges use.
	if _, err := s.UpdateAccount(ctx, want.APIKey, account.AccountUpdate{SetAutoReload: true,
		AutoReload: &account.AutoReload{Threshold: eur(7), Amount: eur(3)}}); err != nil {
		t.Fatal(err)
	}
	if _, reload, err := chargeTx(t, s, want.APIKey, 1, "below new threshold", at(1)); err != nil || reload == nil || reload.Amount != eur(3) {
		t.Errorf("charge after turning auto-reload on: reload %+v, %v; want a reload of 3 EUR", reload, err)
	}
	if _, err := s.UpdateAccount(ctx, want.APIKey, account.AccountUpdate{SetAutoReload: true}); err != nil {
		t.Fatal(err)
	}
	if _, reload, err := chargeTx(t, s, want.APIKey, 1, "auto-reload off", at(2)); err != nil || reload != nil {
		t.Errorf("charge after turning auto-reload off: reload %+v, %v; want none", reload, err)
	}
	checkLedger(t, s, want.APIKey)
}
