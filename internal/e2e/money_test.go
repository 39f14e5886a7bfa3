package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// moneyRequest is one planned credit or charge.
type moneyRequest struct {
	i      int
	charge bool
	amount account.Money
	ref    string
	key    string
	twice  bool // sent by two goroutines at the same moment
}

func (m moneyRequest) send(c *client, apiKey string) (answer, error) {
	return c.move(m.charge, apiKey, adminapi.MoneyRequest{Amount: m.amount.String(), Reference: m.ref, IdempotencyKey: m.key})
}

// TestConcurrentMoneyHTTP drives 2,000 idempotent credits and charges at
// one account of a real server on a SQLite file, 200 of them sent twice at
// the same moment, while a reader polls the balance. Every answer must add
// up: the final balance is the opening balance plus every accepted credit
// and reload minus every accepted charge, each request is in the ledger
// exactly once, and the ledger check is clean.
func TestConcurrentMoneyHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end load test; skipped with -short")
	}
	t.Parallel()
	const (
		apiKey    = "e2emoney01"
		apiSecret = "E2eMoney1Secret"
		workers   = 64
		planned   = 1800 // of which every 9th is sent twice: 2,000 requests
	)
	opening, threshold, reloadBy := account.Money(100*account.Scale), account.Money(2*account.Scale), account.Money(5*account.Scale)

	cfg := server.TestConfig()
	cfg.DB = filepath.Join(t.TempDir(), "money.db")
	cfg.AdminToken = adminToken
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c := newClient(srv.URL)
	if _, err := c.CreateAccount(t.Context(), adminapi.NewAccount{APIKey: apiKey, Secret: apiSecret, Balance: opening.String(),
		AutoReload: &adminapi.AutoReload{Threshold: threshold.String(), Amount: reloadBy.String()}}); err != nil {
		t.Fatal(err)
	}

	// The plan: 60% charges of up to 8 EUR (a reload of 5 does not always
	// cover them), 5% charges of 5,000 EUR that never fit, 35% credits of
	// up to 5 EUR; amounts use all eight decimals.
	rng := rand.New(rand.NewPCG(2026, 3))
	reqs := make([]moneyRequest, planned)
	for i := range reqs {
		r := moneyRequest{i: i, ref: fmt.Sprintf("e2e-ref-%04d", i), key: fmt.Sprintf("e2e-key-%04d", i), twice: i%9 == 0}
		switch n := rng.IntN(100); {
		case n < 60:
			r.charge, r.amount = true, account.Money(rng.Int64N(8*account.Scale))+1
		case n < 65:
			r.charge, r.amount = true, 5000*account.Scale
		default:
			r.amount = account.Money(rng.Int64N(5*account.Scale)) + 1
		}
		reqs[i] = r
	}

	// The reader: the balance never shows below zero, on E1 or admin.
	var (
		done     atomic.Bool
		polls    atomic.Int64
		readerWG sync.WaitGroup
	)
	readerWG.Go(func() {
		e1 := srv.URL + "/account/get-balance?" + url.Values{"api_key": {apiKey}, "api_secret": {apiSecret}}.Encode()
		for !done.Load() {
			res, err := c.http.Get(e1)
			if err != nil {
				t.Errorf("E1: %v", err)
				return
			}
			var bal struct {
				Value      json.Number `json:"value"`
				AutoReload bool        `json:"autoReload"`
			}
			dec := json.NewDecoder(res.Body)
			dec.UseNumber()
			err = dec.Decode(&bal)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || strings.HasPrefix(string(bal.Value), "-") || bal.Value == "" {
				t.Errorf("E1: %d %q %v", res.StatusCode, bal.Value, err)
				return
			}
			acct, err := c.Account(context.Background(), apiKey)
			if err != nil || strings.HasPrefix(acct.Balance, "-") {
				t.Errorf("admin GET: %+v %v", acct, err)
				return
			}
			polls.Add(2)
		}
	})

	// The writers.
	answers := make([][]answer, planned)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	send := func(r moneyRequest) answer {
		a, err := r.send(c, apiKey)
		if err != nil {
			t.Errorf("request %d: %v", r.i, err)
		}
		return a
	}
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				r := reqs[i]
				if !r.twice {
					answers[i] = []answer{send(r)}
					continue
				}
				pair := make([]answer, 2)
				gate := make(chan struct{})
				var pg sync.WaitGroup
				for j := range pair {
					pg.Go(func() {
						<-gate
						pair[j] = send(r)
					})
				}
				close(gate)
				pg.Wait()
				answers[i] = pair
			}
		})
	}
	for i := range reqs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	done.Store(true)
	readerWG.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Add up the answers.
	var (
		requests, accepted, refused, replays, reloads int
		want                                          = opening
		byRef                                         = map[string]int64{} // accepted: reference -> transaction id
	)
	for i, as := range answers {
		r := reqs[i]
		requests += len(as)
		fresh := 0
		for _, a := range as {
			if a.status >= 500 || (a.status != 201 && a.status != 402) {
				t.Fatalf("request %d: %d %v", i, a.status, a.problem)
			}
			if a.status != as[0].status {
				t.Fatalf("request %d: answered %d and %d", i, as[0].status, a.status)
			}
			if a.replayed {
				replays++
			} else {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("request %d (%d copies): %d answers not marked as replays, want 1", i, len(as), fresh)
		}
		if as[0].status == 402 {
			refused++
			if !r.charge {
				t.Errorf("request %d: a credit refused", i)
			}
			continue
		}
		if len(as) == 2 && !sameMovement(as[0].moved, as[1].moved) {
			t.Errorf("request %d: the two answers differ:\n%+v\n%+v", i, as[0].moved, as[1].moved)
		}
		accepted++
		moved := as[0].moved
		tx := moved.Transaction
		wantAmount := r.amount
		if r.charge {
			wantAmount = -wantAmount
		}
		got, err := account.ParseSignedMoney("amount", tx.Amount)
		if err != nil || tx.Reference != r.ref || got != wantAmount {
			t.Errorf("request %d: answered %+v for %s of %s", i, tx, r.ref, r.amount)
		}
		want += got
		if moved.Reload != nil {
			reloads++
			reload, err := account.ParseSignedMoney("reload.amount", moved.Reload.Amount)
			want += reload
			if err != nil || reload != reloadBy || !r.charge {
				t.Errorf("request %d: reload %+v", i, *moved.Reload)
			}
		}
		byRef[r.ref] = tx.ID
	}

	// The balance is exactly what the answers add up to, on both APIs.
	if got := c.balance(t, apiKey); got != want {
		t.Errorf("final balance %s, the answers add up to %s", got, want)
	}

	// Each accepted request is in the ledger once, as answered; refused
	// ones are not; the other rows are the opening credit and the reloads.
	rows, sum := c.ledger(t, apiKey)
	count := map[string]int{}
	ids := map[string]int64{}
	for _, row := range rows {
		count[row.Reference]++
		ids[row.Reference] = row.ID
	}
	for _, r := range reqs {
		id, ok := byRef[r.ref]
		switch {
		case ok && (count[r.ref] != 1 || ids[r.ref] != id):
			t.Errorf("%s: %d ledger rows (id %d), want 1 with the answered id %d", r.ref, count[r.ref], ids[r.ref], id)
		case !ok && count[r.ref] != 0:
			t.Errorf("%s: refused, yet %d ledger rows", r.ref, count[r.ref])
		}
	}
	if count["auto-reload"] != reloads || count["opening balance"] != 1 || len(rows) != 1+accepted+reloads {
		t.Errorf("ledger: %d rows, %d reloads, %d opening; want %d, %d, 1", len(rows), count["auto-reload"], count["opening balance"], 1+accepted+reloads, reloads)
	}
	if sum != want {
		t.Errorf("ledger sums to %s, want %s", sum, want)
	}
	accounts, ledgerRows := c.verify(t)

	t.Logf("%d requests (%d distinct, %d sent twice at once) from %d goroutines in %s: %d accepted, %d refused (402), %d replays, %d auto-reloads; %d balance reads, none negative; final balance %s = ledger sum; verify-ledger clean (%d accounts, %d rows)",
		requests, planned, planned/9, workers, elapsed.Round(time.Millisecond), accepted, refused, replays, reloads, polls.Load(), want, accounts, ledgerRows)
	if requests != 2000 {
		t.Errorf("%d requests, want 2000", requests)
	}
	if refused == 0 || reloads == 0 || accepted == 0 {
		t.Errorf("the load did not exercise every path: %d accepted, %d refused, %d reloads", accepted, refused, reloads)
	}
}
