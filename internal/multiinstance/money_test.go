package multiinstance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/moneytest"
)

// moneyAccount is one account the money test moves money on.
type moneyAccount struct {
	key, secret string
	opening     account.Money
	reload      *[2]account.Money // threshold, amount; nil without auto-reload
}

// moneyRequest is one planned credit or charge; its reference is also its
// Idempotency-Key.
type moneyRequest struct {
	moneytest.Request
	acct int  // index into the accounts
	on   int  // the instance it is sent to, unless both
	both bool // sent to both instances at the same moment
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
	mix := moneytest.Mix{ChargePct: 55, MaxCharge: 3 * account.Scale, HugePct: 5, Huge: 1000 * account.Scale, MaxCredit: 2 * account.Scale}
	rng := rand.New(rand.NewPCG(2026, 4))
	reqs := make([]moneyRequest, planned)
	for i := range reqs {
		acct := rng.IntN(len(accts))
		on := rng.IntN(2)
		ref := fmt.Sprintf("multi-%04d", i)
		reqs[i] = moneyRequest{Request: mix.Draw(rng, ref, ref), acct: acct, on: on, both: i%10 == 0}
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
		moneytest.Answer
	}
	copies := func(i int) int {
		if reqs[i].both {
			return 2
		}
		return 1
	}
	start := time.Now()
	answers := moneytest.SendAll(workers, planned, copies, func(i, j int) sent {
		r, on := reqs[i], reqs[i].on
		if r.both {
			on = j
		}
		ans, err := r.Send(ins[on].admin(c), accts[r.acct].key)
		if err != nil {
			t.Errorf("request %d: %s on %s: %v", i, r.Ref, ins[on].name, err)
		}
		return sent{on, ans}
	})
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
			status[s.Status]++
			switch s.Status {
			case 201, 402:
				final = append(final, s)
			case 409:
				// The contract lets a repeat that arrives while the first
				// is in progress get a 409 instead of waiting.
				conflicts++
				if len(as) != 2 {
					problem("request %d: %s to a key sent once", i, s.Answer)
				}
			default:
				problem("request %d on %s: %s", i, ins[s.on].name, s.Answer)
			}
		}
		if len(final) == 0 {
			problem("request %d: no 201 or 402 among %d answers", i, len(as))
			continue
		}
		fresh := 0
		for _, s := range final {
			if s.Replayed {
				replays++
				replaysOn[s.on]++
			} else {
				fresh++
			}
			// A replay answers what the first attempt did: every member
			// of a 201 (the same transaction id, amount and balance), the
			// same problem but for its request id for a 402.
			if s.Status != final[0].Status || (s.Status == 201 && !moneytest.SameMovement(s.Moved, final[0].Moved)) ||
				(s.Status == 402 && problemDetail(s.Problem) != problemDetail(final[0].Problem)) {
				problem("request %d: the answers differ:\n%s\n%s", i, final[0].Answer, s.Answer)
			}
		}
		if fresh != 1 {
			problem("request %d: %d of %d answers not marked as replays, want 1", i, fresh, len(final))
		}
		if final[0].Status == 402 {
			refused++
			if !r.Charge {
				problem("request %d: a credit refused", i)
			}
			continue
		}
		accepted++
		moved := final[0].Moved
		got, err := r.Check(moved)
		if err != nil {
			problem("request %d: %v", i, err)
		}
		want[r.acct] += got
		if moved.Reload != nil {
			reloads++
			ar := accts[r.acct].reload
			if reload, err := account.ParseSignedMoney("reload.amount", moved.Reload.Amount); err != nil || ar == nil || !r.Charge || reload != ar[1] {
				problem("request %d: reload %+v", i, *moved.Reload)
			} else {
				want[r.acct] += ar[1]
			}
		}
		byRef[r.Ref] = moved.Transaction.ID
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
			if got := moneytest.Balance(t, in.admin(c), ac.key); got != want[ai] {
				t.Errorf("%s on %s: balance %s, the answers add up to %s", ac.key, in.name, got, want[ai])
			}
		}
		l := moneytest.ReadLedger(t, ins[ai%2].admin(c), ac.key)
		rowsChecked += len(l.Rows)
		acceptedHere := 0
		for _, r := range reqs {
			if r.acct != ai {
				continue
			}
			id, ok := byRef[r.Ref]
			if err := l.Check(r.Ref, ok, id); err != nil {
				problem("%v", err)
			}
			if ok {
				acceptedHere++
			}
		}
		if len(l.Rows) != 1+acceptedHere+l.Count["auto-reload"] || l.Count["opening balance"] != 1 {
			t.Errorf("%s: %d ledger rows, %d accepted requests, %d reloads, %d opening credits", ac.key, len(l.Rows), acceptedHere, l.Count["auto-reload"], l.Count["opening balance"])
		}
		if l.Sum != want[ai] {
			t.Errorf("%s: the ledger sums to %s, the answers to %s", ac.key, l.Sum, want[ai])
		}
	}
	var verified [2]int
	for i, in := range ins {
		accounts, rows := moneytest.Verify(t, in.admin(c), in.name)
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
