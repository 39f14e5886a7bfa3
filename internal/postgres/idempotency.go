package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Idempotency keys (contract section 6, account.Movement). account.Ledger
// looks the key up and records it inside the movement's own transaction,
// after the account's row is locked. A repeat racing the first attempt, on
// this instance or another, waits for that lock; when it gets it, the first
// has committed its key (and the repeat replays it) or rolled back (and the
// repeat is the first attempt). In READ COMMITTED each statement sees what
// was committed before it started, so the lookup after the lock sees the
// first attempt's key.

func (l ledgerTx) LookupKey(ctx context.Context, apiKey, key string) (account.KeyRecord, bool, error) {
	var (
		rec            account.KeyRecord
		txID, reloadID *int64
	)
	err := l.tx.QueryRow(ctx, `SELECT fingerprint, outcome, transaction_id, reload_id
		FROM idempotency_keys WHERE api_key = $1 AND key = $2`, apiKey, key).
		Scan(&rec.Fingerprint, &rec.Outcome, &txID, &reloadID)
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, false, nil
	}
	if txID != nil {
		rec.TxID = *txID
	}
	if reloadID != nil {
		rec.ReloadID = *reloadID
	}
	return rec, err == nil, err
}

// RecordKey remembers rec. The primary key (api_key, key) refuses a second
// record even from a writer that skipped the account lock.
func (l ledgerTx) RecordKey(ctx context.Context, rec account.KeyRecord) error {
	_, err := l.tx.Exec(ctx, `INSERT INTO idempotency_keys
		(api_key, key, fingerprint, outcome, transaction_id, reload_id, created_at)
		VALUES ($1, $2, $3, $4, NULLIF($5::bigint, 0), NULLIF($6::bigint, 0), $7)`,
		rec.APIKey, rec.Key, rec.Fingerprint, rec.Outcome, rec.TxID, rec.ReloadID, rec.CreatedAt)
	return err
}

// PruneIdempotencyKeys forgets the keys created before cutoff.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune idempotency keys: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
