package postgres

import (
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// BenchmarkAdminAccountPage measures one 500-account page of GET
// /admin/accounts through the service: "per account" is the accounts and
// then each one's Secrets (a round trip each), "one read" is
// ListAccountsWithSecrets (two round trips). Needs
// VONAGE_TEST_POSTGRES_URL:
//
//	go test -run '^$' -bench AdminAccountPage -benchmem ./internal/postgres
func BenchmarkAdminAccountPage(b *testing.B) {
	s, _ := open(b)
	perAccount, oneRead := storetest.AdminPageReads(b, s, 500)
	b.Run("per_account", func(b *testing.B) {
		for b.Loop() {
			perAccount(b)
		}
	})
	b.Run("one_read", func(b *testing.B) {
		for b.Loop() {
			oneRead(b)
		}
	})
}
