package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// ReplaceSecret replaces the account's secret oldID with sec in one write
// transaction. The new secret takes the free slot when there is one, and
// the old one is deleted after it (the secrets_keep_last trigger then sees
// two); with both slots taken, the old one is deleted first and the new
// one takes its slot.
func (s *Store) ReplaceSecret(ctx context.Context, oldID string, sec account.Secret) error {
	return s.write(ctx, "replace secret", func(tx dbTx) error {
		var slot, count int
		err := tx.QueryRowContext(ctx, `SELECT slot, (SELECT count(*) FROM secrets WHERE api_key = ?1)
			FROM secrets WHERE api_key = ?1 AND id = ?2`, sec.APIKey, oldID).Scan(&slot, &count)
		if errors.Is(err, sql.ErrNoRows) {
			return account.SecretNotFound(oldID)
		}
		if err != nil {
			return err
		}
		insert := func(slot int) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
				sec.ID, sec.APIKey, slot, sec.Hash, toDB(sec.CreatedAt))
			if isUnique(err) {
				return account.Errorf(account.ECONFLICT, "secret id already exists")
			}
			return err
		}
		remove := func() error {
			_, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE api_key = ? AND id = ?`, sec.APIKey, oldID)
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
		ok, err := tx.accountExists(ctx, apiKey)
		if err != nil {
			return err
		}
		if !ok {
			return account.KeyNotFound(apiKey)
		}
		if sig == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM account_signatures WHERE api_key = ?`, apiKey)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO account_signatures (api_key, method, sealed) VALUES (?, ?, ?)
			ON CONFLICT (api_key) DO UPDATE SET method = excluded.method, sealed = excluded.sealed`,
			apiKey, sig.Method, sig.Sealed)
		return err
	})
}

// Signature returns the account's signature, if it has one.
func (s *Store) Signature(ctx context.Context, apiKey string) (account.Signature, bool, error) {
	var sig account.Signature
	err := s.r.QueryRowContext(ctx, `SELECT method, sealed FROM account_signatures WHERE api_key = ?`, apiKey).Scan(&sig.Method, &sig.Sealed)
	ok, err := account.Found(err)
	return sig, ok, wrap("signature", err)
}
