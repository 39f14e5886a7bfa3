package postgres

import (
	"context"
	"errors"
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

// insertTx appends t to the ledger and returns it with its ID.
func insertTx(ctx context.Context, tx pgx.Tx, t account.Transaction) (account.Transaction, error) {
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

// lockBalance locks the account's row for the rest of tx and returns its
// balance and auto-reload. FOR NO KEY UPDATE is the lock an UPDATE of the
// balance takes anyway: it excludes every other money move and revoke on
// the account, yet lets foreign-key checks (a new secret, a new
// subaccount) through.
func lockBalance(ctx context.Context, tx pgx.Tx, apiKey string) (account.Money, *account.AutoReload, error) {
	var (
		balance           int64
		threshold, amount *int64
	)
	err := tx.QueryRow(ctx, `SELECT balance, reload_threshold, reload_amount
		FROM accounts WHERE api_key = $1 FOR NO KEY UPDATE`, apiKey).
		Scan(&balance, &threshold, &amount)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, notFound(apiKey)
	}
	if err != nil {
		return 0, nil, err
	}
	return account.Money(balance), autoReload(threshold, amount), nil
}

// ledgerTx is a write transaction as the money rules (account.Ledger) use
// it.
type ledgerTx struct{ tx pgx.Tx }

// inLedgerTx runs fn in a write transaction: account.Ledger's InTx.
func (s *Store) inLedgerTx(ctx context.Context, op string, fn func(account.LedgerTx) error) error {
	return s.write(ctx, op, func(tx pgx.Tx) error { return fn(ledgerTx{tx}) })
}

// Balance locks the account's row (see lockBalance).
func (l ledgerTx) Balance(ctx context.Context, apiKey string) (account.Money, *account.AutoReload, error) {
	return lockBalance(ctx, l.tx, apiKey)
}

func (l ledgerTx) Insert(ctx context.Context, t account.Transaction) (account.Transaction, error) {
	return insertTx(ctx, l.tx, t)
}

func (l ledgerTx) TxByID(ctx context.Context, apiKey string, id int64) (account.Transaction, error) {
	return scanTx(l.tx.QueryRow(ctx, `SELECT `+txColumns+`
		FROM transactions WHERE id = $1 AND api_key = $2`, id, apiKey))
}

func (l ledgerTx) ReloadAmount(ctx context.Context, apiKey, trx string) (account.Money, bool, error) {
	var amount int64
	err := l.tx.QueryRow(ctx, `SELECT amount FROM transactions
		WHERE trx = $1 AND api_key = $2 AND kind = 'reload'`, trx, apiKey).Scan(&amount)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return account.Money(amount), err == nil, err
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
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.kind, t.amount, t.balance_after, t.reference,
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
		return nil, fmt.Errorf("postgres: transactions: %w", err)
	}
	defer rows.Close()
	found := false
	txs := []account.Transaction{}
	for rows.Next() {
		found = true
		var (
			id                   *int64
			kind, ref, trx, rel  *string
			amount, balanceAfter *int64
			created              *time.Time
		)
		if err := rows.Scan(&id, &kind, &amount, &balanceAfter, &ref, &trx, &rel, &created); err != nil {
			return nil, fmt.Errorf("postgres: transactions: %w", err)
		}
		if id == nil {
			continue // the account has no rows in that range
		}
		txs = append(txs, account.Transaction{
			ID: *id, APIKey: apiKey, Kind: *kind, Amount: account.Money(*amount),
			BalanceAfter: account.Money(*balanceAfter), Reference: *ref, Trx: *trx, RelatedTrx: *rel,
			CreatedAt: fromDB(*created),
		})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: transactions: %w", err)
	}
	if !found {
		return nil, notFound(apiKey)
	}
	return txs, nil
}
