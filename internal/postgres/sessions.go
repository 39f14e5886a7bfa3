package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var _ account.SessionStore = (*Store)(nil)

// CreateSession stores sess after deleting the sessions that expired.
func (s *Store) CreateSession(ctx context.Context, sess account.Session) error {
	return s.write(ctx, "create session", func(tx dbTx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM dashboard_sessions WHERE expires_at < $1`, sess.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO dashboard_sessions
			(token_hash, operator, api_key, secret_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			sess.TokenHash, sess.Operator, sess.APIKey, sess.SecretID, sess.CreatedAt, sess.ExpiresAt)
		if violates(err, codeUniqueViolation, "dashboard_sessions_pkey") {
			return account.Errorf(account.ECONFLICT, "session exists")
		}
		return err
	})
}

// Session returns the session with that token hash, or ENOTFOUND.
func (s *Store) Session(ctx context.Context, tokenHash string) (account.Session, error) {
	sess := account.Session{TokenHash: tokenHash}
	err := s.pool.QueryRow(ctx, `SELECT operator, api_key, secret_id, created_at, expires_at
		FROM dashboard_sessions WHERE token_hash = $1`, tokenHash).
		Scan(&sess.Operator, &sess.APIKey, &sess.SecretID, &sess.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.Session{}, account.Errorf(account.ENOTFOUND, "no such session")
	}
	if err != nil {
		return account.Session{}, wrap("session", err)
	}
	sess.CreatedAt, sess.ExpiresAt = fromDB(sess.CreatedAt), fromDB(sess.ExpiresAt)
	return sess, nil
}

// DeleteSession deletes the session if it exists.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM dashboard_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return wrap("delete session", err)
	}
	return nil
}
