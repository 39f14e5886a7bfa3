package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// readStmts are the reads of authenticated requests, prepared on the read
// pool once: viewQuery, which fills the view (an account and its secrets).
// Preparing is SQLite parsing and planning the SQL, which otherwise happens
// on every query and costs more than running the lookup; database/sql
// keeps each statement prepared on every connection of the pool that has
// used it.
type readStmts struct {
	view *sql.Stmt
}

func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	st, err := db.PrepareContext(ctx, viewQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return &readStmts{view: st}, nil
}

// close closes the statements; nil is a no-op.
func (q *readStmts) close() error {
	if q == nil {
		return nil
	}
	return q.view.Close()
}
