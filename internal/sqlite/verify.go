package sqlite

import (
	"context"
	"database/sql"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// VerifyLedger checks, in one snapshot, that every account's ledger rows
// chain (each balance_after is the previous one plus the row's amount,
// starting from zero, and never negative) and add up to its balance. The
// schema's triggers already refuse any write that would break this; the
// check proves it for a file that anything may have touched.
func (s *Store) VerifyLedger(ctx context.Context) (account.LedgerReport, error) {
	var rep account.LedgerReport
	err := s.read(ctx, "verify ledger", func(tx *sql.Tx) error {
		var check account.LedgerCheck
		rows, err := tx.QueryContext(ctx, `SELECT api_key, balance FROM accounts ORDER BY api_key`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var key string
			var balance account.Money
			if err := rows.Scan(&key, &balance); err != nil {
				rows.Close()
				return err
			}
			check.Account(key, balance)
		}
		if err := rows.Close(); err != nil {
			return err
		}

		rows, err = tx.QueryContext(ctx, `SELECT id, api_key, amount, balance_after
			FROM transactions ORDER BY api_key, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id            int64
				key           string
				amount, after account.Money
			)
			if err := rows.Scan(&id, &key, &amount, &after); err != nil {
				return err
			}
			check.Row(id, key, amount, after)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rep = check.Report()
		return nil
	})
	if err != nil {
		return account.LedgerReport{}, err
	}
	return rep, nil
}
