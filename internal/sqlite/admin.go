package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// listAccountsQuery seeks the key range of the prefix on the primary key
// and checks the prefix exactly; ?1 after, ?2 prefix, ?3 its end ("" for
// none), ?4 primary key ("" for any), ?5 limit.
const listAccountsQuery = `SELECT ` + accountColumns + ` FROM accounts
	WHERE api_key > ?1 AND api_key >= ?2 AND (?3 = '' OR api_key < ?3)
		AND substr(api_key, 1, length(?2)) = ?2
		AND (?4 = '' OR primary_api_key = ?4)
	ORDER BY api_key LIMIT ?5`

// ListAccounts returns the accounts q selects, ordered by key.
func (s *Store) ListAccounts(ctx context.Context, q account.AccountQuery) ([]account.Account, error) {
	rows, err := s.r.QueryContext(ctx, listAccountsQuery,
		q.After, q.Prefix, account.PrefixEnd(q.Prefix), q.PrimaryAPIKey, min(max(q.Limit, 1), account.MaxAccountPage+1))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts: %w", err)
	}
	accts := []account.Account{}
	_, err = eachRow(rows, func(row *sql.Rows) error {
		a, err := scanAccount(row)
		accts = append(accts, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts: %w", err)
	}
	return accts, nil
}

// ResetSecrets replaces the account's secrets by sec in one transaction,
// within the schema's rules (two slots, never fewer than one secret): it
// deletes the older secret if there are two, adds sec in the free slot,
// then deletes the remaining old one.
func (s *Store) ResetSecrets(ctx context.Context, sec account.Secret) error {
	return s.write(ctx, "reset secrets", func(tx dbTx) error {
		ok, err := tx.accountExists(ctx, sec.APIKey)
		if err != nil {
			return err
		}
		if !ok {
			return account.KeyNotFound(sec.APIKey)
		}
		tx.ch.forget(sec.APIKey) // the view rereads the secrets after the commit
		if _, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE api_key = ?1
			AND seq <> (SELECT max(seq) FROM secrets WHERE api_key = ?1)`, sec.APIKey); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES (?1, ?2, 3 - (SELECT slot FROM secrets WHERE api_key = ?2 ORDER BY seq DESC LIMIT 1), ?3, ?4)`,
			sec.ID, sec.APIKey, sec.Hash, toDB(sec.CreatedAt))
		if isUnique(err) {
			return account.Errorf(account.ECONFLICT, "secret id already exists")
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM secrets WHERE api_key = ? AND id <> ?`, sec.APIKey, sec.ID)
		return err
	})
}

// Backup writes a consistent copy of the database to w: VACUUM INTO a new
// file beside the database (created 0600, as the database is), which reads
// one snapshot, so in WAL mode writers go on meanwhile; then the file is
// copied to w and removed. VACUUM INTO runs on a connection of its own:
// the read pool's are query-only, which refuses it, and the write
// connection would hold up writers. An in-memory database (one connection)
// is copied through the temporary directory.
func (s *Store) Backup(ctx context.Context, w io.Writer) error {
	dir, db := os.TempDir(), s.w
	if s.path != "" {
		dir = filepath.Dir(s.path)
		var err error
		db, err = sql.Open("sqlite", dsn(s.path, url.Values{"_busy_timeout": {fmt.Sprint(busyTimeout.Milliseconds())}}))
		if err != nil {
			return fmt.Errorf("sqlite: backup: %w", err)
		}
		defer db.Close()
	}
	f, err := os.CreateTemp(dir, ".vonage-backup-*.db") // 0600, empty: VACUUM INTO accepts it
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return wrap("backup", err)
	}
	f, err = os.Open(tmp)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}
