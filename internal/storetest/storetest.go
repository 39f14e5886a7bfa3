// Package storetest is the contract suite of account.Store: every
// implementation (internal/sqlite, internal/postgres) runs it from its own
// tests, so they all behave alike.
//
// The suite knows nothing of any database. It only uses the Store
// interface, fixed timestamps (microsecond precision, which every database
// keeps) and opaque strings for hashes.
package storetest

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Opener opens an empty store and registers its cleanup (closing it) with
// tb. A store's tests write one and hand it to Run and Bench.
type Opener func(tb testing.TB) account.Store

// Run runs the contract suite on stores that open returns; every subtest
// opens its own and runs in parallel with the others.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"accounts", accountTests},
		{"secrets", secretTests},
		{"money", moneyTests},
		{"idempotency", idempotencyTests},
		{"ledger", ledgerTests},
		{"import", importTests},
		{"replace", replaceTests},
		{"signatures", signatureTests},
		{"sessions", sessionTests},
		{"admin", adminTests},
		{"adminsecrets", adminSecretTests},
		{"visible", visibleTests},
		{"webhooks", webhookTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, open(t))
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s account.Store)
}

// t0 is the suite's clock. It has microseconds so that a store that drops
// them fails, and no nanoseconds so that PostgreSQL's timestamptz can keep
// it exactly.
var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897000, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// eur returns n whole EUR.
func eur(n int64) account.Money { return account.Money(n * account.Scale) }

// newAccount returns a plain account with that key, created at t0.
func newAccount(key string) account.Account {
	return account.Account{APIKey: key, Limits: account.DefaultLimits, CreatedAt: t0}
}

// newSecret returns a secret of key with a fresh id and an opaque hash.
func newSecret(key string, created time.Time) account.Secret {
	id := account.NewID()
	return account.Secret{ID: id, APIKey: key, Hash: "$argon2id$test$" + id, CreatedAt: created}
}

// create stores acct with a fresh first secret and returns that secret.
func create(t *testing.T, s account.Store, acct account.Account) account.Secret {
	t.Helper()
	sec := newSecret(acct.APIKey, acct.CreatedAt)
	if err := s.CreateAccount(t.Context(), acct, sec); err != nil {
		t.Fatalf("CreateAccount(%q): %v", acct.APIKey, err)
	}
	return sec
}

// funded stores an account created at t0 with that opening balance and
// no auto-reload, and returns it.
func funded(t *testing.T, s account.Store, key string, balance account.Money) account.Account {
	t.Helper()
	return autoReloading(t, s, key, balance, nil)
}

// autoReloading stores an account created at t0 with that opening balance
// and auto-reload ar, and returns it.
func autoReloading(t *testing.T, s account.Store, key string, balance account.Money, ar *account.AutoReload) account.Account {
	t.Helper()
	acct := newAccount(key)
	acct.Balance, acct.AutoReload = balance, ar
	create(t, s, acct)
	return acct
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code account.Code) {
	t.Helper()
	if got := account.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// mustAccount reads an account.
func mustAccount(t *testing.T, s account.Store, key string) account.Account {
	t.Helper()
	return mustRead[account.Account](t, "Account", key)(s.Account(t.Context(), key))
}

// mustSecrets reads an account's secrets.
func mustSecrets(t *testing.T, s account.Store, key string) []account.Secret {
	t.Helper()
	return mustRead[[]account.Secret](t, "Secrets", key)(s.Secrets(t.Context(), key))
}

// mustRead passes on what a read of key returned, or stops the test naming
// the read (what) and its error.
func mustRead[T any](t *testing.T, what, key string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s(%q): %v", what, key, err)
		}
		return v
	}
}

// ledger returns all of an account's rows, oldest first, reading them page
// by page the way a client would.
func ledger(t *testing.T, s account.Store, key string) []account.Transaction {
	t.Helper()
	var newestFirst []account.Transaction
	before := int64(0)
	for {
		page, err := s.Transactions(t.Context(), key, before, 100)
		if err != nil {
			t.Fatalf("Transactions(%q, %d): %v", key, before, err)
		}
		if len(page) == 0 {
			break
		}
		newestFirst = append(newestFirst, page...)
		before = page[len(page)-1].ID
	}
	out := make([]account.Transaction, len(newestFirst))
	for i, tx := range newestFirst {
		out[len(out)-1-i] = tx
	}
	return out
}

