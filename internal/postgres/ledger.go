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
// balance_after against the balance and move the balance with it, so the Go
// code below only decides which rows to write. Each method locks the
// account's row before reading its balance, so money moves on one account
// take turns across every instance.

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

func positive(amount account.Money) error {
	if amount <= 0 {
		return account.Invalid("amount", "must be greater than zero")
	}
	return nil
}

// insufficient is the refusal of a charge of amount. A replayed refusal
// builds it again from the same amount, so both answers read alike.
func insufficient(amount account.Money) error {
	return account.Errorf(account.EFUNDS, "insufficient funds for a charge of %s", amount)
}

// Credit adds m.Amount to the balance.
func (s *Store) Credit(ctx context.Context, m account.Movement) (account.MoveResult, error) {
	return s.move(ctx, "credit", account.KindCredit, m, func(tx pgx.Tx, balance account.Money, _ *account.AutoReload) (account.MoveResult, error) {
		after, err := account.AddMoney(balance, m.Amount)
		if err != nil {
			return account.MoveResult{}, err
		}
		t, err := insertTx(ctx, tx, account.Transaction{
			APIKey: m.APIKey, Kind: account.KindCredit, Amount: m.Amount, BalanceAfter: after,
			Reference: m.Reference, CreatedAt: m.Now,
		})
		return account.MoveResult{Transaction: t}, err
	})
}

// Charge takes m.Amount from the balance, reloading first when auto-reload
// is on and the charge takes the balance below the threshold. The reload
// row comes first, so no row's balance_after is ever negative.
func (s *Store) Charge(ctx context.Context, m account.Movement) (account.MoveResult, error) {
	return s.move(ctx, "charge", account.KindCharge, m, func(tx pgx.Tx, balance account.Money, ar *account.AutoReload) (account.MoveResult, error) {
		after := balance - m.Amount // both non-negative: cannot overflow
		reloadBy := account.Money(0)
		if ar != nil && after < ar.Threshold {
			reloadBy = ar.Amount
		}
		final, err := account.AddMoney(after, reloadBy)
		if err != nil {
			return account.MoveResult{}, err
		}
		if final < 0 {
			// Nothing has been written by this movement.
			return account.MoveResult{}, insufficient(m.Amount)
		}
		var res account.MoveResult
		if reloadBy > 0 {
			r, err := insertTx(ctx, tx, account.Transaction{
				APIKey: m.APIKey, Kind: account.KindReload, Amount: reloadBy, BalanceAfter: balance + reloadBy,
				Reference: "auto-reload", Trx: account.NewTrx(), CreatedAt: m.Now,
			})
			if err != nil {
				return account.MoveResult{}, err
			}
			res.Reload = &r
		}
		res.Transaction, err = insertTx(ctx, tx, account.Transaction{
			APIKey: m.APIKey, Kind: account.KindCharge, Amount: -m.Amount, BalanceAfter: final,
			Reference: m.Reference, CreatedAt: m.Now,
		})
		return res, err
	})
}

// TopUp adds the amount of the account's reload trx again, as a top-up row
// with a fresh trx that points at the reload.
func (s *Store) TopUp(ctx context.Context, apiKey, trx string, now time.Time) (account.Transaction, error) {
	var t account.Transaction
	err := s.write(ctx, "top up", func(tx pgx.Tx) error {
		balance, ar, err := lockBalance(ctx, tx, apiKey)
		if err != nil {
			return err
		}
		if ar == nil {
			return account.Errorf(account.EAUTORELOADOFF, "not auto-reload enabled")
		}
		var amount int64
		err = tx.QueryRow(ctx, `SELECT amount FROM transactions
			WHERE trx = $1 AND api_key = $2 AND kind = 'reload'`, trx, apiKey).Scan(&amount)
		if errors.Is(err, pgx.ErrNoRows) {
			return account.Invalid("trx", "is not a reload of this account")
		}
		if err != nil {
			return err
		}
		after, err := account.AddMoney(balance, account.Money(amount))
		if err != nil {
			return err
		}
		t, err = insertTx(ctx, tx, account.Transaction{
			APIKey: apiKey, Kind: account.KindTopUp, Amount: account.Money(amount), BalanceAfter: after,
			Trx: account.NewTrx(), RelatedTrx: trx, CreatedAt: now,
		})
		return err
	})
	if err != nil {
		return account.Transaction{}, err
	}
	return t, nil
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
