package account_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// storeCalls is an Observer that counts the Store calls by method.
type storeCalls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *storeCalls) StoreCall(op string, _ time.Duration, _ bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[op]++
}

func (c *storeCalls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func (*storeCalls) Authenticated(string)             {}
func (*storeCalls) HashWaited(time.Duration)         {}
func (*storeCalls) VerifyCacheLookup(bool)           {}
func (*storeCalls) MoneyMoved(string, account.Money) {}
func (*storeCalls) MoneyRefused(string)              {}
func (*storeCalls) SecretsChanged(int, int)          {}

// TestListAccountsWithSecretsReads: a page of the operator's listing
// costs two store reads whatever its size (the accounts, then their
// secrets), not one more per account, and carries every account's
// secrets without a hash.
func TestListAccountsWithSecretsReads(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	calls := &storeCalls{n: map[string]int{}}
	svc := account.NewService(st, account.WithHashParams(cheap), account.WithObserver(calls))
	ctx := t.Context()

	const n = 501
	created := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	recs := storetest.PageRecords("lst", n, created)
	if errs, err := st.ImportAccounts(ctx, recs); err != nil {
		t.Fatal(err)
	} else {
		for i, e := range errs {
			if e != nil {
				t.Fatalf("record %d: %v", i, e)
			}
		}
	}
	// A few accounts are hot, as after authenticated requests.
	for _, r := range recs[:7] {
		if _, err := svc.Secrets(ctx, r.Account.APIKey); err != nil {
			t.Fatal(err)
		}
	}
	calls.take()

	page, err := svc.ListAccountsWithSecrets(ctx, account.AccountQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if got := calls.take(); len(got) != 2 || got["ListAccounts"] != 1 || got["SecretIDs"] != 1 {
		t.Errorf("a page of 500 made the store calls %v, want one ListAccounts and one SecretIDs", got)
	}
	if len(page.Accounts) != 500 || page.Next != recs[499].Account.APIKey {
		t.Fatalf("page of %d accounts, next %q; want 500 and %q", len(page.Accounts), page.Next, recs[499].Account.APIKey)
	}
	for i, a := range page.Accounts {
		secs := page.Secrets[a.APIKey]
		if a.APIKey != recs[i].Account.APIKey || len(secs) != 1 || secs[0].ID != recs[i].Secret.ID || secs[0].Hash != "" || !secs[0].CreatedAt.Equal(created) {
			t.Fatalf("account %d: %s with secrets %+v, want %s with %s and no hash", i, a.APIKey, secs, recs[i].Account.APIKey, recs[i].Secret.ID)
		}
	}

	last, err := svc.ListAccountsWithSecrets(ctx, account.AccountQuery{After: page.Next, Limit: 500})
	if err != nil || len(last.Accounts) != 1 || last.Next != "" || len(last.Secrets[recs[500].Account.APIKey]) != 1 {
		t.Errorf("last page: %+v, %v", last, err)
	}
	calls.take()
	empty, err := svc.ListAccountsWithSecrets(ctx, account.AccountQuery{Prefix: "zzz"})
	if err != nil || len(empty.Accounts) != 0 || empty.Secrets == nil {
		t.Errorf("empty page: %+v, %v", empty, err)
	}
	if got := calls.take(); len(got) != 1 || got["ListAccounts"] != 1 {
		t.Errorf("an empty page made the store calls %v, want one ListAccounts", got)
	}
	if _, err := svc.ListAccountsWithSecrets(ctx, account.AccountQuery{Limit: account.MaxAccountPage + 1}); account.ErrorCode(err) != account.EINVALID {
		t.Errorf("page size above the maximum: %v, want EINVALID", err)
	}
}