// checkLedger verifies the money invariants of an account: IDs increase,
// every row's balance_after is the previous one plus its amount and never
// negative, amounts have the sign of their kind, and the balance is the sum
// of the rows. It returns the rows, oldest first.
func checkLedger(t *testing.T, s account.Store, key string) []account.Transaction {
	t.Helper()
	rows := ledger(t, s, key)
	var sum account.Money
	var lastID int64
	for i, r := range rows {
		if r.ID <= lastID {
			t.Errorf("row %d: ID %d not above the previous %d", i, r.ID, lastID)
		}
		lastID = r.ID
		if r.APIKey != key {
			t.Errorf("row %d: APIKey %q, want %q", i, r.APIKey, key)
		}
		if (r.Kind == account.KindCharge) != (r.Amount < 0) || r.Amount == 0 {
			t.Errorf("row %d: kind %s with amount %d", i, r.Kind, r.Amount)
		}
		sum += r.Amount
		if r.BalanceAfter != sum {
			t.Errorf("row %d: balance_after %d, want %d (sum of rows so far)", i, r.BalanceAfter, sum)
		}
		if r.BalanceAfter < 0 {
			t.Errorf("row %d: negative balance_after %d", i, r.BalanceAfter)
		}
	}
	if a := mustAccount(t, s, key); a.Balance != sum {
		t.Errorf("balance %d, want %d (the sum of the ledger)", a.Balance, sum)
	}
	return rows
}

// sameTime reports whether got is want, in UTC.
func sameTime(got, want time.Time) bool {
	return got.Equal(want) && got.Location() == time.UTC
}

// checkAccount compares every field of an account.
func checkAccount(t *testing.T, got, want account.Account) {
	t.Helper()
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("account %q: CreatedAt %v, want %v in UTC", want.APIKey, got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("account:\n got %s\nwant %s", fmtAccount(got), fmtAccount(want))
	}
}

func fmtAccount(a account.Account) string {
	ar := "off"
	if a.AutoReload != nil {
		ar = fmt.Sprintf("%+v", *a.AutoReload)
	}
	return fmt.Sprintf("{APIKey:%q Primary:%q Balance:%d AutoReload:%s Limits:%+v Settings:%+v}",
		a.APIKey, a.PrimaryAPIKey, a.Balance, ar, a.Limits, a.Settings)
}

// checkSecrets compares secrets, in order, field by field.
func checkSecrets(t *testing.T, got, want []account.Secret) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d secrets %v, want %d %v", len(got), ids(got), len(want), ids(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.APIKey != w.APIKey || g.Hash != w.Hash || !sameTime(g.CreatedAt, w.CreatedAt) {
			t.Errorf("secret %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func ids(secs []account.Secret) []string {
	out := make([]string, len(secs))
	for i, s := range secs {
		out[i] = s.ID
	}
	return out
}

// WantNewerSchemaRefused checks what opening a store returned on a
// database that records schema version 999999, which no program knows: an
// error that names the version, so the operator knows a newer program
// wrote it. s is closed if the open succeeded.
func WantNewerSchemaRefused(t *testing.T, s io.Closer, err error) {
	t.Helper()
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a database with an unknown schema version")
	}
	if !strings.Contains(err.Error(), "999999") {
		t.Errorf("error %q does not name the version", err)
	}
}

// Seed creates an account with one secret, an opaque hash and, when
// positive, an opening balance, all created at; for the stores' own tests.
func Seed(t *testing.T, s account.Store, key string, balance account.Money, at time.Time) account.Secret {
	t.Helper()
	sec := account.Secret{ID: account.NewID(), APIKey: key, Hash: "$argon2id$test", CreatedAt: at}
	acct := account.Account{APIKey: key, Balance: balance, Limits: account.DefaultLimits, CreatedAt: at}
	if err := s.CreateAccount(t.Context(), acct, sec); err != nil {
		t.Fatal(err)
	}
	return sec
}

// Race starts n goroutines at once, each running fn with its number, and
// returns what they returned (most often an error), in that order.
func Race[R any](n int, fn func(i int) R) []R {
	out := make([]R, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// WantBalance fails unless the account key has the balance want.
func WantBalance(t *testing.T, s account.Store, key string, want account.Money) {
	t.Helper()
	acct, err := s.Account(t.Context(), key)
	if err != nil || acct.Balance != want {
		t.Errorf("balance %d (%v), want %d", acct.Balance, err, want)
	}
}
