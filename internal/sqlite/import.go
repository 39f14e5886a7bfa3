package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// ImportAccounts inserts recs in one write transaction, with each statement
// prepared once for the whole batch: per record, the account (ON CONFLICT
// DO NOTHING, so a taken key is a skipped record, not a failed batch), its
// first secret in slot 1 and the opening credit. The schema's triggers
// check the ledger row and move the balance exactly as for CreateAccount.
func (s *Store) ImportAccounts(ctx context.Context, recs []account.ImportRecord) ([]error, error) {
	errs := make([]error, len(recs))
	err := s.write(ctx, "import accounts", func(tx dbTx) error {
		ins, err := prepareImport(ctx, tx)
		if err != nil {
			return err
		}
		defer ins.close()
		for i, rec := range recs {
			if errs[i], err = ins.one(ctx, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// importStmts are the statements of one import transaction.
type importStmts struct {
	primary, acct, secret, undo, opening *sql.Stmt
}

func prepareImport(ctx context.Context, tx dbTx) (*importStmts, error) {
	var ins importStmts
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&ins.primary, `SELECT primary_api_key IS NULL FROM accounts WHERE api_key = ?`},
		{&ins.acct, `INSERT INTO accounts (` + accountColumns + `)
			VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (api_key) DO NOTHING`},
		{&ins.secret, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES (?, ?, 1, ?, ?)
			ON CONFLICT (id) DO NOTHING`},
		{&ins.undo, `DELETE FROM accounts WHERE api_key = ?`},
		{&ins.opening, `INSERT INTO transactions
			(api_key, kind, amount, balance_after, reference, created_at)
			VALUES (?, 'credit', ?, ?, 'opening balance', ?)`},
	} {
		st, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			ins.close()
			return nil, err
		}
		*p.dst = st
	}
	return &ins, nil
}

func (ins *importStmts) close() {
	for _, st := range []*sql.Stmt{ins.primary, ins.acct, ins.secret, ins.undo, ins.opening} {
		if st != nil {
			st.Close()
		}
	}
}

// one inserts one record. refused is the record's own refusal; err an
// unexpected failure that ends the transaction.
func (ins *importStmts) one(ctx context.Context, rec account.ImportRecord) (refused, err error) {
	acct, sec := rec.Account, rec.Secret
	if acct.Balance < 0 {
		return account.Invalid("balance", "must not be negative"), nil
	}
	if sec.APIKey != "" && sec.APIKey != acct.APIKey {
		return account.Invalid("secret", "belongs to another account"), nil
	}
	if acct.PrimaryAPIKey != "" {
		var isPrimary bool
		err := ins.primary.QueryRowContext(ctx, acct.PrimaryAPIKey).Scan(&isPrimary)
		if errors.Is(err, sql.ErrNoRows) {
			return account.Errorf(account.ENOTFOUND, "primary API key %s not found", account.Quoted(acct.PrimaryAPIKey)), nil
		}
		if err != nil {
			return nil, err
		}
		if !isPrimary {
			return account.Invalid("primary_api_key", "names a subaccount; subaccounts cannot have subaccounts"), nil
		}
	}
	var threshold, amount sql.NullInt64
	if ar := acct.AutoReload; ar != nil {
		threshold = sql.NullInt64{Int64: int64(ar.Threshold), Valid: true}
		amount = sql.NullInt64{Int64: int64(ar.Amount), Valid: true}
	}
	res, err := ins.acct.ExecContext(ctx,
		acct.APIKey, nullString(acct.PrimaryAPIKey), threshold, amount,
		acct.Limits.MaxOutboundRequest, acct.Limits.MaxInboundRequest, acct.Limits.MaxCallsPerSecond,
		acct.Settings.MoCallbackURL, acct.Settings.DrCallbackURL, toDB(acct.CreatedAt))
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		return keyTaken(acct.APIKey), nil
	}
	res, err = ins.secret.ExecContext(ctx, sec.ID, acct.APIKey, sec.Hash, toDB(sec.CreatedAt))
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		// The secret id is taken: take the account back out, as it
		// cannot exist without a secret. It has no rows elsewhere yet.
		if _, err := ins.undo.ExecContext(ctx, acct.APIKey); err != nil {
			return nil, err
		}
		return account.Errorf(account.ECONFLICT, "secret id already exists"), nil
	}
	if acct.Balance > 0 {
		if _, err := ins.opening.ExecContext(ctx,
			acct.APIKey, int64(acct.Balance), int64(acct.Balance), toDB(acct.CreatedAt)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// keyTaken is the refusal of a record whose API key exists. Its Field
// tells it from a taken secret id, so the HTTP layer can count the record
// as skipped rather than failed.
func keyTaken(apiKey string) error {
	return &account.Error{Code: account.ECONFLICT, Field: "api_key", Message: fmt.Sprintf("API key %s already exists", account.Quoted(apiKey))}
}
