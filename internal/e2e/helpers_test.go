package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

const adminToken = "e2e-admin-token-3f9a0c"

// client talks to one server's admin API.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     30 * time.Second,
		},
	}}
}

// answer is one HTTP response, read whole.
type answer struct {
	status   int
	replayed bool
	body     []byte
}

// send makes one request with the admin token. The error is the
// transport's: no answer arrived.
func (c *client) send(method, path, body string, header map[string]string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{status: res.StatusCode, replayed: res.Header.Get("Idempotent-Replayed") == "true", body: data}, nil
}

// must is send for requests that must succeed with status want.
func (c *client) must(t *testing.T, method, path, body string, want int) []byte {
	t.Helper()
	a, err := c.send(method, path, body, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if a.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, a.status, a.body, want)
	}
	return a.body
}

// txBody is a ledger row as the admin API shows it.
type txBody struct {
	ID           int64  `json:"id"`
	Kind         string `json:"kind"`
	Amount       string `json:"amount"`
	BalanceAfter string `json:"balance_after"`
	Reference    string `json:"reference"`
	Trx          string `json:"trx"`
	RelatedTrx   string `json:"related_trx"`
	CreatedAt    string `json:"created_at"`
}

// movedBody is the 201 answer of a credit or charge.
type movedBody struct {
	Transaction txBody  `json:"transaction"`
	Reload      *txBody `json:"reload"`
	Balance     string  `json:"balance"`
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

// signed parses a signed decimal string from the API exactly.
func signed(t *testing.T, s string) account.Money {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	m, err := account.ParseMoney("amount", strings.TrimPrefix(s, "-"))
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		return -m
	}
	return m
}

// balance reads the account's balance through the admin API.
func (c *client) balance(t *testing.T, key string) account.Money {
	t.Helper()
	var acct struct {
		Balance string `json:"balance"`
	}
	if err := json.Unmarshal(c.must(t, "GET", "/admin/accounts/"+key, "", 200), &acct); err != nil {
		t.Fatal(err)
	}
	return signed(t, acct.Balance)
}

// ledger reads every row of the account, newest first, page by page.
func (c *client) ledger(t *testing.T, key string) []txBody {
	t.Helper()
	var rows []txBody
	cursor := ""
	for {
		path := "/admin/accounts/" + key + "/transactions?limit=1000"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		page := decode[struct {
			Transactions []txBody `json:"transactions"`
			NextCursor   string   `json:"next_cursor"`
		}](t, c.must(t, "GET", path, "", 200))
		rows = append(rows, page.Transactions...)
		if page.NextCursor == "" {
			return rows
		}
		cursor = page.NextCursor
	}
}

// verify runs the ledger check and fails the test on any problem.
func (c *client) verify(t *testing.T) (accounts, rows int) {
	t.Helper()
	rep := decode[struct {
		Accounts int `json:"accounts"`
		Rows     int `json:"rows"`
		Problems []struct {
			APIKey        string `json:"api_key"`
			TransactionID int64  `json:"transaction_id"`
			Message       string `json:"message"`
		} `json:"problems"`
		OK bool `json:"ok"`
	}](t, c.must(t, "GET", "/admin/ledger/verify", "", 200))
	for _, p := range rep.Problems {
		t.Errorf("verify-ledger: %s row %d: %s", p.APIKey, p.TransactionID, p.Message)
	}
	if !rep.OK || len(rep.Problems) != 0 {
		t.Errorf("verify-ledger not ok")
	}
	return rep.Accounts, rep.Rows
}

// moneyBody is a credit or charge request body.
func moneyBody(amount account.Money, reference string) string {
	return fmt.Sprintf(`{"amount":%s,"reference":%s}`, strconv.Quote(amount.String()), strconv.Quote(reference))
}
