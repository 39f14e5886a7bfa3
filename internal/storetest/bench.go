package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// benchAccounts is how many accounts the read benchmarks spread over.
const benchAccounts = 1000

// Bench measures what a Store does for the server on its hot paths: the
// one read that confirms a cached verification (AccountWithSecret, which
// also returns the account a balance request answers with), the reads of a
// cache miss (Account, Secrets) and the bulk import, on stores that open
// returns. parallelism is passed to b.SetParallelism in the parallel read:
// a store whose reads wait on the network wants more goroutines than CPUs
// to keep its pool busy.
//
// Run it from the store's package: go test -run '^$' -bench . -benchmem.
func Bench(b *testing.B, open Opener, parallelism int) {
	for _, r := range benchReads {
		b.Run(r.name, func(b *testing.B) {
			s, keys, ids := benchStore(b, open)
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				k := i % benchAccounts
				if err := r.read(ctx, s, keys[k], ids[k]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("AccountWithSecretParallel", func(b *testing.B) {
		s, keys, ids := benchStore(b, open)
		ctx := context.Background()
		// Open the pool's connections first: dialling is not what is
		// measured.
		var wg sync.WaitGroup
		for range 2 * parallelism {
			wg.Go(func() {
				for k := range 20 {
					_, _ = s.Account(ctx, keys[k])
				}
			})
		}
		wg.Wait()
		b.ResetTimer()
		b.ReportAllocs()
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				k := i % benchAccounts
				if err := readAccountWithSecret(ctx, s, keys[k], ids[k]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	// The bulk import, per account, in batches of 500 (one transaction
	// each).
	b.Run("ImportAccounts", func(b *testing.B) {
		s := open(b)
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
			recs = append(recs, benchRecord(fmt.Sprintf("import%08d", n), account.NewID(), now))
			n++
			if len(recs) == batch {
				flush()
			}
		}
		flush()
	})
}

// benchReads are the reads Bench times one after another, each on the
// accounts of benchStore in turn: key and the id of its secret.
var benchReads = []struct {
	name string
	read func(ctx context.Context, s account.Store, key, secretID string) error
}{
	{"AccountWithSecret", readAccountWithSecret},
	{"Account", func(ctx context.Context, s account.Store, key, _ string) error {
		_, err := s.Account(ctx, key)
		return err
	}},
	// The list E4 answers, and a cache miss reads.
	{"Secrets", func(ctx context.Context, s account.Store, key, _ string) error {
		if secs, err := s.Secrets(ctx, key); len(secs) != 1 || err != nil {
			return fmt.Errorf("Secrets(%q) = %v, %v; want one secret", key, secs, err)
		}
		return nil
	}},
}

// readAccountWithSecret is the read that confirms a cached verification.
func readAccountWithSecret(ctx context.Context, s account.Store, key, secretID string) error {
	if _, found, err := s.AccountWithSecret(ctx, key, secretID); !found || err != nil {
		return fmt.Errorf("AccountWithSecret(%q) = found %v, %v; want found", key, found, err)
	}
	return nil
}

// benchStore opens a store holding benchAccounts accounts and returns it
// with their keys and first secrets' ids.
func benchStore(b *testing.B, open Opener) (account.Store, []string, []string) {
	b.Helper()
	s := open(b)
	now := time.Now().UTC().Truncate(time.Microsecond)
	recs := make([]account.ImportRecord, benchAccounts)
	keys := make([]string, benchAccounts)
	ids := make([]string, benchAccounts)
	for i := range recs {
		keys[i], ids[i] = fmt.Sprintf("bench%04d", i), account.NewID()
		recs[i] = benchRecord(keys[i], ids[i], now)
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

// benchRecord is an account with 10 EUR and one secret with an opaque
// hash.
func benchRecord(key, secretID string, now time.Time) account.ImportRecord {
	return account.ImportRecord{
		Account: account.Account{APIKey: key, Balance: 10 * account.Scale, Limits: account.DefaultLimits, CreatedAt: now},
		Secret:  account.Secret{ID: secretID, APIKey: key, Hash: "$argon2id$bench", CreatedAt: now},
	}
}
