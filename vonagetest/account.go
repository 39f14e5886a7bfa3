package vonagetest

import (
	"context"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The helpers below change an account the way an operator would, through the
// server's domain service rather than its HTTP API: they never count against
// FailNext, and they leave a ledger whose rows add up to the balance.

// Balance returns the account's balance as a decimal string ("12.50").
func (a *Account) Balance(t T) string {
	t.Helper()
	acct, _, err := a.srv.svc.AccountDetails(context.Background(), a.APIKey)
	if err != nil {
		t.Fatalf("vonagetest: Balance: %v", err)
	}
	return acct.Balance.String()
}

// SecretIDs returns the ids of the account's secrets, oldest first.
func (a *Account) SecretIDs(t T) []string {
	t.Helper()
	_, secrets, err := a.srv.svc.AccountDetails(context.Background(), a.APIKey)
	if err != nil {
		t.Fatalf("vonagetest: SecretIDs: %v", err)
	}
	ids := make([]string, 0, len(secrets))
	for _, s := range secrets {
		ids = append(ids, s.ID)
	}
	return ids
}

// SetBalance makes the balance exactly amount (a decimal string in EUR) by
// crediting or charging the difference. Auto-reload, if on, is suspended for
// the charge, so the balance ends where asked even below the threshold.
func (a *Account) SetBalance(t T, amount string) {
	t.Helper()
	ctx := context.Background()
	svc := a.srv.svc
	target, err := account.ParseMoney("amount", amount)
	if err != nil {
		t.Fatalf("vonagetest: SetBalance: %v", err)
	}
	acct, _, err := svc.AccountDetails(ctx, a.APIKey)
	if err != nil {
		t.Fatalf("vonagetest: SetBalance: %v", err)
	}
	diff := target - acct.Balance
	switch {
	case diff > 0:
		_, err = svc.Credit(ctx, account.MoneyRequest{APIKey: a.APIKey, Amount: diff, Reference: "vonagetest SetBalance"})
	case diff < 0:
		err = a.withoutAutoReload(ctx, acct.AutoReload, func() error {
			_, err := svc.Charge(ctx, account.MoneyRequest{APIKey: a.APIKey, Amount: -diff, Reference: "vonagetest SetBalance"})
			return err
		})
	}
	if err != nil {
		t.Fatalf("vonagetest: SetBalance: %v", err)
	}
}

// withoutAutoReload runs fn with auto-reload off, then restores reload.
func (a *Account) withoutAutoReload(ctx context.Context, reload *account.AutoReload, fn func() error) error {
	if reload == nil {
		return fn()
	}
	svc := a.srv.svc
	if _, err := svc.UpdateAccount(ctx, a.APIKey, account.AccountUpdate{SetAutoReload: true}); err != nil {
		return err
	}
	err := fn()
	if _, restoreErr := svc.UpdateAccount(ctx, a.APIKey, account.AccountUpdate{SetAutoReload: true, AutoReload: reload}); err == nil {
		err = restoreErr
	}
	return err
}

// Credit adds amount (a decimal string in EUR) to the balance.
func (a *Account) Credit(t T, amount string) {
	t.Helper()
	m, err := account.ParsePositiveMoney("amount", amount)
	if err == nil {
		_, err = a.srv.svc.Credit(context.Background(), account.MoneyRequest{APIKey: a.APIKey, Amount: m, Reference: "vonagetest Credit"})
	}
	if err != nil {
		t.Fatalf("vonagetest: Credit: %v", err)
	}
}

// Charge takes amount (a decimal string in EUR) from the balance, as sending
// a message would. When auto-reload is on and the charge takes the balance
// below the threshold, the account is reloaded first, and Charge returns that
// reload's transaction reference: the trx that TopUp repeats. Otherwise it
// returns "". A charge the balance cannot cover stops the test.
func (a *Account) Charge(t T, amount string) (reloadTrx string) {
	t.Helper()
	m, err := account.ParsePositiveMoney("amount", amount)
	if err != nil {
		t.Fatalf("vonagetest: Charge: %v", err)
	}
	res, err := a.srv.svc.Charge(context.Background(), account.MoneyRequest{APIKey: a.APIKey, Amount: m, Reference: "vonagetest Charge"})
	if err != nil {
		t.Fatalf("vonagetest: Charge: %v", err)
	}
	if res.Reload != nil {
		return res.Reload.Trx
	}
	return ""
}

// EnableAutoReload turns auto-reload on: a charge taking the balance below
// threshold first adds amount (decimal strings in EUR).
func (a *Account) EnableAutoReload(t T, threshold, amount string) {
	t.Helper()
	reload, err := parseReload(threshold, amount)
	if err == nil {
		_, err = a.srv.svc.UpdateAccount(context.Background(), a.APIKey, account.AccountUpdate{SetAutoReload: true, AutoReload: reload})
	}
	if err != nil {
		t.Fatalf("vonagetest: EnableAutoReload: %v", err)
	}
}

// DisableAutoReload turns auto-reload off; TopUp then fails with
// vonage.ErrAutoReloadDisabled.
func (a *Account) DisableAutoReload(t T) {
	t.Helper()
	if _, err := a.srv.svc.UpdateAccount(context.Background(), a.APIKey, account.AccountUpdate{SetAutoReload: true}); err != nil {
		t.Fatalf("vonagetest: DisableAutoReload: %v", err)
	}
}
