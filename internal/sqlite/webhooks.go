package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The queue of callback deliveries (account.WebhookStore). One process
// owns a SQLite file, so a claim never meets another instance's; the
// lease and claim numbers still fence a worker that outlived its lease.

// SetWebhookMethod sets the account's webhook method.
func (s *Store) SetWebhookMethod(ctx context.Context, apiKey, method string) error {
	return s.write(ctx, "set webhook method", func(tx dbTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET webhook_method = ? WHERE api_key = ?`, method, apiKey)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return orNotFound(apiKey, err)
		}
		return nil
	})
}

// orNotFound is err, or KeyNotFound when there is none: a write that
// touched no account row.
func orNotFound(apiKey string, err error) error {
	if err != nil {
		return err
	}
	return account.KeyNotFound(apiKey)
}

// WebhookMethod returns the account's webhook method.
func (s *Store) WebhookMethod(ctx context.Context, apiKey string) (string, error) {
	var m string
	err := s.r.QueryRowContext(ctx, `SELECT webhook_method FROM accounts WHERE api_key = ?`, apiKey).Scan(&m)
	return m, wrap("webhook method", account.OrKeyNotFound(apiKey, err))
}

// EnqueueWebhooks stores the deliveries in one transaction.
func (s *Store) EnqueueWebhooks(ctx context.Context, ds []account.Delivery) ([]int64, error) {
	ids := make([]int64, 0, len(ds))
	err := s.write(ctx, "enqueue webhooks", func(tx dbTx) error {
		for _, d := range ds {
			ok, err := tx.accountExists(ctx, d.APIKey)
			if err != nil {
				return err
			}
			if !ok {
				return account.KeyNotFound(d.APIKey)
			}
			var id int64
			err = tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries
				(api_key, kind, message_id, url, method, params, state, created_at, next_attempt_at)
				VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
				d.APIKey, d.Kind, d.MessageID, d.URL, d.Method, account.EncodeParams(d.Params),
				toDB(d.CreatedAt), toDB(d.NextAttemptAt)).Scan(&id)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// ClaimWebhooks claims due deliveries for lease.
func (s *Store) ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]account.Delivery, error) {
	// Workers poll often: a read on the read pool answers "nothing due"
	// without taking the one writer.
	var due int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries
		WHERE state = 'pending' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) LIMIT 1)`,
		toDB(now)).Scan(&due)
	if err != nil || due == 0 {
		return nil, wrap("claim webhooks", err)
	}
	var ds []account.Delivery
	err = s.write(ctx, "claim webhooks", func(tx dbTx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET claim = claim + 1, lease_until = ?1
			WHERE id IN (SELECT id FROM webhook_deliveries
				WHERE state = 'pending' AND next_attempt_at <= ?2 AND (lease_until IS NULL OR lease_until <= ?2)
				ORDER BY next_attempt_at, id LIMIT ?3)
			RETURNING id, api_key, kind, message_id, url, method, params, state, created_at, next_attempt_at, claim,
				(SELECT count(*) FROM webhook_attempts t WHERE t.delivery_id = webhook_deliveries.id),
				(SELECT max_inbound_request FROM accounts a WHERE a.api_key = webhook_deliveries.api_key)`,
			toDB(now.Add(lease)), toDB(now), limit)
		if err != nil {
			return err
		}
		_, err = eachRow(rows, func(row *sql.Rows) error {
			d, err := scanDelivery(row, &claimCols{})
			ds = append(ds, d)
			return err
		})
		return err
	})
	return ds, err
}

// claimCols holds the claim's extra columns while scanning.
type claimCols struct{ claim, tries, maxPerSecond int64 }

// scanDelivery reads a delivery row; with extra, its claim, its tries
// and the account's max-inbound-request follow.
func scanDelivery(row *sql.Rows, extra *claimCols) (account.Delivery, error) {
	var (
		d       account.Delivery
		params  string
		created int64
		next    sql.NullInt64
	)
	dst := []any{&d.ID, &d.APIKey, &d.Kind, &d.MessageID, &d.URL, &d.Method, &params, &d.State, &created, &next}
	if extra != nil {
		dst = append(dst, &extra.claim, &extra.tries, &extra.maxPerSecond)
	}
	if err := row.Scan(dst...); err != nil {
		return d, err
	}
	d.CreatedAt = fromDB(created)
	if next.Valid {
		d.NextAttemptAt = fromDB(next.Int64)
	}
	if extra != nil {
		d.Claim, d.Tries, d.MaxPerSecond = extra.claim, int(extra.tries), int(extra.maxPerSecond)
	}
	var err error
	d.Params, err = account.DecodeParams(params)
	return d, err
}

// FinishWebhookAttempt records an attempt and ends the claim.
func (s *Store) FinishWebhookAttempt(ctx context.Context, id, claim int64, a account.Attempt, state string, next time.Time) (bool, error) {
	ok := false
	err := s.write(ctx, "finish webhook attempt", func(tx dbTx) error {
		var nextDB sql.NullInt64
		if state == account.DeliveryPending {
			nextDB = sql.NullInt64{Int64: toDB(next), Valid: true}
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, lease_until = NULL
			WHERE id = ? AND claim = ? AND state = 'pending'`, state, nextDB, id, claim)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		ok = true
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, n, started_at, duration_ns, status_code, error)
			VALUES (?1, (SELECT count(*) + 1 FROM webhook_attempts WHERE delivery_id = ?1), ?2, ?3, ?4, ?5)`,
			id, toDB(a.At), int64(a.Duration), a.StatusCode, a.Error)
		return err
	})
	return ok && err == nil, err
}

// ReleaseWebhook ends a claim without an attempt.
func (s *Store) ReleaseWebhook(ctx context.Context, id, claim int64, next time.Time) (bool, error) {
	var n int64
	err := s.write(ctx, "release webhook", func(tx dbTx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?, lease_until = NULL
			WHERE id = ? AND claim = ? AND state = 'pending'`, toDB(next), id, claim)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// Webhooks lists the account's deliveries with their attempts, newest
// first, in one snapshot.
func (s *Store) Webhooks(ctx context.Context, apiKey string, before int64, limit int) ([]account.Delivery, error) {
	var ds []account.Delivery
	err := s.read(ctx, "webhooks", func(tx dbTx) error {
		ok, err := tx.accountExists(ctx, apiKey)
		if err != nil {
			return err
		}
		if !ok {
			return account.KeyNotFound(apiKey)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, api_key, kind, message_id, url, method, params, state, created_at, next_attempt_at
			FROM webhook_deliveries WHERE api_key = ? AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`,
			apiKey, before, before, account.ClampPage(limit))
		if err != nil {
			return err
		}
		if _, err := eachRow(rows, func(row *sql.Rows) error {
			d, err := scanDelivery(row, nil)
			ds = append(ds, d)
			return err
		}); err != nil {
			return err
		}
		for i := range ds {
			rows, err := tx.QueryContext(ctx, `SELECT started_at, duration_ns, status_code, error
				FROM webhook_attempts WHERE delivery_id = ? ORDER BY n`, ds[i].ID)
			if err != nil {
				return err
			}
			if _, err := eachRow(rows, func(row *sql.Rows) error {
				var a account.Attempt
				var at, dur int64
				err := row.Scan(&at, &dur, &a.StatusCode, &a.Error)
				a.At, a.Duration = fromDB(at), time.Duration(dur)
				ds[i].Attempts = append(ds[i].Attempts, a)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return ds, err
}

// WebhookQueueDepth counts the pending deliveries.
func (s *Store) WebhookQueueDepth(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`).Scan(&n)
	return n, wrap("webhook queue depth", err)
}
