package multiinstance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// moneyAccount is one account the money test moves money on.
type moneyAccount struct {
	key, secret string
	opening     account.Money
	reload      *[2]account.Money // threshold, amount; nil without auto-reload
}

// moneyRequest is one planned credit or charge.
type moneyRequest struct {
	i      int
	acct   int // index into the accounts
	charge bool
	amount account.Money
	ref    string // the reference, also the Idempotency-Key
	on     int    // the instance it is sent to, unless both
	both   bool   // sent to both instances at the same moment
}

// moneyAnswer is the answer to one credit or charge.
type moneyAnswer struct {
	status   int // 201, or the problem's
	replayed bool
	moved    adminapi.Movement // of a 201
	problem  *adminapi.Error   // of any other status
}

func (a moneyAnswer) String() string {
	if a.problem != nil {
		return a.problem.Error()
	}
	return fmt.Sprintf("%d %+v", a.status, a.moved)
}

// send sends m to in. The error is the transport's (no answer arrived) or
// a 201 that does not decode.
func (m moneyRequest) send(c *http.Client, in *instance, key string) (moneyAnswer, error) {
	move := in.admin(c).Credit
	if m.charge {
		move = in.admin(c).Charge
	}
	moved, err := move(context.Background(), key, adminapi.MoneyRequest{Amount: m.amount.String(), Reference: m.ref, IdempotencyKey: m.ref})
	var e *adminapi.Error
	switch {
	case err == nil:
		return moneyAnswer{status: http.StatusCreated, replayed: moved.Replayed, moved: moved}, nil
	case errors.As(err, &e):
		return moneyAnswer{status: e.Status, replayed: e.Replayed, problem: e}, nil
	}
	return moneyAnswer{}, fmt.Errorf("%s on %s: %w", m.ref, in.name, err)
}

