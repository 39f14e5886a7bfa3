package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The ledger (contract section 5). Every change of a balance is one row of
// the transactions table; the schema's triggers check each row's
// balance_after against the balance and move the balance with it.
// account.Ledger decides which rows to write (Credit, Charge, TopUp); the
// code below reads and writes them. Every movement locks the account's row
// before reading its balance (ledgerTx.Balance), so money moves on one
// account take turns across every instance.

// Insert appends t to the ledger and returns it with its ID.
func (tx dbTx) Insert(ctx context.Context, t account.Transaction) (account.Transaction, error) {
	err := tx.QueryRow(ctx, `INSERT INTO transactions
		(api_key, kind, amount, balance_after, reference, trx, related_trx, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		t.APIKey, t.Kind, int64(t.Amount), int64(t.BalanceAfter), t.Reference,
		nullString(t.Trx), nullString(t.RelatedTrx), t.CreatedAt).Scan(&t.ID)
	return t, err
}

// txColumns are the columns scanTx reads.
const txColumns = `id, api_key, kind, amount, balance_after, reference,
	COALESCE(trx, ''), COALESCE(related_trx, ''), created_at`

// scanTx reads one row of txColumns.
func scanTx(row pgx.Row) (account.Transaction, error) {
	var (
		t                    account.Transaction
		amount, balanceAfter int64
		created              time.Time
	)
	err := row.Scan(&t.ID, &t.APIKey, &t.Kind, &amount, &balanceAfter, &t.Reference,
		&t.Trx, &t.RelatedTrx, &created)
	t.Amount, t.BalanceAfter, t.CreatedAt = account.Money(amount), account.Money(balanceAfter), fromDB(created)
	return t, err
}

// Balance locks the account's row for the rest of tx and returns its
// balance and auto-reload. FOR NO KEY UPDATE is the lock an UPDATE of the
// balance takes anyway: it excludes every other money move and revoke on
// the account, yet lets foreign-key checks (a new secret, a new
// subaccount) through.
func (tx dbTx) Balance(ctx context.Context, apiKey string) (account.Money, *account.AutoReload, error) {
	var (
		balance           int64
		threshold, amount *int64
	)
	err := tx.QueryRow(ctx, `SELECT balance, reload_threshold, reload_amount
		FROM accounts WHERE api_key = $1 FOR NO KEY UPDATE`, apiKey).
		Scan(&balance, &threshold, &amount)
	if err != nil {
		return 0, nil, account.OrKeyNotFound(apiKey, err)
	}
	return account.Money(balance), autoReload(threshold, amount), nil
}

// TxByID reads the account's ledger row with that id.
func (tx dbTx) TxByID(ctx context.Context, apiKey string, id int64) (account.Transaction, error) {
	return scanTx(tx.QueryRow(ctx, `SELECT `+txColumns+`
		FROM transactions WHERE id = $1 AND api_key = $2`, id, apiKey))
}

// ReloadAmount returns the amount of the account's reload with that trx.
func (tx dbTx) ReloadAmount(ctx context.Context, apiKey, trx string) (account.Money, bool, error) {
	var amount int64
	ok, err := account.Found(tx.QueryRow(ctx, `SELECT amount FROM transactions
		WHERE trx = $1 AND api_key = $2 AND kind = 'reload'`, trx, apiKey).Scan(&amount))
	return account.Money(amount), ok, err
}

// Idempotency keys (contract section 6, account.Movement). account.Ledger
// looks the key up and records it inside the movement's own transaction,
// after the account's row is locked. A repeat racing the first attempt, on
// this instance or another, waits for that lock; when it gets it, the first
// has committed its key (and the repeat replays it) or rolled back (and the
// repeat is the first attempt). In READ COMMITTED each statement sees what
// was committed before it started, so the lookup after the lock sees the
// first attempt's key.

// LookupKey returns what the account's idempotency key recorded.
func (tx dbTx) LookupKey(ctx context.Context, apiKey, key string) (account.KeyRecord, bool, error) {
	var rec account.KeyRecord
	// COALESCE: a NULL id is 0, as account.KeyRecord has it.
	ok, err := account.Found(tx.QueryRow(ctx, `SELECT fingerprint, outcome,
			COALESCE(transaction_id, 0), COALESCE(reload_id, 0)
		FROM idempotency_keys WHERE api_key = $1 AND key = $2`, apiKey, key).
		Scan(&rec.Fingerprint, &rec.Outcome, &rec.TxID, &rec.ReloadID))
	return rec, ok, err
}

// RecordKey remembers rec. The primary key (api_key, key) refuses a second
// record even from a writer that skipped the account lock.
func (tx dbTx) RecordKey(ctx context.Context, rec account.KeyRecord) error {
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys
		(api_key, key, fingerprint, outcome, transaction_id, reload_id, created_at)
		VALUES ($1, $2, $3, $4, NULLIF($5::bigint, 0), NULLIF($6::bigint, 0), $7)`,
		rec.APIKey, rec.Key, rec.Fingerprint, rec.Outcome, rec.TxID, rec.ReloadID, rec.CreatedAt)
	return err
}

// PruneIdempotencyKeys forgets the keys created before cutoff.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune idempotency keys: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// MaxTransactions is the most rows one Transactions call returns.
const MaxTransactions = 1000

// Transactions returns up to limit (clamped to 1..MaxTransactions) of the
// account's ledger rows with an ID below before (0: from the newest),
// newest first.
func (s *Store) Transactions(ctx context.Context, apiKey string, before int64, limit int) ([]account.Transaction, error) {
	limit = min(max(limit, 1), MaxTransactions)
	if before <= 0 {
		before = math.MaxInt64
	}
	// The LEFT JOIN LATERAL tells an unknown account (no row) from one
	// without ledger rows (one row of NULLs) in a single statement, so both
	// answers come from one snapshot.
	var (
		id                   *int64
		kind, ref, trx, rel  *string
		amount, balanceAfter *int64
		created              *time.Time
	)
	txs := []account.Transaction{}
	err := s.accountRows(ctx, "transactions", apiKey, []any{&id, &kind, &amount, &balanceAfter, &ref, &trx, &rel, &created}, func() error {
		if id != nil { // nil: the account has no rows in that range
			txs = append(txs, account.Transaction{
				ID: *id, APIKey: apiKey, Kind: *kind, Amount: account.Money(*amount),
				BalanceAfter: account.Money(*balanceAfter), Reference: *ref, Trx: *trx, RelatedTrx: *rel,
				CreatedAt: fromDB(*created),
			})
		}
		return nil
	}, `SELECT t.id, t.kind, t.amount, t.balance_after, t.reference,
			COALESCE(t.trx, ''), COALESCE(t.related_trx, ''), t.created_at
		FROM accounts a LEFT JOIN LATERAL (
			SELECT * FROM transactions
			WHERE api_key = a.api_key AND id < $2
			ORDER BY id DESC
			LIMIT $3
		) t ON true
		WHERE a.api_key = $1
		ORDER BY t.id DESC`, apiKey, before, limit)
	if err != nil {
		return nil, err
	}
	return txs, nil
}
