package sqlite

import (
	"context"
	"database/sql"
	"math"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The ledger (contract section 5). Every change of a balance is one row of
// the transactions table; the schema's triggers check each row's
// balance_after against the balance and move the balance with it.
// account.Ledger decides which rows to write (Credit, Charge, TopUp); the
// code below reads and writes them. Writes are serialised (one connection,
// BEGIN IMMEDIATE), so a balance read in a write transaction holds until it
// commits.

const txColumns = `id, api_key, kind, amount, balance_after, reference,
	COALESCE(trx, ''), COALESCE(related_trx, ''), created_at`

// scanTx reads one row of txColumns.
func scanTx(row interface{ Scan(...any) error }) (account.Transaction, error) {
	var (
		t       account.Transaction
		created int64
	)
	err := row.Scan(&t.ID, &t.APIKey, &t.Kind, &t.Amount, &t.BalanceAfter, &t.Reference,
		&t.Trx, &t.RelatedTrx, &created)
	t.CreatedAt = fromDB(created)
	return t, err
}

// Insert appends t to the ledger and returns it with its ID.
func (tx dbTx) Insert(ctx context.Context, t account.Transaction) (account.Transaction, error) {
	// The id is the row's rowid, as last_insert_rowid reports it (the
	// triggers' writes do not change it); RETURNING would cost SQLite a
	// temporary table per row.
	r, err := tx.exec(ctx, stInsertTx,
		t.APIKey, t.Kind, int64(t.Amount), int64(t.BalanceAfter), t.Reference,
		nullString(t.Trx), nullString(t.RelatedTrx), toDB(t.CreatedAt))
	if err == nil {
		t.ID, err = r.LastInsertId()
	}
	if err == nil {
		tx.ch.setBalance(t.APIKey, t.BalanceAfter)
	}
	return t, err
}

// Balance reads the account's balance and auto-reload, or ENOTFOUND. It
// needs no lock: writes already take turns.
func (tx dbTx) Balance(ctx context.Context, apiKey string) (account.Money, *account.AutoReload, error) {
	var (
		balance           account.Money
		threshold, amount sql.NullInt64
	)
	err := tx.queryRow(ctx, stBalance, apiKey).Scan(&balance, &threshold, &amount)
	if err != nil {
		return 0, nil, account.OrKeyNotFound(apiKey, err)
	}
	var ar *account.AutoReload
	if threshold.Valid && amount.Valid {
		ar = &account.AutoReload{Threshold: account.Money(threshold.Int64), Amount: account.Money(amount.Int64)}
	}
	return balance, ar, nil
}

// TxByID reads the account's ledger row with that id.
func (tx dbTx) TxByID(ctx context.Context, apiKey string, id int64) (account.Transaction, error) {
	return scanTx(tx.queryRow(ctx, stTxByID, id, apiKey))
}

// ReloadAmount returns the amount of the account's reload with that trx.
func (tx dbTx) ReloadAmount(ctx context.Context, apiKey, trx string) (account.Money, bool, error) {
	var amount account.Money
	ok, err := account.Found(tx.queryRow(ctx, stReloadAmount, trx, apiKey).Scan(&amount))
	return amount, ok, err
}

// Idempotency keys (contract section 6, account.Movement). account.Ledger
// looks the key up and records it inside the movement's own write
// transaction. Writes are serialised (one connection, BEGIN IMMEDIATE,
// one process owning the file), so a repeat that races the first attempt
// runs after it, in a later batch or later in the same one, and finds its
// key: there is no window in which both could move money.

// LookupKey returns what the account's idempotency key recorded.
func (tx dbTx) LookupKey(ctx context.Context, apiKey, key string) (account.KeyRecord, bool, error) {
	var (
		rec            account.KeyRecord
		txID, reloadID sql.NullInt64
	)
	ok, err := account.Found(tx.queryRow(ctx, stLookupKey, apiKey, key).
		Scan(&rec.Fingerprint, &rec.Outcome, &txID, &reloadID))
	rec.TxID, rec.ReloadID = txID.Int64, reloadID.Int64 // NULL: 0
	return rec, ok, err
}

// RecordKey remembers rec.
func (tx dbTx) RecordKey(ctx context.Context, rec account.KeyRecord) error {
	_, err := tx.exec(ctx, stRecordKey,
		rec.APIKey, rec.Key, rec.Fingerprint, rec.Outcome, rec.TxID, rec.ReloadID, toDB(rec.CreatedAt))
	return err
}

// PruneIdempotencyKeys forgets the keys created before cutoff.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "prune idempotency keys", func(tx dbTx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, toDB(cutoff))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
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
	txs := []account.Transaction{}
	err := s.read(ctx, "transactions", func(tx dbTx) error {
		ok, err := tx.accountExists(ctx, apiKey)
		if err != nil {
			return err
		}
		if !ok {
			return account.KeyNotFound(apiKey)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+txColumns+`
			FROM transactions
			WHERE api_key = ? AND id < ?
			ORDER BY id DESC
			LIMIT ?`, apiKey, before, limit)
		if err != nil {
			return err
		}
		_, err = eachRow(rows, func(row *sql.Rows) error {
			t, err := scanTx(row)
			if err != nil {
				return err
			}
			txs = append(txs, t)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return txs, nil
}
