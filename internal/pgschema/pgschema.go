// Package pgschema creates and drops PostgreSQL schemas, so that tests and
// the benchmark can each work in a fresh schema of a shared database and
// leave nothing behind. It stands apart from internal/postgres so that
// that package's own tests can use it too.
package pgschema

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Create creates the empty schema name in the database dbURL names (a
// postgres:// URL or a keyword/value string, pool_* parameters allowed)
// and returns dbURL with its search_path set to name, so that a Store
// opened on it keeps its tables there.
func Create(ctx context.Context, dbURL, name string) (string, error) {
	if err := exec(ctx, dbURL, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create schema %s: %w", name, err)
	}
	return WithSearchPath(dbURL, name)
}

// Drop drops the schema name and everything in it.
func Drop(ctx context.Context, dbURL, name string) error {
	if err := exec(ctx, dbURL, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("drop schema %s: %w", name, err)
	}
	return nil
}

// WithSearchPath returns dbURL with its search_path set to schema, an
// ordinary connection parameter that pgx passes to the server.
func WithSearchPath(dbURL, schema string) (string, error) {
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		// A keyword/value connection string: later keywords win.
		return dbURL + " search_path=" + schema, nil
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// exec runs one statement on a connection of its own. pgxpool's parser
// takes the pool_* parameters out, which a single connection would send to
// the server as unknown settings.
func exec(ctx context.Context, dbURL, sql string) error {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err // pgx redacts the password from its parse errors
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
