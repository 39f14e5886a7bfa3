// Package pgtest gives tests a PostgreSQL schema of their own. The tests
// run against the database VONAGE_TEST_POSTGRES_URL names and are skipped
// without it; each schema is fresh and dropped when its test ends, so
// tests run in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/pgschema"
)

// EnvURL is the variable that names the test database.
const EnvURL = "VONAGE_TEST_POSTGRES_URL"

// cleanupTimeout bounds the drop: the test's context is already canceled
// when cleanups run.
const cleanupTimeout = 30 * time.Second

// URL returns the test database's URL, or skips the test.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		tb.Skip(EnvURL + " is not set")
	}
	return u
}

// NewSchema creates an empty schema named prefix_ and 16 random hex
// digits and drops it, with everything in it, when the test ends (after
// the cleanups registered later, such as closing the Stores on it). It
// returns the schema's name and the test database's URL with its
// search_path set to the schema.
func NewSchema(tb testing.TB, prefix string) (name, url string) {
	tb.Helper()
	base := URL(tb)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name = prefix + "_" + hex.EncodeToString(b[:])
	url, err := pgschema.Create(tb.Context(), base, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := pgschema.Drop(ctx, base, name); err != nil {
			tb.Error(err)
		}
	})
	return name, url
}
