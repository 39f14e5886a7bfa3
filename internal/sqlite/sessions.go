package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var _ account.SessionStore = (*Store)(nil)

// CreateSession stores sess after deleting the sessions that expired.
func (s *Store) CreateSession(ctx context.Context, sess account.Session) error {
	return s.write(ctx, "create session", func(tx dbTx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE expires_at < ?`, toDB(sess.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO dashboard_sessions
			(token_hash, operator, api_key, secret_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			sess.TokenHash, sess.Operator, sess.APIKey, sess.SecretID, toDB(sess.CreatedAt), toDB(sess.ExpiresAt))
		if isUnique(err) {
			return account.Errorf(account.ECONFLICT, "session exists")
		}
		return err
	})
}

// Session returns the session with that token hash, or ENOTFOUND.
func (s *Store) Session(ctx context.Context, tokenHash string) (account.Session, error) {
	sess := account.Session{TokenHash: tokenHash}
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT operator, api_key, secret_id, created_at, expires_at
		FROM dashboard_sessions WHERE token_hash = ?`, tokenHash).
		Scan(&sess.Operator, &sess.APIKey, &sess.SecretID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return account.Session{}, account.Errorf(account.ENOTFOUND, "no such session")
	}
	if err != nil {
		return account.Session{}, wrap("session", err)
	}
	sess.CreatedAt, sess.ExpiresAt = fromDB(created), fromDB(expires)
	return sess, nil
}

// DeleteSession deletes the session if it exists.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.write(ctx, "delete session", func(tx dbTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
}
