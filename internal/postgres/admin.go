package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// listAccountsQuery seeks the key range of the prefix on the primary key
// and checks the prefix exactly; $1 after, $2 prefix, $3 its end ("" for
// none), $4 primary key ("" for any), $5 limit. Keys are a-z and 0-9, on
// which every collation agrees with byte order.
const listAccountsQuery = `SELECT ` + accountColumns + ` FROM accounts
	WHERE api_key > $1 AND api_key >= $2 AND ($3 = '' OR api_key < $3)
		AND starts_with(api_key, $2)
		AND ($4 = '' OR primary_api_key = $4)
	ORDER BY api_key LIMIT $5`

// ListAccounts returns the accounts q selects, ordered by key.
func (s *Store) ListAccounts(ctx context.Context, q account.AccountQuery) ([]account.Account, error) {
	rows, err := s.pool.Query(ctx, listAccountsQuery,
		q.After, q.Prefix, account.PrefixEnd(q.Prefix), q.PrimaryAPIKey, min(max(q.Limit, 1), account.MaxAccountPage+1))
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	accts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Account, error) { return scanAccount(row) })
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	if accts == nil {
		accts = []account.Account{}
	}
	return accts, nil
}

// ResetSecrets replaces the account's secrets by sec in one transaction,
// within the schema's rules (two slots, never fewer than one secret). It
// locks the account's row first, as a revoke does, so that resets and
// revokes of one account take turns on every instance; then it deletes
// the older secret if there are two, adds sec in the free slot and deletes
// the remaining old one.
//
// A secret being added at the same moment is not seen by the first
// delete, and then holds the slot that sec wants: the insert (waiting for
// it if it is not yet committed) fails on UNIQUE (api_key, slot). The
// reset is then run again, a few times at most, and sees that secret.
func (s *Store) ResetSecrets(ctx context.Context, sec account.Secret) error {
	var err error
	for range 4 {
		err = s.resetSecrets(ctx, sec)
		if !violates(err, codeUniqueViolation, "secrets_slot_key") {
			return err
		}
	}
	return account.Errorf(account.ECONFLICT, "the account's secrets kept changing during the reset; try again")
}

func (s *Store) resetSecrets(ctx context.Context, sec account.Secret) error {
	return s.write(ctx, "reset secrets", func(tx dbTx) error {
		tag, err := tx.Exec(ctx, `SELECT FROM accounts WHERE api_key = $1 FOR NO KEY UPDATE`, sec.APIKey)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return account.KeyNotFound(sec.APIKey)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM secrets WHERE api_key = $1
			AND seq <> (SELECT max(seq) FROM secrets WHERE api_key = $1)`, sec.APIKey); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES ($1, $2, 3 - (SELECT slot FROM secrets WHERE api_key = $2 ORDER BY seq DESC LIMIT 1), $3, $4)`,
			sec.ID, sec.APIKey, sec.Hash, sec.CreatedAt)
		if violates(err, codeUniqueViolation, "secrets_pkey") {
			return account.Errorf(account.ECONFLICT, "secret id already exists")
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM secrets WHERE api_key = $1 AND id <> $2`, sec.APIKey, sec.ID)
		return err
	})
}
