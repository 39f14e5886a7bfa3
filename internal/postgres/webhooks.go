package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The queue of callback deliveries (account.WebhookStore), shared by every
// instance on the database. A claim is one statement: the due rows are
// picked FOR UPDATE SKIP LOCKED, so two instances claiming at once take
// different rows, and each gets a lease and a new claim number; a row
// whose lease has not run out is not due. An instance that dies holding a
// claim leaves the row to be claimed again when its lease ends, and its
// late writes, if it was only slow, are refused by the claim number.

// SetWebhookMethod sets the account's webhook method.
func (s *Store) SetWebhookMethod(ctx context.Context, apiKey, method string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET webhook_method = $1 WHERE api_key = $2`, method, apiKey)
	if err == nil && tag.RowsAffected() == 0 {
		return account.KeyNotFound(apiKey)
	}
	return wrap("set webhook method", err)
}

// WebhookMethod returns the account's webhook method.
func (s *Store) WebhookMethod(ctx context.Context, apiKey string) (string, error) {
	var m string
	err := s.pool.QueryRow(ctx, `SELECT webhook_method FROM accounts WHERE api_key = $1`, apiKey).Scan(&m)
	return m, wrap("webhook method", account.OrKeyNotFound(apiKey, err))
}

// EnqueueWebhooks stores the deliveries in one transaction.
func (s *Store) EnqueueWebhooks(ctx context.Context, ds []account.Delivery) ([]int64, error) {
	ids := make([]int64, 0, len(ds))
	err := s.write(ctx, "enqueue webhooks", func(tx dbTx) error {
		for _, d := range ds {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO webhook_deliveries
				(api_key, kind, message_id, url, method, params, state, created_at, next_attempt_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id`,
				d.APIKey, d.Kind, d.MessageID, d.URL, d.Method, account.EncodeParams(d.Params),
				d.CreatedAt, d.NextAttemptAt).Scan(&id)
			if violates(err, codeForeignKeyViolation, "webhook_deliveries_account_fkey") {
				return account.KeyNotFound(d.APIKey)
			}
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// deliveryColumns are the columns scanDelivery reads, of the table w.
const deliveryColumns = `w.id, w.api_key, w.kind, w.message_id, w.url, w.method, w.params, w.state, w.created_at, w.next_attempt_at`

// scanDelivery reads deliveryColumns, then more.
func scanDelivery(row pgx.Row, more ...any) (account.Delivery, error) {
	var (
		d      account.Delivery
		params string
		next   *time.Time
	)
	dst := append([]any{&d.ID, &d.APIKey, &d.Kind, &d.MessageID, &d.URL, &d.Method, &params, &d.State, &d.CreatedAt, &next}, more...)
	if err := row.Scan(dst...); err != nil {
		return d, err
	}
	d.CreatedAt = fromDB(d.CreatedAt)
	if next != nil {
		d.NextAttemptAt = fromDB(*next)
	}
	var err error
	d.Params, err = account.DecodeParams(params)
	return d, err
}

// ClaimWebhooks claims due deliveries for lease.
func (s *Store) ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]account.Delivery, error) {
	rows, err := s.pool.Query(ctx, `UPDATE webhook_deliveries w SET claim = w.claim + 1, lease_until = $1
		FROM (SELECT id FROM webhook_deliveries
			WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) due, accounts a
		WHERE w.id = due.id AND a.api_key = w.api_key
		RETURNING `+deliveryColumns+`, w.claim,
			(SELECT count(*) FROM webhook_attempts t WHERE t.delivery_id = w.id), a.max_inbound_request`, now.Add(lease), now, limit)
	if err != nil {
		return nil, wrap("claim webhooks", err)
	}
	var ds []account.Delivery
	for rows.Next() {
		var d account.Delivery
		var claim, tries int64
		var maxPerSecond int
		if d, err = scanDelivery(rows, &claim, &tries, &maxPerSecond); err != nil {
			rows.Close()
			return nil, wrap("claim webhooks", err)
		}
		d.Claim, d.Tries, d.MaxPerSecond = claim, int(tries), maxPerSecond
		ds = append(ds, d)
	}
	return ds, wrap("claim webhooks", rows.Err())
}

// FinishWebhookAttempt records an attempt and ends the claim, in one
// transaction.
func (s *Store) FinishWebhookAttempt(ctx context.Context, id, claim int64, a account.Attempt, state string, next time.Time) (bool, error) {
	ok := false
	err := s.write(ctx, "finish webhook attempt", func(tx dbTx) error {
		var nextDB *time.Time
		if state == account.DeliveryPending {
			nextDB = &next
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, lease_until = NULL
			WHERE id = $3 AND claim = $4 AND state = 'pending'`, state, nextDB, id, claim)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		ok = true
		_, err = tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, started_at, duration_ns, status_code, error)
			VALUES ($1, (SELECT count(*) + 1 FROM webhook_attempts WHERE delivery_id = $1), $2, $3, $4, $5)`,
			id, a.At, int64(a.Duration), a.StatusCode, a.Error)
		return err
	})
	return ok && err == nil, err
}

// ReleaseWebhook ends a claim without an attempt.
func (s *Store) ReleaseWebhook(ctx context.Context, id, claim int64, next time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1, lease_until = NULL
		WHERE id = $2 AND claim = $3 AND state = 'pending'`, next, id, claim)
	if err != nil {
		return false, wrap("release webhook", err)
	}
	return tag.RowsAffected() > 0, nil
}

// Webhooks lists the account's deliveries with their attempts, newest
// first, in one statement (one snapshot).
func (s *Store) Webhooks(ctx context.Context, apiKey string, before int64, limit int) ([]account.Delivery, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.pool.Query(ctx, `WITH w AS (SELECT * FROM webhook_deliveries
			WHERE api_key = $1 AND id < $2 ORDER BY id DESC LIMIT $3)
		SELECT `+deliveryColumns+`, a.started_at, a.duration_ns, a.status_code, a.error
		FROM w LEFT JOIN webhook_attempts a ON a.delivery_id = w.id
		ORDER BY w.id DESC, a.n`, apiKey, before, account.ClampPage(limit))
	if err != nil {
		return nil, wrap("webhooks", err)
	}
	var ds []account.Delivery
	for rows.Next() {
		var (
			at       *time.Time
			dur      *int64
			code     *int
			attemptE *string
		)
		d, err := scanDelivery(rows, &at, &dur, &code, &attemptE)
		if err != nil {
			rows.Close()
			return nil, wrap("webhooks", err)
		}
		if n := len(ds); n == 0 || ds[n-1].ID != d.ID {
			ds = append(ds, d)
		}
		if at != nil {
			last := &ds[len(ds)-1]
			last.Attempts = append(last.Attempts, account.Attempt{At: fromDB(*at), Duration: time.Duration(*dur), StatusCode: *code, Error: *attemptE})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("webhooks", err)
	}
	if len(ds) == 0 {
		// Accounts are never deleted, so a check after the list answers
		// for the same moment.
		if _, err := s.WebhookMethod(ctx, apiKey); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// WebhookQueueDepth counts the pending deliveries.
func (s *Store) WebhookQueueDepth(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`).Scan(&n)
	return n, wrap("webhook queue depth", err)
}
