package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// BenchmarkStore measures the store's hot paths (see storetest.Bench) on a
// file database, as the server runs it:
// go test -run '^$' -bench . -benchmem ./internal/sqlite.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) account.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}, 1)
}
