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
		balances := map[string]account.Money{}
		var keys []string // in key order, so the report is stable
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
			balances[key] = balance
			keys = append(keys, key)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rep.Accounts = len(keys)

		sums := make(map[string]account.Money, len(keys))
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
		}
		if err := rows.Err(); err != nil {
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
		return account.LedgerReport{}, err
	}
	return rep, nil
}
