package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Idempotency keys (contract section 6, account.Movement). account.Ledger
// looks the key up and records it inside the movement's own write
// transaction. Writes are serialised (one connection, BEGIN IMMEDIATE;
// another process waits on SQLite's lock), so a repeat that races the
// first attempt simply runs after it and finds its key: there is no window
// in which both could move money.

func (l ledgerTx) LookupKey(ctx context.Context, apiKey, key string) (account.KeyRecord, bool, error) {
	var (
		rec            account.KeyRecord
		txID, reloadID sql.NullInt64
	)
	err := l.tx.QueryRowContext(ctx, `SELECT fingerprint, outcome, transaction_id, reload_id
		FROM idempotency_keys WHERE api_key = ? AND key = ?`, apiKey, key).
		Scan(&rec.Fingerprint, &rec.Outcome, &txID, &reloadID)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, false, nil
	}
	rec.TxID, rec.ReloadID = txID.Int64, reloadID.Int64 // NULL: 0
	return rec, err == nil, err
}

func (l ledgerTx) RecordKey(ctx context.Context, rec account.KeyRecord) error {
	_, err := l.tx.ExecContext(ctx, `INSERT INTO idempotency_keys
		(api_key, key, fingerprint, outcome, transaction_id, reload_id, created_at)
		VALUES (?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?)`,
		rec.APIKey, rec.Key, rec.Fingerprint, rec.Outcome, rec.TxID, rec.ReloadID, toDB(rec.CreatedAt))
	return err
}

// PruneIdempotencyKeys forgets the keys created before cutoff.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "prune idempotency keys", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, toDB(cutoff))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
