package postgres

import (
	"context"
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/migrate"
)

// migrations are the schema's steps (see package migrate).
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the advisory lock that migrating instances
// take turns on: "vonage" followed by 0x0001. It is database-wide, so
// instances on different schemas of one database also take turns, which
// costs nothing but a short wait.
const migrationLock int64 = 0x766f_6e61_6765_0001

// migrate applies the steps the database lacks, all in one transaction
// that holds the migration advisory lock: a failure leaves the schema as it
// was, and of several instances starting together on an empty database one
// applies every step while the others wait, then find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	return s.write(ctx, "migrate", func(tx dbTx) error {
		steps, err := fs.Sub(migrations, "migrations")
		if err != nil {
			return err
		}
		// Waiting for another instance's migration, or a long step, is not
		// a stuck request: only ctx bounds them.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     NOT NULL PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		return migrate.Apply(steps, applied, func(m migrate.Step) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
	})
}