// TestMoneyAcrossInstances: 1,000 idempotent credits and charges spread
// over both instances by 32 goroutines, 100 of them sent to both instances
// at the same moment, on two accounts (one with auto-reload), while a
// reader polls both balances on both instances. Every key moves money at
// most once, the balances are exactly what the 201 answers add up to, no
// balance is ever seen below zero, the ledger check is clean and no request
// fails with a 5xx (contract sections 5 and 6).
func TestMoneyAcrossInstances(t *testing.T) {
	t.Parallel()
	_, a, b := twoInstances(t)
	ins := [2]*instance{a, b}
	c := newHTTPClient(t)
	const (
		workers = 32
		planned = 1000 // every 10th sent to both instances: 1,100 requests
	)
	accts := []moneyAccount{
		{key: "money001", secret: "Money1Secret", opening: 50 * account.Scale, reload: &[2]account.Money{2 * account.Scale, 5 * account.Scale}},
		{key: "money002", secret: "Money2Secret", opening: 5 * account.Scale},
	}
	for _, ac := range accts {
		na := adminapi.NewAccount{APIKey: ac.key, Secret: ac.secret, Balance: ac.opening.String()}
		if ac.reload != nil {
			na.AutoReload = &adminapi.AutoReload{Threshold: ac.reload[0].String(), Amount: ac.reload[1].String()}
		}
		createAccount(t, c, a, na)
	}

	// The plan: 55% charges of up to 3 EUR, 5% charges of 1,000 EUR that
	// never fit, 40% credits of up to 2 EUR; amounts use all eight
	// decimals. The account without auto-reload runs dry now and then.
	rng := rand.New(rand.NewPCG(2026, 4))
	reqs := make([]moneyRequest, planned)
	for i := range reqs {
		r := moneyRequest{i: i, acct: rng.IntN(len(accts)), ref: fmt.Sprintf("multi-%04d", i), on: rng.IntN(2), both: i%10 == 0}
		switch n := rng.IntN(100); {
		case n < 55:
			r.charge, r.amount = true, account.Money(rng.Int64N(3*account.Scale))+1
		case n < 60:
			r.charge, r.amount = true, 1000*account.Scale
		default:
			r.amount = account.Money(rng.Int64N(2*account.Scale)) + 1
		}
		reqs[i] = r
	}

	// The readers, one per instance: every balance, through the admin API
	// and E1, never below zero.
	var (
		done     = make(chan struct{})
		polls    atomic.Int64
		readerWG sync.WaitGroup
	)
	for _, in := range ins {
		readerWG.Go(func() {
			for {
				for _, ac := range accts {
					select {
					case <-done:
						return
					default:
					}
					adm, err := in.admin(c).Account(context.Background(), ac.key)
					if err != nil || adm.Balance == "" || strings.HasPrefix(adm.Balance, "-") {
						t.Errorf("admin GET %s on %s: %+v %v", ac.key, in.name, adm, err)
						return
					}
					e1, err := getBalance(c, in, ac.key, ac.secret)
					var bal struct {
						Value json.Number `json:"value"`
					}
					if err == nil {
						dec := json.NewDecoder(bytes.NewReader(e1.body))
						dec.UseNumber()
						err = dec.Decode(&bal)
					}
					if err != nil || e1.status != 200 || bal.Value == "" || strings.HasPrefix(string(bal.Value), "-") {
						t.Errorf("E1 %s on %s: %s %v", ac.key, in.name, e1, err)
						return
					}
					polls.Add(2)
				}
			}
		})
	}

	// The writers.
	type sent struct {
		on int
		moneyAnswer
	}
	answers := make([][]sent, planned)
	jobs := make(chan int)
	var wg sync.WaitGroup
	send := func(r moneyRequest, on int) sent {
		ans, err := r.send(c, ins[on], accts[r.acct].key)
		if err != nil {
			t.Errorf("request %d: %v", r.i, err)
		}
		return sent{on, ans}
	}
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				r := reqs[i]
				if !r.both {
					answers[i] = []sent{send(r, r.on)}
					continue
				}
				pair := make([]sent, 2)
				gate := make(chan struct{})
				var pg sync.WaitGroup
				for on := range pair {
					pg.Go(func() {
						<-gate
						pair[on] = send(r, on)
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
	close(done)
	readerWG.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Add up the answers. A broken server gets one line per request: the
	// first few tell the story.
	problems := 0
	problem := func(format string, args ...any) {
		t.Helper()
		if problems++; problems <= 20 {
			t.Errorf(format, args...)
		} else if problems == 21 {
			t.Error("(further problems with single requests not shown)")
		}
	}
	var (
		requests, accepted, refused, replays, conflicts, reloads int
		perInstance                                              [2]int
		replaysOn                                                [2]int
		want                                                     = make([]account.Money, len(accts))
		byRef                                                    = map[string]int64{} // accepted: reference -> transaction id
		status                                                   = map[int]int{}
	)
	for i, ac := range accts {
		want[i] = ac.opening
	}
	for i, as := range answers {
		r := reqs[i]
		requests += len(as)
		var final []sent // the answers that are not a 409
		for _, s := range as {
			perInstance[s.on]++
			status[s.status]++
			switch s.status {
			case 201, 402:
				final = append(final, s)
			case 409:
				// The contract lets a repeat that arrives while the first
				// is in progress get a 409 instead of waiting.
				conflicts++
				if len(as) != 2 {
					problem("request %d: %s to a key sent once", i, s.moneyAnswer)
				}
			default:
				problem("request %d on %s: %s", i, ins[s.on].name, s.moneyAnswer)
			}
		}
		if len(final) == 0 {
			problem("request %d: no 201 or 402 among %d answers", i, len(as))
			continue
		}
		fresh := 0
		for _, s := range final {
			if s.replayed {
				replays++
				replaysOn[s.on]++
			} else {
				fresh++
			}
			// A replay answers what the first attempt did: every member
			// of a 201 (the same transaction id, amount and balance), the
			// same problem but for its request id for a 402.
			if s.status != final[0].status || (s.status == 201 && !sameMovement(s.moved, final[0].moved)) ||
				(s.status == 402 && problemDetail(s.problem) != problemDetail(final[0].problem)) {
				problem("request %d: the answers differ:\n%s\n%s", i, final[0].moneyAnswer, s.moneyAnswer)
			}
		}
		if fresh != 1 {
			problem("request %d: %d of %d answers not marked as replays, want 1", i, fresh, len(final))
		}
		if final[0].status == 402 {
			refused++
			if !r.charge {
				problem("request %d: a credit refused", i)
			}
			continue
		}
		accepted++
		moved := final[0].moved
		tx := moved.Transaction
		wantAmount := r.amount
		if r.charge {
			wantAmount = -wantAmount
		}
		got, err := account.ParseSignedMoney("amount", tx.Amount)
		if err != nil || tx.Reference != r.ref || got != wantAmount {
			problem("request %d: answered %+v for %s of %s", i, tx, r.ref, r.amount)
		}
		want[r.acct] += got
		if moved.Reload != nil {
			reloads++
			ar := accts[r.acct].reload
			if reload, err := account.ParseSignedMoney("reload.amount", moved.Reload.Amount); err != nil || ar == nil || !r.charge || reload != ar[1] {
				problem("request %d: reload %+v", i, *moved.Reload)
			} else {
				want[r.acct] += ar[1]
			}
		}
		byRef[r.ref] = tx.ID
	}
	for _, s := range []int{201, 402, 409} {
		delete(status, s)
	}
	if len(status) != 0 {
		t.Errorf("unexpected statuses (status: count): %v", status)
	}

	// Each balance is exactly what the answers add up to, on both
	// instances; each accepted request is in the ledger once, as answered,
	// and refused ones not at all; the other rows are the opening credit
	// and the reloads.
	rowsChecked := 0
	for ai, ac := range accts {
		for _, in := range ins {
			if got := balance(t, c, in, ac.key); got != want[ai] {
				t.Errorf("%s on %s: balance %s, the answers add up to %s", ac.key, in.name, got, want[ai])
			}
		}
		rows, sum := ledger(t, c, ins[ai%2], ac.key)
		rowsChecked += len(rows)
		count := map[string]int{}
		ids := map[string]int64{}
		for _, row := range rows {
			count[row.Reference]++
			ids[row.Reference] = row.ID
		}
		acceptedHere := 0
		for _, r := range reqs {
			if r.acct != ai {
				continue
			}
			id, ok := byRef[r.ref]
			switch {
			case ok && (count[r.ref] != 1 || ids[r.ref] != id):
				problem("%s: %d ledger rows (id %d), want 1 with the answered id %d", r.ref, count[r.ref], ids[r.ref], id)
			case !ok && count[r.ref] != 0:
				problem("%s: refused, yet %d ledger rows", r.ref, count[r.ref])
			}
			if ok {
				acceptedHere++
			}
		}
		if len(rows) != 1+acceptedHere+count["auto-reload"] || count["opening balance"] != 1 {
			t.Errorf("%s: %d ledger rows, %d accepted requests, %d reloads, %d opening credits", ac.key, len(rows), acceptedHere, count["auto-reload"], count["opening balance"])
		}
		if sum != want[ai] {
			t.Errorf("%s: the ledger sums to %s, the answers to %s", ac.key, sum, want[ai])
		}
	}
	var verified [2]int
	for i, in := range ins {
		accounts, rows := verify(t, c, in)
		if accounts != len(accts) || rows != rowsChecked {
			t.Errorf("verify-ledger on %s checked %d accounts and %d rows, want %d and %d", in.name, accounts, rows, len(accts), rowsChecked)
		}
		verified[i] = rows
	}

	t.Logf("%d requests (%d keys, %d sent to both instances at once; %d to A, %d to B) from %d goroutines in %s: %d keys accepted (201), %d refused (402), %d replays (%d answered by A, %d by B), %d 409s, %d auto-reloads, no 5xx; %d balance reads on both instances, none negative; final balances %s and %s = the answers' sums = the ledgers' sums; verify-ledger clean on both instances (%d rows)",
		requests, planned, planned/10, perInstance[0], perInstance[1], workers, elapsed.Round(time.Millisecond),
		accepted, refused, replays, replaysOn[0], replaysOn[1], conflicts, reloads, polls.Load(), want[0], want[1], verified[0])
	if requests != planned+planned/10 {
		t.Errorf("%d requests, want %d", requests, planned+planned/10)
	}
	if refused == 0 || reloads == 0 || accepted == 0 || replays+conflicts != planned/10 {
		t.Errorf("the load did not exercise every path: %d accepted, %d refused, %d reloads, %d replays and %d 409s", accepted, refused, reloads, replays, conflicts)
	}
}

// problemDetail is the type and detail of a problem.
func problemDetail(p *adminapi.Error) string {
	if p == nil {
		return ""
	}
	return p.Type + " " + p.Detail
}

// sameMovement reports whether two answers of a credit or charge say the
// same: every member of the body (not whether it was replayed).
func sameMovement(a, b adminapi.Movement) bool {
	a.Replayed, b.Replayed = false, false
	return reflect.DeepEqual(a, b)
}

// balance reads an account's balance through in's admin API.
func balance(t *testing.T, c *http.Client, in *instance, key string) account.Money {
	t.Helper()
	acct, err := in.admin(c).Account(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := account.ParseSignedMoney("balance", acct.Balance)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ledger reads every row of the account through in's admin API, newest
// first, page by page, and adds up their amounts.
func ledger(t *testing.T, c *http.Client, in *instance, key string) ([]adminapi.Transaction, account.Money) {
	t.Helper()
	var (
		rows   []adminapi.Transaction
		sum    account.Money
		cursor string
	)
	for {
		page, err := in.admin(c).Transactions(t.Context(), key, 1000, cursor)
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

// verify runs GET /admin/ledger/verify on in and fails t on any problem.
func verify(t *testing.T, c *http.Client, in *instance) (accounts, rows int) {
	t.Helper()
	rep, err := in.admin(c).VerifyLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("verify-ledger on %s: %s row %d: %s", in.name, p.APIKey, p.TransactionID, p.Message)
	}
	if !rep.OK {
		t.Errorf("verify-ledger on %s: not ok", in.name)
	}
	return rep.Accounts, rep.Rows
}
