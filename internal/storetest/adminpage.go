package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// PageRecords returns n import records, keys prefix0000 onwards, each
// account with one secret whose hash is opaque, all created at created:
// a page of the operator's listing, for the tests and benchmarks of
// ListAccountsWithSecrets.
func PageRecords(prefix string, n int, created time.Time) []account.ImportRecord {
	recs := make([]account.ImportRecord, n)
	for i := range recs {
		key := fmt.Sprintf("%s%04d", prefix, i)
		recs[i] = account.ImportRecord{
			Account: account.Account{APIKey: key, Limits: account.DefaultLimits, CreatedAt: created},
			Secret:  account.Secret{ID: account.NewID(), APIKey: key, Hash: "$argon2id$opaque$" + key, CreatedAt: created},
		}
	}
	return recs
}

// AdminPageReads imports PageRecords("page", n, now) into s and returns
// the two ways of reading that page as GET /admin/accounts does, through
// a Service on s: perAccount reads the accounts and then each one's
// Secrets (the N+1 reads), oneRead is ListAccountsWithSecrets (the
// accounts, then SecretIDs). Each fails tb unless it read all n.
func AdminPageReads(tb testing.TB, s account.Store, n int) (perAccount, oneRead func(testing.TB)) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.ImportAccounts(ctx, PageRecords("page", n, time.Now().UTC().Truncate(time.Microsecond))); err != nil {
		tb.Fatal(err)
	}
	svc := account.NewService(s)
	q := account.AccountQuery{Limit: n}
	perAccount = func(tb testing.TB) {
		accts, _, err := svc.ListAccounts(ctx, q)
		if err != nil || len(accts) != n {
			tb.Fatalf("ListAccounts: %d, %v", len(accts), err)
		}
		for _, a := range accts {
			if _, err := svc.Secrets(ctx, a.APIKey); err != nil {
				tb.Fatal(err)
			}
		}
	}
	oneRead = func(tb testing.TB) {
		page, err := svc.ListAccountsWithSecrets(ctx, q)
		if err != nil || len(page.Accounts) != n || len(page.Secrets) != n {
			tb.Fatalf("ListAccountsWithSecrets: %d accounts, %d secrets, %v", len(page.Accounts), len(page.Secrets), err)
		}
	}
	return perAccount, oneRead
}
