package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"

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

// insertTx appends t to the ledger and returns it with its ID.
func insertTx(ctx context.Context, tx *sql.Tx, t account.Transaction) (account.Transaction, error) {
	err := tx.QueryRowContext(ctx, `INSERT INTO transactions
		(api_key, kind, amount, balance_after, reference, trx, related_trx, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		t.APIKey, t.Kind, int64(t.Amount), int64(t.BalanceAfter), t.Reference,
		nullString(t.Trx), nullString(t.RelatedTrx), toDB(t.CreatedAt)).Scan(&t.ID)
	return t, err
}

// balanceOf reads the account's balance and auto-reload inside tx, or
// ENOTFOUND.
func balanceOf(ctx context.Context, tx *sql.Tx, apiKey string) (account.Money, *account.AutoReload, error) {
	var (
		balance           account.Money
		threshold, amount sql.NullInt64
	)
	err := tx.QueryRowContext(ctx,
		`SELECT balance, reload_threshold, reload_amount FROM accounts WHERE api_key = ?`, apiKey).
		Scan(&balance, &threshold, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, notFound(apiKey)
	}
	if err != nil {
		return 0, nil, err
	}
	var ar *account.AutoReload
	if threshold.Valid && amount.Valid {
		ar = &account.AutoReload{Threshold: account.Money(threshold.Int64), Amount: account.Money(amount.Int64)}
	}
	return balance, ar, nil
}

// ledgerTx is a write transaction as the money rules (account.Ledger) use
// it.
type ledgerTx struct{ tx *sql.Tx }

// inLedgerTx runs fn in a write transaction: account.Ledger's InTx.
func (s *Store) inLedgerTx(ctx context.Context, op string, fn func(account.LedgerTx) error) error {
	return s.write(ctx, op, func(tx *sql.Tx) error { return fn(ledgerTx{tx}) })
}

func (l ledgerTx) Balance(ctx context.Context, apiKey string) (account.Money, *account.AutoReload, error) {
	return balanceOf(ctx, l.tx, apiKey)
}

func (l ledgerTx) Insert(ctx context.Context, t account.Transaction) (account.Transaction, error) {
	return insertTx(ctx, l.tx, t)
}

func (l ledgerTx) TxByID(ctx context.Context, apiKey string, id int64) (account.Transaction, error) {
	return scanTx(l.tx.QueryRowContext(ctx, `SELECT `+txColumns+`
		FROM transactions WHERE id = ? AND api_key = ?`, id, apiKey))
}

func (l ledgerTx) ReloadAmount(ctx context.Context, apiKey, trx string) (account.Money, bool, error) {
	var amount account.Money
	err := l.tx.QueryRowContext(ctx, `SELECT amount FROM transactions
		WHERE trx = ? AND api_key = ? AND kind = 'reload'`, trx, apiKey).Scan(&amount)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return amount, err == nil, err
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
	err := s.read(ctx, "transactions", func(tx *sql.Tx) error {
		ok, err := accountExists(ctx, tx, apiKey)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(apiKey)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+txColumns+`
			FROM transactions
			WHERE api_key = ? AND id < ?
			ORDER BY id DESC
			LIMIT ?`, apiKey, before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTx(rows)
			if err != nil {
				return err
			}
			txs = append(txs, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return txs, nil
}
