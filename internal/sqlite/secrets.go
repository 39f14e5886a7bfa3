package sqlite

import (
	"context"
	"slices"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// lastSecretMsg is part of the message of the secrets_keep_last trigger.
const lastSecretMsg = "an account must keep at least one secret"

// Secrets returns the account's secrets in creation order, from the view
// when it holds the account.
func (s *Store) Secrets(ctx context.Context, apiKey string) ([]account.Secret, error) {
	e, err := s.entry(ctx, apiKey)
	if err != nil {
		return nil, wrap("secrets", err)
	}
	if e == nil {
		return nil, account.KeyNotFound(apiKey)
	}
	return slices.Clone(e.secrets), nil
}

// AccountWithSecret returns the account if it still holds the secret,
// from the view when it holds the account.
func (s *Store) AccountWithSecret(ctx context.Context, apiKey, id string) (account.Account, bool, error) {
	e, err := s.entry(ctx, apiKey)
	if err != nil {
		return account.Account{}, false, wrap("account with secret", err)
	}
	if e == nil || !e.hasSecret(id) {
		return account.Account{}, false, nil
	}
	return e.acct, true, nil
}

// AccountWithSecretInMemory is AccountWithSecret answered from the view
// alone, with no I/O: ok is false when the view does not hold apiKey (the
// view keeps no negative answers), and the caller then asks the database
// through AccountWithSecret. The view follows every commit of this process,
// the only writer of its file, so its answer is as fresh as a read.
func (s *Store) AccountWithSecretInMemory(apiKey, id string) (acct account.Account, found, ok bool) {
	e, _ := s.view.get(apiKey)
	if e == nil {
		return account.Account{}, false, false
	}
	if !e.hasSecret(id) {
		return account.Account{}, false, true
	}
	return e.acct, true, true
}

// AddSecret stores sec in the account's free slot. The schema has two
// slots per account, so a third secret is refused by the UNIQUE (api_key,
// slot) constraint whatever the Go code does.
func (s *Store) AddSecret(ctx context.Context, sec account.Secret) error {
	return s.write(ctx, "add secret", func(tx dbTx) error {
		ok, err := tx.accountExists(ctx, sec.APIKey)
		if err != nil {
			return err
		}
		if !ok {
			return account.KeyNotFound(sec.APIKey)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES (?1, ?2,
				CASE WHEN EXISTS (SELECT 1 FROM secrets WHERE api_key = ?2 AND slot = 1) THEN 2 ELSE 1 END,
				?3, ?4)`,
			sec.ID, sec.APIKey, sec.Hash, toDB(sec.CreatedAt))
		if isUnique(err) {
			// Either both slots are taken or the id is not new; the
			// failed statement left the transaction usable to tell which.
			var dup bool
			if qerr := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM secrets WHERE id = ?)`, sec.ID).Scan(&dup); qerr != nil {
				return qerr
			}
			if dup {
				return account.Errorf(account.ECONFLICT, "secret id already exists")
			}
			return account.Errorf(account.ESECRETLIMIT, "account %s already has the maximum of %d secrets", account.Quoted(sec.APIKey), account.MaxSecrets)
		}
		if err == nil {
			tx.ch.addSecret(sec)
		}
		return err
	})
}

// RevokeSecret deletes the secret. The secrets_keep_last trigger refuses
// to delete an account's only secret, also when two revokes race.
func (s *Store) RevokeSecret(ctx context.Context, apiKey, id string) error {
	return s.write(ctx, "revoke secret", func(tx dbTx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE api_key = ? AND id = ?`, apiKey, id)
		if isTrigger(err, lastSecretMsg) {
			return account.Errorf(account.ELASTSECRET, "cannot revoke the last secret of an account")
		}
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return account.SecretNotFound(id)
		}
		tx.ch.dropSecret(apiKey, id)
		return nil
	})
}
