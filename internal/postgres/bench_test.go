package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The reads of every authenticated request (SecretExists, then Account),
// each one round trip to the server: go test -bench . ./internal/postgres
// with VONAGE_TEST_POSTGRES_URL set.

const benchAccounts = 1000

// benchStore opens a Store in a fresh schema holding benchAccounts
// accounts, dropped when the benchmark ends, and returns it with their
// keys and first secrets' ids.
func benchStore(b *testing.B) (*Store, []string, []string) {
	b.Helper()
	url := os.Getenv("VONAGE_TEST_POSTGRES_URL")
	if url == "" {
		b.Skip("VONAGE_TEST_POSTGRES_URL is not set")
	}
	ctx := context.Background()
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	schema := "bench_" + hex.EncodeToString(rb[:])
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			b.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			b.Errorf("drop schema: %v", err)
		}
	})
	s, err := Open(ctx, url, inSchema(schema)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	now := time.Now().UTC().Truncate(time.Microsecond)
	recs := make([]account.ImportRecord, benchAccounts)
	keys := make([]string, benchAccounts)
	ids := make([]string, benchAccounts)
	for i := range recs {
		keys[i], ids[i] = fmt.Sprintf("bench%04d", i), account.NewID()
		recs[i] = account.ImportRecord{
			Account: account.Account{APIKey: keys[i], Balance: 10 * account.Scale, Limits: account.DefaultLimits, CreatedAt: now},
			Secret:  account.Secret{ID: ids[i], APIKey: keys[i], Hash: "$argon2id$bench", CreatedAt: now},
		}
	}
	errs, err := s.ImportAccounts(ctx, recs)
	if err != nil {
		b.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return s, keys, ids
}

// BenchmarkBalanceRead is the two reads of a cached authentication.
func BenchmarkBalanceRead(b *testing.B) {
	s, keys, ids := benchStore(b)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k := i % benchAccounts
		if ok, err := s.SecretExists(ctx, keys[k], ids[k]); !ok || err != nil {
			b.Fatal(ok, err)
		}
		if _, err := s.Account(ctx, keys[k]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBalanceReadParallel is the same from several goroutines, on the
// pool.
func BenchmarkBalanceReadParallel(b *testing.B) {
	s, keys, ids := benchStore(b)
	ctx := context.Background()
	// Open the pool's connections first: dialling is not what is measured.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				_, _ = s.Account(ctx, keys[k])
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := i % benchAccounts
			if ok, err := s.SecretExists(ctx, keys[k], ids[k]); !ok || err != nil {
				b.Error(ok, err)
				return
			}
			if _, err := s.Account(ctx, keys[k]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkImportAccounts is the bulk import, per account, in batches of
// 500 (one transaction, three round trips each).
func BenchmarkImportAccounts(b *testing.B) {
	s, _, _ := benchStore(b)
	now := time.Now().UTC().Truncate(time.Microsecond)
	const batch = 500
	recs := make([]account.ImportRecord, 0, batch)
	n := 0
	flush := func() {
		if _, err := s.ImportAccounts(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		recs = recs[:0]
	}
	b.ReportAllocs()
	for b.Loop() {
		key := fmt.Sprintf("import%08d", n)
		n++
		recs = append(recs, account.ImportRecord{
			Account: account.Account{APIKey: key, Balance: 10 * account.Scale, Limits: account.DefaultLimits, CreatedAt: now},
			Secret:  account.Secret{ID: account.NewID(), APIKey: key, Hash: "$argon2id$bench", CreatedAt: now},
		})
		if len(recs) == batch {
			flush()
		}
	}
	flush()
}
