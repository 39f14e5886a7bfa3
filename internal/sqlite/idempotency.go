package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Idempotency keys (contract section 6, account.Movement). The key is
// looked up and recorded inside the movement's own write transaction. Writes
// are serialised (one connection, BEGIN IMMEDIATE; another process waits on
// SQLite's lock), so a repeat that races the first attempt simply runs after
// it and finds its key: there is no window in which both could move money.

// The outcomes an idempotency key can record.
const (
	outcomeOK    = "ok"
	outcomeFunds = "insufficient_funds"
)

// priorAttempt is what an idempotency key recorded.
type priorAttempt struct {
	fingerprint string
	outcome     string
	txID        sql.NullInt64
	reloadID    sql.NullInt64
}

// move runs one money movement in a write transaction. apply does the work
// and may return EFUNDS having written nothing. With m.IdempotencyKey set,
// move replays a recorded outcome instead of calling apply, or records the
// outcome apply produced; a refused charge commits only its key, so the
// refusal is remembered too.
func (s *Store) move(ctx context.Context, op, kind string, m account.Movement,
	apply func(tx *sql.Tx) (account.MoveResult, error)) (account.MoveResult, error) {
	if err := positive(m.Amount); err != nil {
		return account.MoveResult{}, err
	}
	var (
		res     account.MoveResult
		refusal error // EFUNDS, returned after the key that records it is committed
	)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		res, refusal = account.MoveResult{}, nil
		if m.IdempotencyKey != "" {
			prior, found, err := lookupKey(ctx, tx, m.APIKey, m.IdempotencyKey)
			if err != nil {
				return err
			}
			if found {
				res, err = replay(ctx, tx, kind, m, prior)
				if account.ErrorCode(err) == account.EFUNDS {
					refusal, err = err, nil
				}
				return err
			}
		}
		r, err := apply(tx)
		if account.ErrorCode(err) == account.EFUNDS && m.IdempotencyKey != "" {
			refusal = err
			return recordKey(ctx, tx, m, outcomeFunds, account.MoveResult{})
		}
		if err != nil {
			return err
		}
		res = r
		if m.IdempotencyKey != "" {
			return recordKey(ctx, tx, m, outcomeOK, r)
		}
		return nil
	})
	if err != nil {
		return account.MoveResult{}, err
	}
	return res, refusal
}

// lookupKey returns what the account's key recorded, if anything.
func lookupKey(ctx context.Context, tx *sql.Tx, apiKey, key string) (priorAttempt, bool, error) {
	var p priorAttempt
	err := tx.QueryRowContext(ctx, `SELECT fingerprint, outcome, transaction_id, reload_id
		FROM idempotency_keys WHERE api_key = ? AND key = ?`, apiKey, key).
		Scan(&p.fingerprint, &p.outcome, &p.txID, &p.reloadID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}

// recordKey remembers the outcome of the movement m under its key.
func recordKey(ctx context.Context, tx *sql.Tx, m account.Movement, outcome string, r account.MoveResult) error {
	var txID, reloadID sql.NullInt64
	if outcome == outcomeOK {
		txID = sql.NullInt64{Int64: r.Transaction.ID, Valid: true}
	}
	if r.Reload != nil {
		reloadID = sql.NullInt64{Int64: r.Reload.ID, Valid: true}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys
		(api_key, key, fingerprint, outcome, transaction_id, reload_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.APIKey, m.IdempotencyKey, m.Fingerprint, outcome, txID, reloadID, toDB(m.Now))
	return err
}

// replay answers a repeat of a recorded attempt: the same ledger rows, or
// the same EFUNDS, with Replayed set. A different request under the same
// key is ECONFLICT. Besides the fingerprint, the recorded rows must be of
// the kind asked for, so a credit can never replay a charge even when a
// caller passes no fingerprint.
func replay(ctx context.Context, tx *sql.Tx, kind string, m account.Movement, p priorAttempt) (account.MoveResult, error) {
	conflict := account.Errorf(account.ECONFLICT,
		"the Idempotency-Key was already used for a different request; use a new key for a new request")
	if p.fingerprint != m.Fingerprint {
		return account.MoveResult{}, conflict
	}
	res := account.MoveResult{Replayed: true}
	switch p.outcome {
	case outcomeFunds:
		if kind != account.KindCharge {
			return account.MoveResult{}, conflict
		}
		return res, insufficient(m.Amount)
	case outcomeOK:
	default:
		return account.MoveResult{}, fmt.Errorf("idempotency key with unknown outcome %q", p.outcome)
	}
	t, err := txByID(ctx, tx, m.APIKey, p.txID.Int64)
	if err != nil {
		return account.MoveResult{}, err
	}
	if t.Kind != kind {
		return account.MoveResult{}, conflict
	}
	res.Transaction = t
	if p.reloadID.Valid {
		r, err := txByID(ctx, tx, m.APIKey, p.reloadID.Int64)
		if err != nil {
			return account.MoveResult{}, err
		}
		res.Reload = &r
	}
	return res, nil
}

// txByID reads one of the account's ledger rows.
func txByID(ctx context.Context, tx *sql.Tx, apiKey string, id int64) (account.Transaction, error) {
	t, err := scanTx(tx.QueryRowContext(ctx, `SELECT `+txColumns+`
		FROM transactions WHERE id = ? AND api_key = ?`, id, apiKey))
	if err != nil {
		return account.Transaction{}, fmt.Errorf("ledger row %d of a recorded idempotency key: %w", id, err)
	}
	return t, nil
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
