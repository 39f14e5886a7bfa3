package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// VerifyLedger checks, in one snapshot, that every account's ledger rows
// chain (each balance_after is the previous one plus the row's amount,
// starting from zero, and never negative) and add up to its balance. The
// schema's triggers already refuse any write that would break this; the
// check proves it for a database that anything may have touched (a restored
// dump, triggers disabled by session_replication_role). It reports what
// internal/sqlite reports, in the same order.
func (s *Store) VerifyLedger(ctx context.Context) (account.LedgerReport, error) {
	var rep account.LedgerReport
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		// Reading every row is not a stuck request: only ctx bounds it.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		// COLLATE "C": byte order, as SQLite sorts, whatever the
		// database's collation.
		balances := map[string]account.Money{}
		var keys []string // in key order, so the report is stable
		var (
			key     string
			balance int64
		)
		rows, err := tx.Query(ctx, `SELECT api_key, balance FROM accounts ORDER BY api_key COLLATE "C"`)
		if err != nil {
			return err
		}
		if _, err := pgx.ForEachRow(rows, []any{&key, &balance}, func() error {
			balances[key] = account.Money(balance)
			keys = append(keys, key)
			return nil
		}); err != nil {
			return err
		}
		rep.Accounts = len(keys)

		sums := make(map[string]account.Money, len(keys))
		var (
			id                int64
			amount64, after64 int64
		)
		rows, err = tx.Query(ctx, `SELECT id, api_key, amount, balance_after
			FROM transactions ORDER BY api_key COLLATE "C", id`)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&id, &key, &amount64, &after64}, func() error {
			amount, after := account.Money(amount64), account.Money(after64)
			rep.Rows++
			prev := sums[key]
			sum, err := add(prev, amount)
			if err != nil {
				rep.Problems = append(rep.Problems, account.LedgerProblem{APIKey: key, TransactionID: id,
					Message: "the ledger's running sum overflows"})
				sum = prev
			}
			sums[key] = sum
			if after != sum {
				rep.Problems = append(rep.Problems, account.LedgerProblem{APIKey: key, TransactionID: id,
					Message: "balance_after " + after.String() + " does not follow from the rows before (" +
						prev.String() + " plus " + amount.String() + " is " + sum.String() + ")"})
			}
			if after < 0 {
				rep.Problems = append(rep.Problems, account.LedgerProblem{APIKey: key, TransactionID: id,
					Message: "balance_after " + after.String() + " is negative"})
			}
			if _, ok := balances[key]; !ok {
				rep.Problems = append(rep.Problems, account.LedgerProblem{APIKey: key, TransactionID: id,
					Message: "the row belongs to no account"})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, key := range keys {
			if balances[key] != sums[key] {
				rep.Problems = append(rep.Problems, account.LedgerProblem{APIKey: key,
					Message: "balance " + balances[key].String() + " differs from the sum of its ledger rows, " + sums[key].String()})
			}
		}
		return nil
	})
	if err != nil {
		return account.LedgerReport{}, fmt.Errorf("postgres: verify ledger: %w", err)
	}
	return rep, nil
}
