package postgres

import (
	"context"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// BenchmarkStore measures the store's hot paths (see storetest.Bench), each
// read one round trip to the server, in a fresh schema per benchmark:
// go test -run '^$' -bench . ./internal/postgres with
// VONAGE_TEST_POSTGRES_URL set. The parallel read runs 4 goroutines per
// CPU, as reads spend their time waiting on the network.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) account.Store {
		schema, _ := pgtest.NewSchema(b, "bench")
		s, err := Open(context.Background(), pgtest.URL(b), inSchema(schema)...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}, 4)
}
