package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

const accountColumns = `api_key, primary_api_key, balance, reload_threshold, reload_amount,
	max_outbound_request, max_inbound_request, max_calls_per_second,
	mo_callback_url, dr_callback_url, created_at`

// scanAccount reads one row of accountColumns, followed by the columns
// extra scans into.
func scanAccount(row pgx.Row, extra ...any) (account.Account, error) {
	var (
		a                 account.Account
		primary           *string
		balance           int64
		threshold, amount *int64
		created           time.Time
	)
	dst := append([]any{&a.APIKey, &primary, &balance, &threshold, &amount,
		&a.Limits.MaxOutboundRequest, &a.Limits.MaxInboundRequest, &a.Limits.MaxCallsPerSecond,
		&a.Settings.MoCallbackURL, &a.Settings.DrCallbackURL, &created}, extra...)
	err := row.Scan(dst...)
	if err != nil {
		return account.Account{}, err
	}
	if primary != nil {
		a.PrimaryAPIKey = *primary
	}
	a.Balance = account.Money(balance)
	a.AutoReload = autoReload(threshold, amount)
	a.CreatedAt = fromDB(created)
	return a, nil
}

// autoReload builds the setting from its two nullable columns.
func autoReload(threshold, amount *int64) *account.AutoReload {
	if threshold == nil || amount == nil {
		return nil
	}
	return &account.AutoReload{Threshold: account.Money(*threshold), Amount: account.Money(*amount)}
}

// CreateAccount inserts the account, its first secret (slot 1) and, for a
// positive balance, the opening credit, in one transaction.
func (s *Store) CreateAccount(ctx context.Context, acct account.Account, first account.Secret) error {
	if acct.Balance < 0 {
		return account.Invalid("balance", "must not be negative")
	}
	if first.APIKey != "" && first.APIKey != acct.APIKey {
		return fmt.Errorf("postgres: create account: first secret belongs to %s, not %s", account.Quoted(first.APIKey), account.Quoted(acct.APIKey))
	}
	var threshold, amount *int64
	if ar := acct.AutoReload; ar != nil {
		t, a := int64(ar.Threshold), int64(ar.Amount)
		threshold, amount = &t, &a
	}
	primaryUnknown := account.Errorf(account.ENOTFOUND, "primary API key %s not found", account.Quoted(acct.PrimaryAPIKey))
	return s.write(ctx, "create account", func(tx dbTx) error {
		// Checked first, as internal/sqlite does, so that a taken key under
		// an unknown primary is ENOTFOUND there and here. Accounts are never
		// deleted, so the answer cannot change before the insert.
		if acct.PrimaryAPIKey != "" {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE api_key = $1)`,
				acct.PrimaryAPIKey).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return primaryUnknown
			}
		}
		// The balance starts at zero; the opening credit below sets it, so
		// that it equals the sum of the ledger from the first moment.
		_, err := tx.Exec(ctx, `INSERT INTO accounts (`+accountColumns+`)
			VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9, $10)`,
			acct.APIKey, nullString(acct.PrimaryAPIKey), threshold, amount,
			acct.Limits.MaxOutboundRequest, acct.Limits.MaxInboundRequest, acct.Limits.MaxCallsPerSecond,
			acct.Settings.MoCallbackURL, acct.Settings.DrCallbackURL, acct.CreatedAt)
		switch {
		case violates(err, codeUniqueViolation, "accounts_pkey"):
			return account.Errorf(account.ECONFLICT, "API key %s already exists", account.Quoted(acct.APIKey))
		case violates(err, codeForeignKeyViolation, "accounts_primary_fkey"):
			return primaryUnknown
		case err != nil:
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES ($1, $2, 1, $3, $4)`, first.ID, acct.APIKey, first.Hash, first.CreatedAt); err != nil {
			if violates(err, codeUniqueViolation, "secrets_pkey") {
				return account.Errorf(account.ECONFLICT, "secret id already exists")
			}
			return err
		}
		return account.InsertOpeningCredit(ctx, tx, acct)
	})
}

// Account returns the account with that key.
func (s *Store) Account(ctx context.Context, apiKey string) (account.Account, error) {
	if !storable(apiKey) {
		return account.Account{}, account.KeyNotFound(apiKey)
	}
	a, err := scanAccount(s.pool.QueryRow(ctx,
		`SELECT `+accountColumns+` FROM accounts WHERE api_key = $1`, apiKey))
	return a, wrap("account", account.OrKeyNotFound(apiKey, err))
}

// AccountCount returns the number of accounts.
func (s *Store) AccountCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, wrap("account count", err)
}

// UpdateSettings sets the callback URLs upd names and returns the account,
// in one statement.
func (s *Store) UpdateSettings(ctx context.Context, apiKey string, upd account.SettingsUpdate) (account.Account, error) {
	// COALESCE(NULL, x) is x: a nil field leaves the setting alone.
	return s.update(ctx, "update settings", apiKey, `UPDATE accounts SET
			mo_callback_url = COALESCE($1, mo_callback_url),
			dr_callback_url = COALESCE($2, dr_callback_url)
		WHERE api_key = $3`,
		upd.MoCallbackURL, upd.DrCallbackURL, apiKey)
}

// update runs query, one UPDATE of the account apiKey, and returns the
// account as it is afterwards.
func (s *Store) update(ctx context.Context, op, apiKey, query string, args ...any) (account.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, query+` RETURNING `+accountColumns, args...))
	return a, wrap(op, account.OrKeyNotFound(apiKey, err))
}

// UpdateAccount sets auto-reload and limits as upd says and returns the
// account, in one statement. The UPDATE takes the account's row lock, so a
// charge sees either the old auto-reload or the new one, never half of it.
func (s *Store) UpdateAccount(ctx context.Context, apiKey string, upd account.AccountUpdate) (account.Account, error) {
	// The service validates; these checks only keep a bad value from
	// reaching the schema's CHECKs as an unexplained failure.
	var threshold, amount *int64
	if ar := upd.AutoReload; upd.SetAutoReload && ar != nil {
		if ar.Threshold < 0 {
			return account.Account{}, account.Invalid("auto_reload.threshold", "must not be negative")
		}
		if ar.Amount <= 0 {
			return account.Account{}, account.Invalid("auto_reload.amount", "must be greater than zero")
		}
		t, a := int64(ar.Threshold), int64(ar.Amount)
		threshold, amount = &t, &a
	}
	var outbound, inbound, perSecond *int
	if l := upd.Limits; l != nil {
		if err := account.ValidateLimits(*l); err != nil {
			return account.Account{}, err
		}
		outbound, inbound, perSecond = &l.MaxOutboundRequest, &l.MaxInboundRequest, &l.MaxCallsPerSecond
	}
	return s.update(ctx, "update account", apiKey, `UPDATE accounts SET
			reload_threshold = CASE WHEN $1 THEN $2 ELSE reload_threshold END,
			reload_amount = CASE WHEN $1 THEN $3 ELSE reload_amount END,
			max_outbound_request = COALESCE($4, max_outbound_request),
			max_inbound_request = COALESCE($5, max_inbound_request),
			max_calls_per_second = COALESCE($6, max_calls_per_second)
		WHERE api_key = $7`,
		upd.SetAutoReload, threshold, amount, outbound, inbound, perSecond, apiKey)
}
