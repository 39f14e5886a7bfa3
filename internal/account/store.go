package account

import (
	"context"
	"time"
)

// Store keeps accounts, secrets and the ledger. Implementations
// (internal/sqlite, internal/postgres) enforce the invariants in the database
// itself, so they hold when several server instances share it:
//
//   - an account never holds more than MaxSecrets secrets (AddSecret fails
//     with ESECRETLIMIT);
//   - an account never holds fewer than one (RevokeSecret fails with
//     ELASTSECRET), also when two revokes race;
//   - a balance equals the sum of the account's ledger rows and never goes
//     below zero.
//
// Every method returns *Error values for the domain cases listed on it and
// plain errors for anything unexpected. Every method taking an apiKey
// returns ENOTFOUND for an unknown account, except RevokeSecret
// (ESECRETNOTFOUND) and SecretExists (false, nil). Amounts to move must be
// positive and must not overflow a balance (EINVALID on "amount").
// Timestamps are stored exactly to the microsecond. internal/storetest is the contract
// suite every implementation must pass.
type Store interface {
	// CreateAccount inserts acct and its first secret. A positive
	// acct.Balance is recorded as an opening credit in the ledger. ECONFLICT
	// if the key is taken; ENOTFOUND if acct.PrimaryAPIKey names no account.
	CreateAccount(ctx context.Context, acct Account, first Secret) error

	// Account returns the account with that key, or ENOTFOUND.
	Account(ctx context.Context, apiKey string) (Account, error)

	// AccountCount returns the number of accounts (used by bootstrap).
	AccountCount(ctx context.Context) (int, error)

	// UpdateSettings applies upd (already validated) and returns the
	// account as it is afterwards; ENOTFOUND for an unknown key.
	UpdateSettings(ctx context.Context, apiKey string, upd SettingsUpdate) (Account, error)

	// Secrets returns the account's secrets, hashes included, oldest first
	// in creation order; ENOTFOUND for an unknown key.
	Secrets(ctx context.Context, apiKey string) ([]Secret, error)

	// SecretExists reports whether the secret is still present. The
	// verification cache asks it on every request so a revoked secret stops
	// working at once on every instance.
	SecretExists(ctx context.Context, apiKey, id string) (bool, error)

	// AddSecret stores s; ESECRETLIMIT if the account already holds
	// MaxSecrets; ENOTFOUND for an unknown key.
	AddSecret(ctx context.Context, s Secret) error

	// RevokeSecret deletes the secret; ESECRETNOTFOUND if the account has no
	// such secret; ELASTSECRET if it is the account's only one.
	RevokeSecret(ctx context.Context, apiKey, id string) error

	// Credit adds amount (> 0) to the balance and records a credit.
	Credit(ctx context.Context, apiKey string, amount Money, reference string, now time.Time) (Transaction, error)

	// Charge takes amount (> 0) from the balance and records a charge. When
	// auto-reload is on and the charge takes the balance below the
	// threshold, a reload of the configured amount with a fresh trx is
	// recorded in the same database transaction and returned as well. EFUNDS
	// if the balance (with any reload) would go below zero; nothing changes.
	Charge(ctx context.Context, apiKey string, amount Money, reference string, now time.Time) (charge Transaction, reload *Transaction, err error)

	// TopUp repeats the reload with that trx: its amount is added again as a
	// top-up row with a fresh trx pointing at the original. EAUTORELOADOFF if
	// auto-reload is off; EINVALID (field "trx") if trx is not one of the
	// account's reloads.
	TopUp(ctx context.Context, apiKey, trx string, now time.Time) (Transaction, error)

	// Transactions returns up to limit ledger rows, newest first, with ID
	// below before (0 means from the newest); limit is clamped to 1..1000.
	Transactions(ctx context.Context, apiKey string, before int64, limit int) ([]Transaction, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error

	// Close releases the database.
	Close() error
}
