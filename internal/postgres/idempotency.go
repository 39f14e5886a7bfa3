package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Idempotency keys (contract section 6, account.Movement). The key is
// looked up and recorded inside the movement's own transaction, after the
// account's row is locked. A repeat racing the first attempt, on this
// instance or another, waits for that lock; when it gets it, the first has
// committed its key (and the repeat replays it) or rolled back (and the
// repeat is the first attempt). In READ COMMITTED each statement sees what
// was committed before it started, so the lookup after the lock sees the
// first attempt's key.

// The outcomes an idempotency key can record.
const (
	outcomeOK    = "ok"
	outcomeFunds = "insufficient_funds"
)

// priorAttempt is what an idempotency key recorded.
type priorAttempt struct {
	fingerprint string
	outcome     string
	txID        *int64
	reloadID    *int64
}

// move runs one money movement in a transaction. It locks the account's
// row, then apply does the work and may return EFUNDS having written
// nothing. With m.IdempotencyKey set, move replays a recorded outcome
// instead of calling apply, or records the outcome apply produced; a refused
// charge commits only its key, so the refusal is remembered too.
func (s *Store) move(ctx context.Context, op, kind string, m account.Movement,
	apply func(tx pgx.Tx, balance account.Money, ar *account.AutoReload) (account.MoveResult, error),
) (account.MoveResult, error) {
	if err := positive(m.Amount); err != nil {
		return account.MoveResult{}, err
	}
	var (
		res     account.MoveResult
		refusal error // EFUNDS, returned after the key that records it is committed
	)
	err := s.write(ctx, op, func(tx pgx.Tx) error {
		balance, ar, err := lockBalance(ctx, tx, m.APIKey)
		if err != nil {
			return err
		}
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
		r, err := apply(tx, balance, ar)
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
func lookupKey(ctx context.Context, tx pgx.Tx, apiKey, key string) (priorAttempt, bool, error) {
	var p priorAttempt
	err := tx.QueryRow(ctx, `SELECT fingerprint, outcome, transaction_id, reload_id
		FROM idempotency_keys WHERE api_key = $1 AND key = $2`, apiKey, key).
		Scan(&p.fingerprint, &p.outcome, &p.txID, &p.reloadID)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}

// recordKey remembers the outcome of the movement m under its key. The
// primary key (api_key, key) refuses a second record even from a writer
// that skipped the account lock.
func recordKey(ctx context.Context, tx pgx.Tx, m account.Movement, outcome string, r account.MoveResult) error {
	var txID, reloadID *int64
	if outcome == outcomeOK {
		txID = &r.Transaction.ID
	}
	if r.Reload != nil {
		reloadID = &r.Reload.ID
	}
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys
		(api_key, key, fingerprint, outcome, transaction_id, reload_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.APIKey, m.IdempotencyKey, m.Fingerprint, outcome, txID, reloadID, m.Now)
	return err
}

// replay answers a repeat of a recorded attempt: the same ledger rows, or
// the same EFUNDS, with Replayed set. A different request under the same
// key is ECONFLICT. Besides the fingerprint, the recorded rows must be of
// the kind asked for, so a credit can never replay a charge even when a
// caller passes no fingerprint.
func replay(ctx context.Context, tx pgx.Tx, kind string, m account.Movement, p priorAttempt) (account.MoveResult, error) {
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
	if p.txID == nil {
		return account.MoveResult{}, errors.New("idempotency key recorded as ok without its ledger row")
	}
	t, err := txByID(ctx, tx, m.APIKey, *p.txID)
	if err != nil {
		return account.MoveResult{}, err
	}
	if t.Kind != kind {
		return account.MoveResult{}, conflict
	}
	res.Transaction = t
	if p.reloadID != nil {
		r, err := txByID(ctx, tx, m.APIKey, *p.reloadID)
		if err != nil {
			return account.MoveResult{}, err
		}
		res.Reload = &r
	}
	return res, nil
}

// txByID reads one of the account's ledger rows.
func txByID(ctx context.Context, tx pgx.Tx, apiKey string, id int64) (account.Transaction, error) {
	t, err := scanTx(tx.QueryRow(ctx, `SELECT `+txColumns+`
		FROM transactions WHERE id = $1 AND api_key = $2`, id, apiKey))
	if err != nil {
		return account.Transaction{}, fmt.Errorf("ledger row %d of a recorded idempotency key: %w", id, err)
	}
	return t, nil
}

// PruneIdempotencyKeys forgets the keys created before cutoff.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune idempotency keys: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
