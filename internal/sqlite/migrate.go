package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/migrate"
)

// migrations are the schema's steps (see package migrate).
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the steps the database lacks, all in one write
// transaction: a failure leaves the schema as it was, and two processes
// opening the same new file cannot both apply a step.
func (s *Store) migrate(ctx context.Context) error {
	return s.write(ctx, "migrate", func(tx dbTx) error {
		steps, err := fs.Sub(migrations, "migrations")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`); err != nil {
			return err
		}
		var applied []int
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		if _, err := eachRow(rows, func(row *sql.Rows) error {
			var v int
			if err := row.Scan(&v); err != nil {
				return err
			}
			applied = append(applied, v)
			return nil
		}); err != nil {
			return err
		}
		now := toDB(time.Now())
		return migrate.Apply(steps, applied, func(m migrate.Step) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, now)
			return err
		})
	})
}
