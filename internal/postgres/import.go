package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// ImportAccounts inserts recs in one READ COMMITTED transaction, in three
// pipelined round trips whatever the number of records:
//
//  1. every account, in order (ON CONFLICT DO NOTHING, and only when its
//     primary, if any, is a stored primary account, so neither a taken key
//     nor a bad primary aborts the transaction; a primary earlier in recs
//     is visible, statements of one transaction seeing each other), each
//     statement answering whether it inserted and what it found of the
//     primary;
//  2. the first secret of each account that went in (ON CONFLICT on the id
//     DO NOTHING);
//  3. the opening credit of each account whose secret went in, and the
//     removal of an account whose secret id was taken (it has no other row
//     yet).
func (s *Store) ImportAccounts(ctx context.Context, recs []account.ImportRecord) ([]error, error) {
	var errs []error
	err := s.write(ctx, "import accounts", func(tx dbTx) error {
		errs = make([]error, len(recs))
		inserted := make([]bool, len(recs))

		// Step 1: the accounts.
		b := &pgx.Batch{}
		var sent []int
		for i, rec := range recs {
			acct := rec.Account
			switch {
			case acct.Balance < 0:
				errs[i] = account.Invalid("balance", "must not be negative")
				continue
			case rec.Secret.APIKey != "" && rec.Secret.APIKey != acct.APIKey:
				errs[i] = account.Invalid("secret", "belongs to another account")
				continue
			}
			var threshold, amount *int64
			if ar := acct.AutoReload; ar != nil {
				t, a := int64(ar.Threshold), int64(ar.Amount)
				threshold, amount = &t, &a
			}
			b.Queue(`WITH p AS (
					SELECT CASE WHEN $2::text IS NULL THEN 'ok'
						ELSE COALESCE((SELECT CASE WHEN primary_api_key IS NULL THEN 'ok' ELSE 'sub' END
							FROM accounts WHERE api_key = $2::text), 'unknown')
					END AS primary_state
				), ins AS (
					INSERT INTO accounts (`+accountColumns+`)
					SELECT $1, $2::text, 0, $3::bigint, $4::bigint, $5::integer, $6::integer, $7::integer, $8::text, $9::text, $10::timestamptz
					FROM p WHERE p.primary_state = 'ok'
					ON CONFLICT (api_key) DO NOTHING
					RETURNING 1
				)
				SELECT p.primary_state, EXISTS (SELECT 1 FROM ins) FROM p`,
				acct.APIKey, nullString(acct.PrimaryAPIKey), threshold, amount,
				acct.Limits.MaxOutboundRequest, acct.Limits.MaxInboundRequest, acct.Limits.MaxCallsPerSecond,
				acct.Settings.MoCallbackURL, acct.Settings.DrCallbackURL, acct.CreatedAt)
			sent = append(sent, i)
		}
		if b.Len() > 0 {
			br := tx.SendBatch(ctx, b)
			for _, i := range sent {
				var state string
				if err := br.QueryRow().Scan(&state, &inserted[i]); err != nil {
					br.Close()
					return err
				}
				acct := recs[i].Account
				switch {
				case state == "unknown":
					errs[i] = account.Errorf(account.ENOTFOUND, "primary API key %s not found", account.Quoted(acct.PrimaryAPIKey))
				case state == "sub":
					errs[i] = account.Invalid("primary_api_key", "names a subaccount; subaccounts cannot have subaccounts")
				case !inserted[i]:
					errs[i] = keyTaken(acct.APIKey)
				}
			}
			if err := br.Close(); err != nil {
				return err
			}
		}

		// Step 2: the secrets.
		b = &pgx.Batch{}
		sent = sent[:0]
		for i, rec := range recs {
			if !inserted[i] {
				continue
			}
			b.Queue(`INSERT INTO secrets (id, api_key, slot, hash, created_at)
				VALUES ($1, $2, 1, $3, $4)
				ON CONFLICT (id) DO NOTHING`,
				rec.Secret.ID, rec.Account.APIKey, rec.Secret.Hash, rec.Secret.CreatedAt)
			sent = append(sent, i)
		}
		if err := runBatch(ctx, tx, b, func(j int, rows int64) {
			if rows == 0 {
				i := sent[j]
				inserted[i] = false
				errs[i] = account.Errorf(account.ECONFLICT, "secret id already exists")
			}
		}); err != nil {
			return err
		}

		// Step 3: opening credits, and accounts whose secret id was taken
		// taken back out.
		b = &pgx.Batch{}
		for _, i := range sent {
			acct := recs[i].Account
			switch {
			case !inserted[i]:
				b.Queue(`DELETE FROM accounts WHERE api_key = $1`, acct.APIKey)
			case acct.Balance > 0:
				b.Queue(`INSERT INTO transactions (api_key, kind, amount, balance_after, reference, created_at)
					VALUES ($1, 'credit', $2, $2, 'opening balance', $3)`,
					acct.APIKey, int64(acct.Balance), acct.CreatedAt)
			}
		}
		return runBatch(ctx, tx, b, nil)
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// runBatch sends b in one round trip and reports each statement's row
// count to each, in queue order.
func runBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch, each func(j int, rows int64)) error {
	if b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	for j := range b.Len() {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return err
		}
		if each != nil {
			each(j, tag.RowsAffected())
		}
	}
	return br.Close()
}

// keyTaken is the refusal of a record whose API key exists. Its Field
// tells it from a taken secret id, so the HTTP layer can count the record
// as skipped rather than failed.
func keyTaken(apiKey string) error {
	return &account.Error{Code: account.ECONFLICT, Field: "api_key", Message: fmt.Sprintf("API key %s already exists", account.Quoted(apiKey))}
}
