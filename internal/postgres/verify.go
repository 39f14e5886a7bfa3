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
	var check account.LedgerCheck
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		// Reading every row is not a stuck request: only ctx bounds it.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		// COLLATE "C": byte order, as SQLite sorts, whatever the
		// database's collation.
		var (
			key                        string
			id                         int64
			balance, amount64, after64 int64
		)
		rows, err := tx.Query(ctx, `SELECT api_key, balance FROM accounts ORDER BY api_key COLLATE "C"`)
		if err != nil {
			return err
		}
		if _, err := pgx.ForEachRow(rows, []any{&key, &balance}, func() error {
			check.Account(key, account.Money(balance))
			return nil
		}); err != nil {
			return err
		}

		rows, err = tx.Query(ctx, `SELECT id, api_key, amount, balance_after
			FROM transactions ORDER BY api_key COLLATE "C", id`)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&id, &key, &amount64, &after64}, func() error {
			check.Row(id, key, account.Money(amount64), account.Money(after64))
			return nil
		})
		return err
	})
	if err != nil {
		return account.LedgerReport{}, fmt.Errorf("postgres: verify ledger: %w", err)
	}
	return check.Report(), nil
}
