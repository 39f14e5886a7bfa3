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
// (ESECRETNOTFOUND) and AccountWithSecret (found false, nil). Amounts to move must be
// positive and must not overflow a balance (EINVALID on "amount").
// Timestamps are stored exactly to the microsecond. internal/storetest is the contract
// suite every implementation must pass.
type Store interface {
	// CreateAccount inserts acct and its first secret. A positive
	// acct.Balance is recorded as an opening credit in the ledger. ECONFLICT
	// if the key is taken; ENOTFOUND if acct.PrimaryAPIKey names no account.
	CreateAccount(ctx context.Context, acct Account, first Secret) error

	// ImportAccounts inserts many accounts in one database transaction
	// (a bulk import calls it once per batch): each record's account, its
	// first secret and, for a positive balance, the opening credit, as
	// CreateAccount would. It returns one error per record, in order: nil
	// when the record was inserted; ECONFLICT with Field "api_key" when
	// its API key is taken (the stored account is left alone, so an
	// import can be run again), without Field when its secret's id is;
	// ENOTFOUND when Account.PrimaryAPIKey names no account, stored or
	// earlier in recs; EINVALID when it names a subaccount or the balance
	// is negative. Records with an error are left out and the others
	// inserted. A non-nil error is an unexpected failure, and then nothing
	// was inserted.
	ImportAccounts(ctx context.Context, recs []ImportRecord) ([]error, error)

	// Account returns the account with that key, or ENOTFOUND.
	Account(ctx context.Context, apiKey string) (Account, error)

	// ListAccounts returns up to q.Limit accounts (clamped to 1..1001)
	// whose key is above q.After, ordered by key, that match q's filters:
	// the operator's listing, page by page.
	ListAccounts(ctx context.Context, q AccountQuery) ([]Account, error)

	// SecretIDs returns the secrets of each of apiKeys, oldest first in
	// creation order, keyed by API key, in one read whatever the number
	// of keys: what the operator's listing shows of them (ids and
	// creation times). Hash is always empty: this read is never a
	// verification's. A key naming no account is absent from the map.
	SecretIDs(ctx context.Context, apiKeys []string) (map[string][]Secret, error)

	// ResetSecrets replaces every secret of sec.APIKey by sec, in one
	// database transaction: afterwards the account holds sec alone, and
	// no old secret verifies on any instance. ENOTFOUND for an unknown key.
	ResetSecrets(ctx context.Context, sec Secret) error

	// AccountCount returns the number of accounts (used by bootstrap).
	AccountCount(ctx context.Context) (int, error)

	// UpdateSettings applies upd (already validated) and returns the
	// account as it is afterwards; ENOTFOUND for an unknown key.
	UpdateSettings(ctx context.Context, apiKey string, upd SettingsUpdate) (Account, error)

	// Secrets returns the account's secrets, hashes included, oldest first
	// in creation order; ENOTFOUND for an unknown key.
	Secrets(ctx context.Context, apiKey string) ([]Secret, error)

	// AccountWithSecret returns the account with that key if it still
	// holds the secret with that id, in one read: the confirmation a cached
	// verification makes on every request, so a revoked secret stops
	// working at once on every instance. found is false, with no error,
	// when the account or the secret does not exist.
	AccountWithSecret(ctx context.Context, apiKey, secretID string) (acct Account, found bool, err error)

	// AddSecret stores s; ESECRETLIMIT if the account already holds
	// MaxSecrets; ENOTFOUND for an unknown key.
	AddSecret(ctx context.Context, s Secret) error

	// RevokeSecret deletes the secret; ESECRETNOTFOUND if the account has no
	// such secret; ELASTSECRET if it is the account's only one.
	RevokeSecret(ctx context.Context, apiKey, id string) error

	// ReplaceSecret replaces the account's secret oldID with s (a new id,
	// s.APIKey the account) in one database transaction: the number of
	// secrets does not change, and oldID stops existing, so a cached
	// verification of the old secret fails its next AccountWithSecret.
	// ESECRETNOTFOUND if the account (or the key) has no secret oldID.
	ReplaceSecret(ctx context.Context, oldID string, s Secret) error

	// SetSignature stores the account's signature secret, sealed, and its
	// method, replacing any before; nil removes them. ENOTFOUND for an
	// unknown key.
	SetSignature(ctx context.Context, apiKey string, sig *Signature) error

	// Signature returns the account's sealed signature secret and method;
	// found is false, with no error, when the account has none or does not
	// exist.
	Signature(ctx context.Context, apiKey string) (sig Signature, found bool, err error)

	// UpdateAccount changes auto-reload and limits (already validated) and
	// returns the account as it is afterwards.
	UpdateAccount(ctx context.Context, apiKey string, upd AccountUpdate) (Account, error)

	// Credit adds m.Amount (> 0) to the balance and records a credit.
	// With m.IdempotencyKey set, see Movement.
	Credit(ctx context.Context, m Movement) (MoveResult, error)

	// Charge takes m.Amount (> 0) from the balance and records a charge.
	// When auto-reload is on and the charge takes the balance below the
	// threshold, a reload of the configured amount with a fresh trx is
	// recorded first, in the same database transaction, and returned in
	// MoveResult.Reload. EFUNDS if the balance (with any reload) would go
	// below zero; no ledger row is written. With m.IdempotencyKey set, see
	// Movement.
	Charge(ctx context.Context, m Movement) (MoveResult, error)

	// TopUp repeats the reload with that trx: its amount is added again as a
	// top-up row with a fresh trx pointing at the original. EAUTORELOADOFF if
	// auto-reload is off; EINVALID (field "trx") if trx is not one of the
	// account's reloads.
	TopUp(ctx context.Context, apiKey, trx string, now time.Time) (Transaction, error)

	// Transactions returns up to limit ledger rows, newest first, with ID
	// below before (0 means from the newest); limit is clamped to 1..1000.
	Transactions(ctx context.Context, apiKey string, before int64, limit int) ([]Transaction, error)

	// VerifyLedger checks every account: its balance equals the sum of its
	// ledger rows, each row's balance_after follows from the one before and
	// is never negative. It returns what it checked and every problem found.
	VerifyLedger(ctx context.Context) (LedgerReport, error)

	// PruneIdempotencyKeys forgets idempotency keys created before cutoff
	// and returns how many it removed.
	PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error)

	// The queue of callback deliveries (webhook.go).
	WebhookStore

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error

	// Close releases the database.
	Close() error
}

