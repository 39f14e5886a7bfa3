package e2e_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

const adminToken = "e2e-admin-token-3f9a0c"

// client talks to one server's admin API, and to the rest of it through
// http.
type client struct {
	*adminapi.Client
	http *http.Client
}

func newClient(base string) *client {
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	return &client{Client: adminapi.New(base, adminToken, adminapi.WithHTTPClient(hc)), http: hc}
}

// answer is the answer to one credit or charge.
type answer struct {
	status   int // 201, or the problem's
	replayed bool
	moved    adminapi.Movement // of a 201
	problem  *adminapi.Error   // of any other status
}

// move sends one credit or charge. The error is the transport's (no answer
// arrived) or a 201 that does not decode.
func (c *client) move(charge bool, key string, req adminapi.MoneyRequest) (answer, error) {
	send := c.Credit
	if charge {
		send = c.Charge
	}
	moved, err := send(context.Background(), key, req)
	var e *adminapi.Error
	switch {
	case err == nil:
		return answer{status: http.StatusCreated, replayed: moved.Replayed, moved: moved}, nil
	case errors.As(err, &e):
		return answer{status: e.Status, replayed: e.Replayed, problem: e}, nil
	}
	return answer{}, err
}

// sameMovement reports whether two answers of a credit or charge say the
// same: every member of the body (not whether it was replayed).
func sameMovement(a, b adminapi.Movement) bool {
	a.Replayed, b.Replayed = false, false
	return reflect.DeepEqual(a, b)
}

// balance reads the account's balance through the admin API.
func (c *client) balance(t *testing.T, key string) account.Money {
	t.Helper()
	acct, err := c.Account(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := account.ParseSignedMoney("balance", acct.Balance)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ledger reads every row of the account, newest first, page by page, and
// adds up their amounts.
func (c *client) ledger(t *testing.T, key string) ([]adminapi.Transaction, account.Money) {
	t.Helper()
	var (
		rows   []adminapi.Transaction
		sum    account.Money
		cursor string
	)
	for {
		page, err := c.Transactions(context.Background(), key, 1000, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Transactions {
			m, err := account.ParseSignedMoney("amount", row.Amount)
			if err != nil {
				t.Fatalf("row %d: %v", row.ID, err)
			}
			sum += m
		}
		rows = append(rows, page.Transactions...)
		if page.NextCursor == "" {
			return rows, sum
		}
		cursor = page.NextCursor
	}
}

// verify runs the ledger check and fails the test on any problem.
func (c *client) verify(t *testing.T) (accounts, rows int) {
	t.Helper()
	rep, err := c.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("verify-ledger: %s row %d: %s", p.APIKey, p.TransactionID, p.Message)
	}
	if !rep.OK || len(rep.Problems) != 0 {
		t.Errorf("verify-ledger not ok")
	}
	return rep.Accounts, rep.Rows
}
