package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// readStmts are the reads of authenticated requests (the account with the
// secret, which confirms a cached verification; the account and its
// secrets on a cache miss), prepared on the read pool once. Preparing is SQLite parsing and planning the SQL, which
// otherwise happens on every query and costs more than running these
// lookups; database/sql keeps each statement prepared on every connection
// of the pool that has used it.
type readStmts struct {
	account, secrets, accountWithSecret *sql.Stmt
}

const (
	accountQuery = `SELECT ` + accountColumns + ` FROM accounts WHERE api_key = ?`
	// accountWithSecretQuery is the one read of a cached verification.
	accountWithSecretQuery = `SELECT ` + accountColumns + ` FROM accounts WHERE api_key = ?1
		AND EXISTS (SELECT 1 FROM secrets WHERE secrets.api_key = ?1 AND secrets.id = ?2)`
	// The LEFT JOIN tells an unknown account (no row at all) from a known
	// one in a single query, so both answers come from one snapshot.
	secretsQuery = `SELECT s.id, s.hash, s.created_at
		FROM accounts a LEFT JOIN secrets s ON s.api_key = a.api_key
		WHERE a.api_key = ?
		ORDER BY s.seq`
)

func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	var q readStmts
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&q.account, accountQuery},
		{&q.secrets, secretsQuery},
		{&q.accountWithSecret, accountWithSecretQuery},
	} {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			q.close()
			return nil, fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.dst = st
	}
	return &q, nil
}

// close closes the statements; nil is a no-op.
func (q *readStmts) close() error {
	if q == nil {
		return nil
	}
	var errs []error
	for _, st := range []*sql.Stmt{q.account, q.secrets, q.accountWithSecret} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
