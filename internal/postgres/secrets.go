package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Secrets returns the account's secrets in creation order.
func (s *Store) Secrets(ctx context.Context, apiKey string) ([]account.Secret, error) {
	// The LEFT JOIN tells an unknown account (no row at all) from a known
	// one in a single statement, so both answers come from one snapshot.
	var (
		id, hash *string
		created  *time.Time
	)
	secrets := []account.Secret{}
	err := s.accountRows(ctx, "secrets", apiKey, []any{&id, &hash, &created}, func() error {
		// A row without id is an account without secrets, which the
		// schema forbids.
		if id != nil {
			secrets = append(secrets, account.Secret{ID: *id, APIKey: apiKey, Hash: *hash, CreatedAt: fromDB(*created)})
		}
		return nil
	}, `SELECT s.id, s.hash, s.created_at
		FROM accounts a LEFT JOIN secrets s ON s.api_key = a.api_key
		WHERE a.api_key = $1
		ORDER BY s.seq`, apiKey)
	if err != nil {
		return nil, err
	}
	return secrets, nil
}

// accountRows runs query, which joins the account apiKey with its rows of
// some kind (LEFT JOIN: one row of NULLs when it has none), scans each row
// into dst and calls fn. No row at all means the account does not exist
// (ENOTFOUND). op names the read in unexpected errors.
func (s *Store) accountRows(ctx context.Context, op, apiKey string, dst []any, fn func() error, query string, args ...any) error {
	if !storable(apiKey) {
		return account.KeyNotFound(apiKey)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return wrap(op, err)
	}
	tag, err := pgx.ForEachRow(rows, dst, fn)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 { // a SELECT's tag counts its rows
		return account.KeyNotFound(apiKey)
	}
	return nil
}

// AccountWithSecret returns the account if it still holds the secret. It
// runs on every request a cached verification serves, so concurrent calls
// share one statement (see batch.go): one round trip for all of them.
func (s *Store) AccountWithSecret(ctx context.Context, apiKey, id string) (account.Account, bool, error) {
	return s.reads.read(ctx, apiKey, id)
}

// AddSecret stores sec in the account's free slot, in one statement. The
// schema has two slots per account, so a third secret is refused by the
// UNIQUE (api_key, slot) constraint whatever the Go code does: of two
// instances adding at once, both pick the same free slot and the second to
// commit fails.
func (s *Store) AddSecret(ctx context.Context, sec account.Secret) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
		SELECT $1::text, a.api_key,
			CASE WHEN EXISTS (SELECT 1 FROM secrets WHERE api_key = a.api_key AND slot = 1) THEN 2 ELSE 1 END,
			$3::text, $4::timestamptz
		FROM accounts a WHERE a.api_key = $2`,
		sec.ID, sec.APIKey, sec.Hash, sec.CreatedAt)
	switch {
	case violates(err, codeUniqueViolation, "secrets_slot_key"):
		return account.Errorf(account.ESECRETLIMIT, "account %s already has the maximum of %d secrets", account.Quoted(sec.APIKey), account.MaxSecrets)
	case violates(err, codeUniqueViolation, "secrets_pkey"):
		return account.Errorf(account.ECONFLICT, "secret id already exists")
	case err != nil:
		return fmt.Errorf("postgres: add secret: %w", err)
	case tag.RowsAffected() == 0:
		return account.KeyNotFound(sec.APIKey)
	}
	return nil
}

// RevokeSecret deletes the secret. It locks the account's row first, so
// that revokes of one account take turns on every instance; the
// secrets_keep_last trigger, which takes the same lock, then refuses to
// delete the account's only secret.
func (s *Store) RevokeSecret(ctx context.Context, apiKey, id string) error {
	return s.write(ctx, "revoke secret", func(tx dbTx) error {
		tag, err := tx.Exec(ctx, `SELECT FROM accounts WHERE api_key = $1 FOR NO KEY UPDATE`, apiKey)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return secretNotFound(id)
		}
		tag, err = tx.Exec(ctx, `DELETE FROM secrets WHERE api_key = $1 AND id = $2`, apiKey, id)
		if violates(err, codeLastSecret, "") {
			return account.Errorf(account.ELASTSECRET, "cannot revoke the last secret of an account")
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return secretNotFound(id)
		}
		return nil
	})
}

func secretNotFound(id string) error {
	return account.SecretNotFound(id)
}