// AccountQuery selects accounts for Store.ListAccounts: those whose key
// starts with Prefix (any, when empty), that are subaccounts of
// PrimaryAPIKey (any account, when empty), and whose key sorts after After
// (the last key of the previous page; from the first, when empty). Limit is
// the most to return.
type AccountQuery struct {
	Prefix, PrimaryAPIKey, After string
	Limit                        int
}

// AccountUpdate changes an account's operator-set properties. Nil fields
// are left alone; with SetAutoReload, AutoReload replaces the setting (nil
// turns auto-reload off).
type AccountUpdate struct {
	SetAutoReload bool
	AutoReload    *AutoReload
	Limits        *Limits
}

// Movement asks the store to move money on one account.
//
// With IdempotencyKey set, the store records the key with Fingerprint and
// the outcome in the same database transaction as the movement: a repeat
// with the same key and fingerprint returns the first outcome again (the
// same transactions, or the same EFUNDS) with Replayed set and moves no
// money; a repeat with another fingerprint is ECONFLICT. A repeat racing the
// first waits for it and then replays it. Keys are scoped to the account.
type Movement struct {
	APIKey         string
	Amount         Money
	Reference      string
	Now            time.Time
	IdempotencyKey string
	Fingerprint    string
}

// MoveResult is the outcome of a Credit or Charge.
type MoveResult struct {
	Transaction Transaction
	Reload      *Transaction // the auto-reload a charge triggered, if any
	Replayed    bool         // an idempotent repeat: no money moved this time
}

// LedgerReport is what VerifyLedger found.
type LedgerReport struct {
	Accounts int
	Rows     int
	Problems []LedgerProblem
}

// LedgerProblem is one inconsistency between an account and its ledger.
type LedgerProblem struct {
	APIKey        string
	TransactionID int64 // 0 when the problem is the account's balance
	Message       string
}
