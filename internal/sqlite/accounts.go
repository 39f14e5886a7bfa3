package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

const accountColumns = `api_key, primary_api_key, balance, reload_threshold, reload_amount,
	max_outbound_request, max_inbound_request, max_calls_per_second,
	mo_callback_url, dr_callback_url, created_at`

// scanAccount reads one row of accountColumns.
func scanAccount(row interface{ Scan(...any) error }) (account.Account, error) {
	var (
		a                 account.Account
		primary           sql.NullString
		threshold, amount sql.NullInt64
		created           int64
	)
	err := row.Scan(&a.APIKey, &primary, &a.Balance, &threshold, &amount,
		&a.Limits.MaxOutboundRequest, &a.Limits.MaxInboundRequest, &a.Limits.MaxCallsPerSecond,
		&a.Settings.MoCallbackURL, &a.Settings.DrCallbackURL, &created)
	if err != nil {
		return account.Account{}, err
	}
	a.PrimaryAPIKey = primary.String
	if threshold.Valid && amount.Valid {
		a.AutoReload = &account.AutoReload{Threshold: account.Money(threshold.Int64), Amount: account.Money(amount.Int64)}
	}
	a.CreatedAt = fromDB(created)
	return a, nil
}

// accountExists reports whether apiKey names an account.
func (tx dbTx) accountExists(ctx context.Context, apiKey string) (bool, error) {
	var ok bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE api_key = ?)`, apiKey).Scan(&ok)
	return ok, err
}

// CreateAccount inserts the account, its first secret (slot 1) and, for a
// positive balance, the opening credit, in one transaction.
func (s *Store) CreateAccount(ctx context.Context, acct account.Account, first account.Secret) error {
	if acct.Balance < 0 {
		return account.Invalid("balance", "must not be negative")
	}
	if first.APIKey != "" && first.APIKey != acct.APIKey {
		return fmt.Errorf("sqlite: create account: first secret belongs to %s, not %s", account.Quoted(first.APIKey), account.Quoted(acct.APIKey))
	}
	var threshold, amount sql.NullInt64
	if ar := acct.AutoReload; ar != nil {
		threshold = sql.NullInt64{Int64: int64(ar.Threshold), Valid: true}
		amount = sql.NullInt64{Int64: int64(ar.Amount), Valid: true}
	}
	return s.write(ctx, "create account", func(tx dbTx) error {
		if acct.PrimaryAPIKey != "" {
			ok, err := tx.accountExists(ctx, acct.PrimaryAPIKey)
			if err != nil {
				return err
			}
			if !ok {
				return account.Errorf(account.ENOTFOUND, "primary API key %s not found", account.Quoted(acct.PrimaryAPIKey))
			}
		}
		// The balance starts at zero; the opening credit below sets it, so
		// that it equals the sum of the ledger from the first moment.
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (`+accountColumns+`)
			VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`,
			acct.APIKey, nullString(acct.PrimaryAPIKey), threshold, amount,
			acct.Limits.MaxOutboundRequest, acct.Limits.MaxInboundRequest, acct.Limits.MaxCallsPerSecond,
			acct.Settings.MoCallbackURL, acct.Settings.DrCallbackURL, toDB(acct.CreatedAt))
		if isUnique(err) {
			return account.Errorf(account.ECONFLICT, "API key %s already exists", account.Quoted(acct.APIKey))
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES (?, ?, 1, ?, ?)`, first.ID, acct.APIKey, first.Hash, toDB(first.CreatedAt)); err != nil {
			if isUnique(err) {
				return account.Errorf(account.ECONFLICT, "secret id already exists")
			}
			return err
		}
		return account.InsertOpeningCredit(ctx, tx, acct)
	})
}

// Account returns the account with that key.
func (s *Store) Account(ctx context.Context, apiKey string) (account.Account, error) {
	a, err := scanAccount(s.q.account.QueryRowContext(ctx, apiKey))
	return a, wrap("account", account.OrKeyNotFound(apiKey, err))
}

// AccountCount returns the number of accounts.
func (s *Store) AccountCount(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, wrap("account count", err)
}

// UpdateSettings sets the callback URLs upd names and returns the account.
func (s *Store) UpdateSettings(ctx context.Context, apiKey string, upd account.SettingsUpdate) (account.Account, error) {
	// COALESCE(NULL, x) is x: a nil field leaves the setting alone.
	return s.update(ctx, "update settings", apiKey, `UPDATE accounts SET
			mo_callback_url = COALESCE(?, mo_callback_url),
			dr_callback_url = COALESCE(?, dr_callback_url)
		WHERE api_key = ?`,
		optString(upd.MoCallbackURL), optString(upd.DrCallbackURL), apiKey)
}

// update runs query, an UPDATE of the account apiKey, in a write
// transaction and returns the account as it is afterwards.
func (s *Store) update(ctx context.Context, op, apiKey, query string, args ...any) (account.Account, error) {
	var a account.Account
	err := s.write(ctx, op, func(tx dbTx) error {
		var err error
		a, err = scanAccount(tx.QueryRowContext(ctx, query+` RETURNING `+accountColumns, args...))
		return account.OrKeyNotFound(apiKey, err)
	})
	if err != nil {
		return account.Account{}, err
	}
	return a, nil
}

// optString maps a nil *string to NULL.
func optString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

// UpdateAccount sets auto-reload (when upd.SetAutoReload) and limits (when
// given) and returns the account as it is afterwards.
func (s *Store) UpdateAccount(ctx context.Context, apiKey string, upd account.AccountUpdate) (account.Account, error) {
	// The service validates; these checks only keep a bad value from
	// reaching the schema's CHECKs as an unexplained failure.
	var threshold, amount sql.NullInt64
	if ar := upd.AutoReload; upd.SetAutoReload && ar != nil {
		if ar.Threshold < 0 {
			return account.Account{}, account.Invalid("auto_reload.threshold", "must not be negative")
		}
		if ar.Amount <= 0 {
			return account.Account{}, account.Invalid("auto_reload.amount", "must be greater than zero")
		}
		threshold = sql.NullInt64{Int64: int64(ar.Threshold), Valid: true}
		amount = sql.NullInt64{Int64: int64(ar.Amount), Valid: true}
	}
	var outbound, inbound, perSecond sql.NullInt64
	if l := upd.Limits; l != nil {
		if err := account.ValidateLimits(*l); err != nil {
			return account.Account{}, err
		}
		outbound = sql.NullInt64{Int64: int64(l.MaxOutboundRequest), Valid: true}
		inbound = sql.NullInt64{Int64: int64(l.MaxInboundRequest), Valid: true}
		perSecond = sql.NullInt64{Int64: int64(l.MaxCallsPerSecond), Valid: true}
	}
	return s.update(ctx, "update account", apiKey, `UPDATE accounts SET
			reload_threshold     = CASE WHEN ?1 THEN ?2 ELSE reload_threshold END,
			reload_amount        = CASE WHEN ?1 THEN ?3 ELSE reload_amount END,
			max_outbound_request = COALESCE(?4, max_outbound_request),
			max_inbound_request  = COALESCE(?5, max_inbound_request),
			max_calls_per_second = COALESCE(?6, max_calls_per_second)
		WHERE api_key = ?7`,
		upd.SetAutoReload, threshold, amount, outbound, inbound, perSecond, apiKey)
}
