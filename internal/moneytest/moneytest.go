// Package moneytest holds what the end-to-end money tests share: planned
// idempotent credits and charges sent through the admin API's client from
// many goroutines, and the readers that check what they did to balances
// and ledgers.
package moneytest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// Request is one planned credit or charge.
type Request struct {
	Charge bool
	Amount account.Money
	Ref    string // the reference
	Key    string // the Idempotency-Key
}

// Mix is how a plan draws its requests: ChargePct percent charges of up to
// MaxCharge, HugePct percent charges of Huge (more than ever fits), and
// credits of up to MaxCredit; amounts use all eight decimals.
type Mix struct {
	ChargePct int
	MaxCharge account.Money
	HugePct   int
	Huge      account.Money
	MaxCredit account.Money
}

// Draw draws one request with reference ref and Idempotency-Key key.
func (m Mix) Draw(rng *rand.Rand, ref, key string) Request {
	r := Request{Ref: ref, Key: key}
	switch n := rng.IntN(100); {
	case n < m.ChargePct:
		r.Charge, r.Amount = true, account.Money(rng.Int64N(int64(m.MaxCharge)))+1
	case n < m.ChargePct+m.HugePct:
		r.Charge, r.Amount = true, m.Huge
	default:
		r.Amount = account.Money(rng.Int64N(int64(m.MaxCredit))) + 1
	}
	return r
}

// Answer is the answer to one credit or charge.
type Answer struct {
	Status   int // 201, or the problem's
	Replayed bool
	Moved    adminapi.Movement // of a 201
	Problem  *adminapi.Error   // of any other status
}

func (a Answer) String() string {
	if a.Problem != nil {
		return a.Problem.Error()
	}
	return fmt.Sprintf("%d %+v", a.Status, a.Moved)
}

// Send sends r to apiKey's account through c. The error is the transport's
// (no answer arrived) or a 201 that does not decode.
func (r Request) Send(c *adminapi.Client, apiKey string) (Answer, error) {
	move := c.Credit
	if r.Charge {
		move = c.Charge
	}
	moved, err := move(context.Background(), apiKey, adminapi.MoneyRequest{Amount: r.Amount.String(), Reference: r.Ref, IdempotencyKey: r.Key})
	var e *adminapi.Error
	switch {
	case err == nil:
		return Answer{Status: http.StatusCreated, Replayed: moved.Replayed, Moved: moved}, nil
	case errors.As(err, &e):
		return Answer{Status: e.Status, Replayed: e.Replayed, Problem: e}, nil
	}
	return Answer{}, err
}

// Check reads the amount of the transaction a 201 answered r with, and
// reports an error unless it is r's: its reference, and its amount
// (negative for a charge).
func (r Request) Check(moved adminapi.Movement) (account.Money, error) {
	tx := moved.Transaction
	want := r.Amount
	if r.Charge {
		want = -want
	}
	got, err := account.ParseSignedMoney("amount", tx.Amount)
	if err != nil || tx.Reference != r.Ref || got != want {
		return got, fmt.Errorf("answered %+v for %s of %s", tx, r.Ref, r.Amount)
	}
	return got, nil
}

// SendAll sends requests 0 to n-1 from workers goroutines and returns
// their answers: copies(i) copies of request i, released at the same
// moment, copy j sent by send(i, j).
func SendAll[A any](workers, n int, copies func(i int) int, send func(i, j int) A) [][]A {
	answers := make([][]A, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				answers[i] = storetest.Race(copies(i), func(j int) A { return send(i, j) })
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return answers
}

// SameMovement reports whether two answers of a credit or charge say the
// same: every member of the body (not whether it was replayed).
func SameMovement(a, b adminapi.Movement) bool {
	a.Replayed, b.Replayed = false, false
	return reflect.DeepEqual(a, b)
}

// Balance reads an account's balance through c.
func Balance(t testing.TB, c *adminapi.Client, apiKey string) account.Money {
	t.Helper()
	acct, err := c.Account(t.Context(), apiKey)
	if err != nil {
		t.Fatal(err)
	}
	m, err := account.ParseSignedMoney("balance", acct.Balance)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Ledger is every row of an account's ledger, newest first.
type Ledger struct {
	Rows  []adminapi.Transaction
	Sum   account.Money    // of the rows' amounts
	Count map[string]int   // the number of rows of each reference
	ID    map[string]int64 // the id of the oldest row of each reference
}

// ReadLedger reads every row of an account's ledger through c, page by
// page.
func ReadLedger(t testing.TB, c *adminapi.Client, apiKey string) Ledger {
	t.Helper()
	l := Ledger{Count: map[string]int{}, ID: map[string]int64{}}
	cursor := ""
	for {
		page, err := c.Transactions(t.Context(), apiKey, 1000, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Transactions {
			m, err := account.ParseSignedMoney("amount", row.Amount)
			if err != nil {
				t.Fatalf("row %d: %v", row.ID, err)
			}
			l.Sum += m
			l.Count[row.Reference]++
			l.ID[row.Reference] = row.ID
		}
		l.Rows = append(l.Rows, page.Transactions...)
		if page.NextCursor == "" {
			return l
		}
		cursor = page.NextCursor
	}
}

// Check reports an error unless the ledger holds what a request with
// reference ref was answered: one row, with the answered id, when accepted;
// none when refused.
func (l Ledger) Check(ref string, accepted bool, id int64) error {
	switch {
	case accepted && (l.Count[ref] != 1 || l.ID[ref] != id):
		return fmt.Errorf("%s: %d ledger rows (id %d), want 1 with the answered id %d", ref, l.Count[ref], l.ID[ref], id)
	case !accepted && l.Count[ref] != 0:
		return fmt.Errorf("%s: refused, yet %d ledger rows", ref, l.Count[ref])
	}
	return nil
}

// Verify runs the ledger check (GET /admin/ledger/verify) through c and
// fails t on any problem; where names the server in the messages.
func Verify(t testing.TB, c *adminapi.Client, where string) (accounts, rows int) {
	t.Helper()
	rep, err := c.VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("verify-ledger on %s: %s row %d: %s", where, p.APIKey, p.TransactionID, p.Message)
	}
	if !rep.OK || len(rep.Problems) != 0 {
		t.Errorf("verify-ledger on %s: not ok", where)
	}
	return rep.Accounts, rep.Rows
}
