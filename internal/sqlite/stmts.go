package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// The statements of a money movement, prepared once on the write
// connection. Preparing is SQLite parsing the SQL and compiling it, the
// ledger row's INSERT with its triggers; without reuse it happened for
// every statement of every movement of a batch and was most of the CPU
// the write connection used, while every other movement waited for it.
// A write transaction binds the statements it uses to itself (txStmts),
// which database/sql does without preparing again, since the write pool
// has one connection; a movement then only binds its arguments and steps.

// wstmt names a prepared write statement.
type wstmt int

const (
	stBalance wstmt = iota
	stInsertTx
	stTxByID
	stReloadAmount
	stLookupKey
	stRecordKey
	stSavepoint
	stRelease
	stRollbackTo
	nWriteStmts
)

var writeSQL = [nWriteStmts]string{
	stBalance: `SELECT balance, reload_threshold, reload_amount FROM accounts WHERE api_key = ?`,
	stInsertTx: `INSERT INTO transactions
		(api_key, kind, amount, balance_after, reference, trx, related_trx, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	stTxByID: `SELECT ` + txColumns + `
		FROM transactions WHERE id = ? AND api_key = ?`,
	stReloadAmount: `SELECT amount FROM transactions
		WHERE trx = ? AND api_key = ? AND kind = 'reload'`,
	stLookupKey: `SELECT fingerprint, outcome, transaction_id, reload_id
		FROM idempotency_keys WHERE api_key = ? AND key = ?`,
	stRecordKey: `INSERT INTO idempotency_keys
		(api_key, key, fingerprint, outcome, transaction_id, reload_id, created_at)
		VALUES (?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?)`,
	stSavepoint:  `SAVEPOINT movement`,
	stRelease:    `RELEASE movement`,
	stRollbackTo: `ROLLBACK TO movement`,
}

// writeStmts are the write statements prepared on one write pool.
type writeStmts struct {
	db *sql.DB
	st [nWriteStmts]*sql.Stmt
}

// prepareWrites prepares the write statements on w, s's write pool, and
// keeps them for the next writes. The caller holds the write turn, so
// w's one connection is idle. They are prepared by a write, not when w
// is opened, so that w connects to the file only when a write needs it
// (a connection that opened a read-only file stays read-only). On failure
// it returns nil, and the statements run as text until a write prepares
// them.
func (s *Store) prepareWrites(ctx context.Context, w *sql.DB) *writeStmts {
	ws := &writeStmts{db: w}
	for i, q := range writeSQL {
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			ws.close()
			return nil
		}
		ws.st[i] = st
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// Neither can happen while the caller has the write turn.
	if s.w != w {
		ws.close()
		return nil
	}
	if s.ws != nil {
		ws.close()
		return s.ws
	}
	s.ws = ws
	return ws
}

// close closes the statements; nil is a no-op.
func (ws *writeStmts) close() error {
	if ws == nil {
		return nil
	}
	var errs []error
	for i, st := range ws.st {
		if st != nil {
			errs = append(errs, st.Close())
			ws.st[i] = nil
		}
	}
	return errors.Join(errs...)
}

// txStmts binds the write statements to one write transaction, each on
// first use. A nil *txStmts (a read transaction), or one without
// statements (none prepared on this pool), has the SQL run as text.
type txStmts struct {
	prep  *writeStmts
	tx    *sql.Tx
	bound [nWriteStmts]*sql.Stmt
}

// get returns statement id bound to the transaction, or nil.
func (t *txStmts) get(ctx context.Context, id wstmt) *sql.Stmt {
	if t == nil || t.prep == nil {
		return nil
	}
	if st := t.bound[id]; st != nil {
		return st
	}
	st := t.tx.StmtContext(ctx, t.prep.st[id])
	t.bound[id] = st
	return st
}

// queryRow runs statement id in tx, prepared when it can be.
func (tx dbTx) queryRow(ctx context.Context, id wstmt, args ...any) *sql.Row {
	if st := tx.st.get(ctx, id); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, writeSQL[id], args...)
}

// exec runs statement id in tx, prepared when it can be.
func (tx dbTx) exec(ctx context.Context, id wstmt, args ...any) (sql.Result, error) {
	if st := tx.st.get(ctx, id); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, writeSQL[id], args...)
}
