package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

func importService(t *testing.T, opts ...account.Option) (*account.Service, account.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return account.NewService(st, append([]account.Option{account.WithHashParams(cheap)}, opts...)...), st
}

func TestImportAccountsValidation(t *testing.T) {
	svc, st := importService(t)
	ctx := context.Background()
	hash, err := account.HashSecret("Hashed2Secret", cheap)
	if err != nil {
		t.Fatal(err)
	}
	with := func(key string, f func(*account.ImportAccount)) account.ImportAccount {
		ia := account.ImportAccount{NewAccount: account.NewAccount{APIKey: key}, SecretHash: hash}
		if f != nil {
			f(&ia)
		}
		return ia
	}
	cases := []struct {
		ia    account.ImportAccount
		field string // "" : imported
	}{
		{with("imported1", nil), ""},
		{with("imported2", func(ia *account.ImportAccount) { ia.SecretHash, ia.Secret = "", "Clear1Secret" }), ""},
		{with("", nil), "api_key"},
		{with("Bad-Key", nil), "api_key"},
		{with("nosecret1", func(ia *account.ImportAccount) { ia.SecretHash = "" }), "secret"},
		{with("bothsecr1", func(ia *account.ImportAccount) { ia.Secret = "Clear1Secret" }), "secret_hash"},
		{with("weaksecr1", func(ia *account.ImportAccount) { ia.SecretHash, ia.Secret = "", "weak" }), "secret"},
		{with("badhash01", func(ia *account.ImportAccount) { ia.SecretHash = "$2y$10$bcrypt" }), "secret_hash"},
		{with("pepperd01", func(ia *account.ImportAccount) {
			ia.SecretHash = strings.Replace(hash, ",p=1$", ",p=1,k=1$", 1)
		}), "secret_hash"},
		{with("ownprim01", func(ia *account.ImportAccount) { ia.PrimaryAPIKey = "ownprim01" }), "primary_api_key"},
		{with("neglimit1", func(ia *account.ImportAccount) { ia.Limits = &account.Limits{MaxCallsPerSecond: -1} }), "limits.max-calls-per-second"},
		{with("noreload1", func(ia *account.ImportAccount) { ia.AutoReload = &account.AutoReload{} }), "auto_reload.amount"},
		{with("negbal001", func(ia *account.ImportAccount) { ia.Balance = -1 }), "balance"},
	}
	batch := make([]account.ImportAccount, len(cases))
	for i, c := range cases {
		batch[i] = c.ia
	}
	errs, err := svc.ImportAccounts(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		e := account.AsError(errs[i])
		switch {
		case c.field == "" && errs[i] != nil:
			t.Errorf("case %d (%s): %v, want imported", i, c.ia.APIKey, errs[i])
		case c.field != "" && (e == nil || e.Code != account.EINVALID || e.Field != c.field):
			t.Errorf("case %d (%s): %v, want EINVALID on %s", i, c.ia.APIKey, errs[i], c.field)
		case e != nil && (strings.Contains(e.Message, "Clear1Secret") || strings.Contains(e.Message, hash)):
			t.Errorf("case %d: the message quotes the secret or hash: %s", i, e.Message)
		}
	}
	if n, _ := st.AccountCount(ctx); n != 2 {
		t.Errorf("%d accounts, want 2", n)
	}
	// The clear secret was hashed with the service's cost; the given hash
	// was stored as it is.
	secs, err := st.Secrets(ctx, "imported2")
	if err != nil || len(secs) != 1 || !account.VerifySecret("Clear1Secret", secs[0].Hash) || secs[0].Hash == hash {
		t.Errorf("clear secret stored as %+v, %v", secs, err)
	}
	if secs, err := st.Secrets(ctx, "imported1"); err != nil || len(secs) != 1 || secs[0].Hash != hash {
		t.Errorf("hash stored as %+v, %v", secs, err)
	}

	// The store's refusals come back in place.
	errs, err = svc.ImportAccounts(ctx, []account.ImportAccount{
		with("imported1", nil),
		with("subacct01", func(ia *account.ImportAccount) { ia.PrimaryAPIKey = "nobody001" }),
		with("imported3", nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if account.ErrorCode(errs[0]) != account.ECONFLICT || account.ErrorCode(errs[1]) != account.ENOTFOUND || errs[2] != nil {
		t.Errorf("store refusals: %v", errs)
	}
}

func TestImportAccountsPepper(t *testing.T) {
	pepper := []byte("0123456789abcdef0123456789abcdef")
	svc, st := importService(t, account.WithPepper(pepper))
	ctx := context.Background()
	// A clear secret is hashed with the pepper (k=1), and a peppered hash
	// is accepted by a server that has one.
	errs, err := svc.ImportAccounts(ctx, []account.ImportAccount{
		{NewAccount: account.NewAccount{APIKey: "peppered1", Secret: "Clear1Secret"}},
	})
	if err != nil || errs[0] != nil {
		t.Fatalf("import: %v, %v", errs, err)
	}
	secs, err := st.Secrets(ctx, "peppered1")
	if err != nil || len(secs) != 1 || !strings.Contains(secs[0].Hash, ",k=1$") {
		t.Fatalf("stored %+v, %v", secs, err)
	}
	errs, err = svc.ImportAccounts(ctx, []account.ImportAccount{
		{NewAccount: account.NewAccount{APIKey: "peppered2"}, SecretHash: secs[0].Hash},
	})
	if err != nil || errs[0] != nil {
		t.Errorf("peppered hash on a peppered server: %v, %v", errs, err)
	}
}
