package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// The reads of every authenticated request (the verification cache's
// SecretExists, then Account), on a file database as the server runs it:
// go test -bench . -benchmem ./internal/sqlite.

const benchAccounts = 1000

// benchStore opens a file database holding benchAccounts accounts and
// returns it with their keys and first secrets' ids.
func benchStore(b *testing.B) (*sqlite.Store, []string, []string) {
	b.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
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
	errs, err := s.ImportAccounts(context.Background(), recs)
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

// BenchmarkSecretExists is the verification cache's check that a secret
// still exists.
func BenchmarkSecretExists(b *testing.B) {
	s, keys, ids := benchStore(b)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := s.SecretExists(ctx, keys[i%benchAccounts], ids[i%benchAccounts]); !ok || err != nil {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkAccount is the account read that follows.
func BenchmarkAccount(b *testing.B) {
	s, keys, _ := benchStore(b)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Account(ctx, keys[i%benchAccounts]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBalanceRead is both, as an authenticated balance request makes
// them once its secret is cached.
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

// BenchmarkBalanceReadParallel is BenchmarkBalanceRead from every CPU, on
// the read pool.
func BenchmarkBalanceReadParallel(b *testing.B) {
	s, keys, ids := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
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

// BenchmarkSecrets is the list E4 answers (and a cache miss reads).
func BenchmarkSecrets(b *testing.B) {
	s, keys, _ := benchStore(b)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if secs, err := s.Secrets(ctx, keys[i%benchAccounts]); len(secs) != 1 || err != nil {
			b.Fatal(secs, err)
		}
		i++
	}
}

// BenchmarkImportAccounts is the bulk import, per account, in batches of
// 500 (one transaction each).
func BenchmarkImportAccounts(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
		key := fmt.Sprintf("bench%08d", n)
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
