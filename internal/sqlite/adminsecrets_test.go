package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// BenchmarkAdminAccountPage measures one 500-account page of GET
// /admin/accounts through the service, as the handler reads it: "per
// account" is the accounts and then each one's Secrets (the N+1 reads),
// "one read" is ListAccountsWithSecrets (the accounts, then SecretIDs).
// "cold": the view holds none of the page's accounts (the first listing,
// or one after they were pushed out); "warm": it holds all of them.
//
//	go test -run '^$' -bench AdminAccountPage -benchmem ./internal/sqlite
func BenchmarkAdminAccountPage(b *testing.B) {
	const n = 500
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	recs := make([]account.ImportRecord, n)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range recs {
		key := fmt.Sprintf("page%04d", i)
		recs[i] = account.ImportRecord{
			Account: account.Account{APIKey: key, Limits: account.DefaultLimits, CreatedAt: now},
			Secret:  account.Secret{ID: account.NewID(), APIKey: key, Hash: "$argon2id$opaque$" + key, CreatedAt: now},
		}
	}
	if _, err := s.ImportAccounts(ctx, recs); err != nil {
		b.Fatal(err)
	}
	svc := account.NewService(s)
	q := account.AccountQuery{Limit: n}

	perAccount := func(b *testing.B) {
		accts, _, err := svc.ListAccounts(ctx, q)
		if err != nil || len(accts) != n {
			b.Fatalf("ListAccounts: %d, %v", len(accts), err)
		}
		for _, a := range accts {
			if _, err := svc.Secrets(ctx, a.APIKey); err != nil {
				b.Fatal(err)
			}
		}
	}
	oneRead := func(b *testing.B) {
		page, err := svc.ListAccountsWithSecrets(ctx, q)
		if err != nil || len(page.Accounts) != n || len(page.Secrets) != n {
			b.Fatalf("ListAccountsWithSecrets: %d accounts, %d secrets, %v", len(page.Accounts), len(page.Secrets), err)
		}
	}
	for _, bc := range []struct {
		name string
		read func(*testing.B)
		warm bool
	}{
		{"per_account/cold", perAccount, false},
		{"one_read/cold", oneRead, false},
		{"per_account/warm", perAccount, true},
		{"one_read/warm", oneRead, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s.view = newView()
			if bc.warm {
				perAccount(b) // fills the view
			}
			for b.Loop() {
				if !bc.warm {
					b.StopTimer()
					s.view = newView()
					b.StartTimer()
				}
				bc.read(b)
			}
		})
	}
}
