package account

import (
	"context"
	"database/sql"
	"errors"
)

// What every Store adapter does alike: what its database's answers mean to
// the domain, and the rows a new account starts with. A single-row lookup
// that finds no row ends in database/sql's ErrNoRows; pgx's ErrNoRows
// matches it too.

// KeyNotFound is the ENOTFOUND of an API key that names no account,
// worded as the real service words it (single quotes, as every id).
func KeyNotFound(apiKey string) error {
	return Errorf(ENOTFOUND, "API key %s not found", Quoted(apiKey))
}

// SecretNotFound is the ESECRETNOTFOUND for the secret id a caller named,
// in the real service's words.
func SecretNotFound(id string) error { return secretNotFound(id) }

// Quoted is how every message quotes an id or a key: in single quotes, as
// the real service does ("ID 'x' could not be found"), made safe to repeat
// (see quotable).
func Quoted(s string) string { return "'" + quotable(s) + "'" }

// OrKeyNotFound returns err, or KeyNotFound(apiKey) when err says that a
// lookup of that account found no row.
func OrKeyNotFound(apiKey string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return KeyNotFound(apiKey)
	}
	return err
}

// Found reports whether a single-row lookup found its row: no row is an
// answer, not an error.
func Found(err error) (bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// InsertOpeningCredit records the opening credit of the new account acct
// (see OpeningCredit) in tx, when its balance is positive.
func InsertOpeningCredit(ctx context.Context, tx LedgerTx, acct Account) error {
	t, ok := OpeningCredit(acct)
	if !ok {
		return nil
	}
	_, err := tx.Insert(ctx, t)
	return err
}
