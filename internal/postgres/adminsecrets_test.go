package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// BenchmarkAdminAccountPage measures one 500-account page of GET
// /admin/accounts through the service: "per account" is the accounts and
// then each one's Secrets (a round trip each), "one read" is
// ListAccountsWithSecrets (two round trips). Needs
// VONAGE_TEST_POSTGRES_URL:
//
//	go test -run '^$' -bench AdminAccountPage -benchmem ./internal/postgres
func BenchmarkAdminAccountPage(b *testing.B) {
	const n = 500
	ctx := context.Background()
	s, _ := open(b)
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
	b.Run("per_account", func(b *testing.B) {
		for b.Loop() {
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
	})
	b.Run("one_read", func(b *testing.B) {
		for b.Loop() {
			page, err := svc.ListAccountsWithSecrets(ctx, q)
			if err != nil || len(page.Accounts) != n || len(page.Secrets) != n {
				b.Fatalf("ListAccountsWithSecrets: %d accounts, %d secrets, %v", len(page.Accounts), len(page.Secrets), err)
			}
		}
	})
}
