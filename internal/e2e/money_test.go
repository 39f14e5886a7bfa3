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
	"github.com/vonage/vonage-go-sdk/internal/moneytest"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

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
	// 64 writers queue for SQLite's one writer, each commit synced; under
	// -race beside other test binaries the wait passed the 10 s default
	// deadline (a 503, which this test is not about: it checks the money).
	cfg.DBTimeout = time.Minute
	srv := testutil.StartServer(t, cfg)
	c := newClient(srv.URL)
	if _, err := c.CreateAccount(t.Context(), adminapi.NewAccount{APIKey: apiKey, Secret: apiSecret, Balance: opening.String(),
		AutoReload: &adminapi.AutoReload{Threshold: threshold.String(), Amount: reloadBy.String()}}); err != nil {
		t.Fatal(err)
	}

	// The plan: 60% charges of up to 8 EUR (a reload of 5 does not always
	// cover them), 5% charges of 5,000 EUR that never fit, 35% credits of
	// up to 5 EUR; amounts use all eight decimals.
	mix := moneytest.Mix{ChargePct: 60, MaxCharge: 8 * account.Scale, HugePct: 5, Huge: 5000 * account.Scale, MaxCredit: 5 * account.Scale}
	rng := rand.New(rand.NewPCG(2026, 3))
	reqs := make([]moneytest.Request, planned)
	for i := range reqs {
		reqs[i] = mix.Draw(rng, fmt.Sprintf("e2e-ref-%04d", i), fmt.Sprintf("e2e-key-%04d", i))
	}
	copies := func(i int) int { // every 9th is sent twice at the same moment
		if i%9 == 0 {
			return 2
		}
		return 1
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
	start := time.Now()
	answers := moneytest.SendAll(workers, planned, copies, func(i, _ int) moneytest.Answer {
		a, err := reqs[i].Send(c.Client, apiKey)
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
		return a
	})
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
			if a.Status >= 500 || (a.Status != 201 && a.Status != 402) {
				t.Fatalf("request %d: %d %v", i, a.Status, a.Problem)
			}
			if a.Status != as[0].Status {
				t.Fatalf("request %d: answered %d and %d", i, as[0].Status, a.Status)
			}
			if a.Replayed {
				replays++
			} else {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("request %d (%d copies): %d answers not marked as replays, want 1", i, len(as), fresh)
		}
		if as[0].Status == 402 {
			refused++
			if !r.Charge {
				t.Errorf("request %d: a credit refused", i)
			}
			continue
		}
		if len(as) == 2 && !moneytest.SameMovement(as[0].Moved, as[1].Moved) {
			t.Errorf("request %d: the two answers differ:\n%+v\n%+v", i, as[0].Moved, as[1].Moved)
		}
		accepted++
		moved := as[0].Moved
		got, err := r.Check(moved)
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
		want += got
		if moved.Reload != nil {
			reloads++
			reload, err := account.ParseSignedMoney("reload.amount", moved.Reload.Amount)
			want += reload
			if err != nil || reload != reloadBy || !r.Charge {
				t.Errorf("request %d: reload %+v", i, *moved.Reload)
			}
		}
		byRef[r.Ref] = moved.Transaction.ID
	}

	// The balance is exactly what the answers add up to, on both APIs.
	if got := moneytest.Balance(t, c.Client, apiKey); got != want {
		t.Errorf("final balance %s, the answers add up to %s", got, want)
	}

	// Each accepted request is in the ledger once, as answered; refused
	// ones are not; the other rows are the opening credit and the reloads.
	l := moneytest.ReadLedger(t, c.Client, apiKey)
	for _, r := range reqs {
		id, ok := byRef[r.Ref]
		if err := l.Check(r.Ref, ok, id); err != nil {
			t.Error(err)
		}
	}
	if l.Count["auto-reload"] != reloads || l.Count["opening balance"] != 1 || len(l.Rows) != 1+accepted+reloads {
		t.Errorf("ledger: %d rows, %d reloads, %d opening; want %d, %d, 1", len(l.Rows), l.Count["auto-reload"], l.Count["opening balance"], 1+accepted+reloads, reloads)
	}
	if l.Sum != want {
		t.Errorf("ledger sums to %s, want %s", l.Sum, want)
	}
	accounts, ledgerRows := moneytest.Verify(t, c.Client, "the server")

	t.Logf("%d requests (%d distinct, %d sent twice at once) from %d goroutines in %s: %d accepted, %d refused (402), %d replays, %d auto-reloads; %d balance reads, none negative; final balance %s = ledger sum; verify-ledger clean (%d accounts, %d rows)",
		requests, planned, planned/9, workers, elapsed.Round(time.Millisecond), accepted, refused, replays, reloads, polls.Load(), want, accounts, ledgerRows)
	if requests != 2000 {
		t.Errorf("%d requests, want 2000", requests)
	}
	if refused == 0 || reloads == 0 || accepted == 0 {
		t.Errorf("the load did not exercise every path: %d accepted, %d refused, %d reloads", accepted, refused, reloads)
	}
}
