package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/storetest"
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
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	perAccount, oneRead := storetest.AdminPageReads(b, s, 500)
	for _, bc := range []struct {
		name string
		read func(testing.TB)
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
