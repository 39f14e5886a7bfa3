package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The ledger (contract section 5). Every change of a balance is one row of
// the transactions table; the schema's triggers check each row's
// balance_after against the balance and move the balance with it, so the Go
// code below only decides which rows to write.

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

// balanceOf reads the account's balance and auto-reload inside tx.
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

func positive(amount account.Money) error {
	if amount <= 0 {
		return account.Invalid("amount", "must be greater than zero")
	}
	return nil
}

// add returns balance+amount, or EINVALID when the sum would not fit.
func add(balance, amount account.Money) (account.Money, error) {
	if amount > 0 && balance > math.MaxInt64-amount {
		return 0, account.Invalid("amount", "would take the balance beyond the largest amount an account can hold")
	}
	return balance + amount, nil
}

// Credit adds amount to the balance.
func (s *Store) Credit(ctx context.Context, apiKey string, amount account.Money, reference string, now time.Time) (account.Transaction, error) {
	if err := positive(amount); err != nil {
		return account.Transaction{}, err
	}
	var t account.Transaction
	err := s.write(ctx, "credit", func(tx *sql.Tx) error {
		balance, _, err := balanceOf(ctx, tx, apiKey)
		if err != nil {
			return err
		}
		after, err := add(balance, amount)
		if err != nil {
			return err
		}
		t, err = insertTx(ctx, tx, account.Transaction{
			APIKey: apiKey, Kind: account.KindCredit, Amount: amount, BalanceAfter: after,
			Reference: reference, CreatedAt: now,
		})
		return err
	})
	if err != nil {
		return account.Transaction{}, err
	}
	return t, nil
}

// Charge takes amount from the balance, reloading first when auto-reload
// is on and the charge takes the balance below the threshold. The reload
// row comes first, so no row's balance_after is ever negative.
func (s *Store) Charge(ctx context.Context, apiKey string, amount account.Money, reference string, now time.Time) (account.Transaction, *account.Transaction, error) {
	if err := positive(amount); err != nil {
		return account.Transaction{}, nil, err
	}
	var (
		charge account.Transaction
		reload *account.Transaction
	)
	err := s.write(ctx, "charge", func(tx *sql.Tx) error {
		balance, ar, err := balanceOf(ctx, tx, apiKey)
		if err != nil {
			return err
		}
		after := balance - amount // both non-negative: cannot overflow
		reloadBy := account.Money(0)
		if ar != nil && after < ar.Threshold {
			reloadBy = ar.Amount
		}
		final, err := add(after, reloadBy)
		if err != nil {
			return err
		}
		if final < 0 {
			// Nothing has been written yet; the deferred rollback ends the
			// transaction.
			return account.Errorf(account.EFUNDS, "insufficient funds for a charge of %s", amount)
		}
		if reloadBy > 0 {
			r, err := insertTx(ctx, tx, account.Transaction{
				APIKey: apiKey, Kind: account.KindReload, Amount: reloadBy, BalanceAfter: balance + reloadBy,
				Reference: "auto-reload", Trx: account.NewTrx(), CreatedAt: now,
			})
			if err != nil {
				return err
			}
			reload = &r
		}
		charge, err = insertTx(ctx, tx, account.Transaction{
			APIKey: apiKey, Kind: account.KindCharge, Amount: -amount, BalanceAfter: final,
			Reference: reference, CreatedAt: now,
		})
		return err
	})
	if err != nil {
		return account.Transaction{}, nil, err
	}
	return charge, reload, nil
}

// TopUp adds the amount of the account's reload trx again, as a top-up row
// with a fresh trx that points at the reload.
func (s *Store) TopUp(ctx context.Context, apiKey, trx string, now time.Time) (account.Transaction, error) {
	var t account.Transaction
	err := s.write(ctx, "top up", func(tx *sql.Tx) error {
		balance, ar, err := balanceOf(ctx, tx, apiKey)
		if err != nil {
			return err
		}
		if ar == nil {
			return account.Errorf(account.EAUTORELOADOFF, "not auto-reload enabled")
		}
		var amount account.Money
		err = tx.QueryRowContext(ctx, `SELECT amount FROM transactions
			WHERE trx = ? AND api_key = ? AND kind = 'reload'`, trx, apiKey).Scan(&amount)
		if errors.Is(err, sql.ErrNoRows) {
			return account.Invalid("trx", "is not a reload of this account")
		}
		if err != nil {
			return err
		}
		after, err := add(balance, amount)
		if err != nil {
			return err
		}
		t, err = insertTx(ctx, tx, account.Transaction{
			APIKey: apiKey, Kind: account.KindTopUp, Amount: amount, BalanceAfter: after,
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
	txs := []account.Transaction{}
	err := s.read(ctx, "transactions", func(tx *sql.Tx) error {
		ok, err := accountExists(ctx, tx, apiKey)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(apiKey)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, amount, balance_after, reference,
				COALESCE(trx, ''), COALESCE(related_trx, ''), created_at
			FROM transactions
			WHERE api_key = ? AND id < ?
			ORDER BY id DESC
			LIMIT ?`, apiKey, before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := account.Transaction{APIKey: apiKey}
			var created int64
			if err := rows.Scan(&t.ID, &t.Kind, &t.Amount, &t.BalanceAfter, &t.Reference,
				&t.Trx, &t.RelatedTrx, &created); err != nil {
				return err
			}
			t.CreatedAt = fromDB(created)
			txs = append(txs, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return txs, nil
}
