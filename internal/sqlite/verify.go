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
	var check account.LedgerCheck
	err := s.read(ctx, "verify ledger", func(tx dbTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT api_key, balance FROM accounts ORDER BY api_key`)
		if err != nil {
			return err
		}
		if _, err := eachRow(rows, func(row *sql.Rows) error {
			var key string
			var balance account.Money
			if err := row.Scan(&key, &balance); err != nil {
				return err
			}
			check.Account(key, balance)
			return nil
		}); err != nil {
			return err
		}

		rows, err = tx.QueryContext(ctx, `SELECT id, api_key, amount, balance_after
			FROM transactions ORDER BY api_key, id`)
		if err != nil {
			return err
		}
		_, err = eachRow(rows, func(row *sql.Rows) error {
			var (
				id            int64
				key           string
				amount, after account.Money
			)
			if err := row.Scan(&id, &key, &amount, &after); err != nil {
				return err
			}
			check.Row(id, key, amount, after)
			return nil
		})
		return err
	})
	if err != nil {
		return account.LedgerReport{}, err
	}
	return check.Report(), nil
}
