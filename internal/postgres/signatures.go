package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// ReplaceSecret replaces the account's secret oldID with sec in one
// transaction. It locks the account's row first, as RevokeSecret does, so
// that it takes turns with revokes and other replacements on every
// instance. The new secret takes the free slot when there is one and the
// old one is deleted after it; with both slots taken, the old one is
// deleted first and the new one takes its slot.
func (s *Store) ReplaceSecret(ctx context.Context, oldID string, sec account.Secret) error {
	return s.write(ctx, "replace secret", func(tx dbTx) error {
		if _, err := tx.Exec(ctx, `SELECT FROM accounts WHERE api_key = $1 FOR NO KEY UPDATE`, sec.APIKey); err != nil {
			return err
		}
		var slot, count int
		err := tx.QueryRow(ctx, `SELECT slot, (SELECT count(*) FROM secrets WHERE api_key = $1)
			FROM secrets WHERE api_key = $1 AND id = $2`, sec.APIKey, oldID).Scan(&slot, &count)
		if errors.Is(err, pgx.ErrNoRows) {
			return account.SecretNotFound(oldID)
		}
		if err != nil {
			return err
		}
		insert := func(slot int) error {
			_, err := tx.Exec(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
				sec.ID, sec.APIKey, slot, sec.Hash, sec.CreatedAt)
			if violates(err, codeUniqueViolation, "secrets_pkey") {
				return account.Errorf(account.ECONFLICT, "secret id already exists")
			}
			return err
		}
		remove := func() error {
			_, err := tx.Exec(ctx, `DELETE FROM secrets WHERE api_key = $1 AND id = $2`, sec.APIKey, oldID)
			return err
		}
		if count < account.MaxSecrets {
			if err := insert(3 - slot); err != nil {
				return err
			}
			return remove()
		}
		if err := remove(); err != nil {
			return err
		}
		return insert(slot)
	})
}

// SetSignature stores or removes the account's signature.
func (s *Store) SetSignature(ctx context.Context, apiKey string, sig *account.Signature) error {
	return s.write(ctx, "set signature", func(tx dbTx) error {
		tag, err := tx.Exec(ctx, `SELECT FROM accounts WHERE api_key = $1 FOR NO KEY UPDATE`, apiKey)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return account.KeyNotFound(apiKey)
		}
		if sig == nil {
			_, err = tx.Exec(ctx, `DELETE FROM account_signatures WHERE api_key = $1`, apiKey)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO account_signatures (api_key, method, sealed) VALUES ($1, $2, $3)
			ON CONFLICT (api_key) DO UPDATE SET method = excluded.method, sealed = excluded.sealed`,
			apiKey, sig.Method, sig.Sealed)
		return err
	})
}

// Signature returns the account's signature, if it has one.
func (s *Store) Signature(ctx context.Context, apiKey string) (account.Signature, bool, error) {
	var sig account.Signature
	if !storable(apiKey) {
		return sig, false, nil
	}
	err := s.pool.QueryRow(ctx, `SELECT method, sealed FROM account_signatures WHERE api_key = $1`, apiKey).Scan(&sig.Method, &sig.Sealed)
	ok, err := account.Found(err)
	return sig, ok, wrap("signature", err)
}
