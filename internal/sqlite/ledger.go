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

// insufficient is the refusal of a charge of amount. A replayed refusal
// builds it again from the same amount, so both answers read alike.
func insufficient(amount account.Money) error {
	return account.Errorf(account.EFUNDS, "insufficient funds for a charge of %s", amount)
}

// Credit adds m.Amount to the balance.
func (s *Store) Credit(ctx context.Context, m account.Movement) (account.MoveResult, error) {
	return s.move(ctx, "credit", account.KindCredit, m, func(tx *sql.Tx) (account.MoveResult, error) {
		balance, _, err := balanceOf(ctx, tx, m.APIKey)
		if err != nil {
			return account.MoveResult{}, err
		}
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
	return s.move(ctx, "charge", account.KindCharge, m, func(tx *sql.Tx) (account.MoveResult, error) {
		var res account.MoveResult
		balance, ar, err := balanceOf(ctx, tx, m.APIKey)
		if err != nil {
			return res, err
		}
		after := balance - m.Amount // both non-negative: cannot overflow
		reloadBy := account.Money(0)
		if ar != nil && after < ar.Threshold {
			reloadBy = ar.Amount
		}
		final, err := account.AddMoney(after, reloadBy)
		if err != nil {
			return res, err
		}
		if final < 0 {
			// Nothing has been written by this movement.
			return res, insufficient(m.Amount)
		}
		if reloadBy > 0 {
			r, err := insertTx(ctx, tx, account.Transaction{
				APIKey: m.APIKey, Kind: account.KindReload, Amount: reloadBy, BalanceAfter: balance + reloadBy,
				Reference: "auto-reload", Trx: account.NewTrx(), CreatedAt: m.Now,
			})
			if err != nil {
				return res, err
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
		after, err := account.AddMoney(balance, amount)
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
