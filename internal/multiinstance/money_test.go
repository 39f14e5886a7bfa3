package multiinstance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
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

func (m moneyRequest) call(key string) call {
	kind := "credits"
	if m.charge {
		kind = "charges"
	}
	return call{method: "POST", path: "/admin/accounts/" + key + "/" + kind, admin: true, idemKey: m.ref,
		json: fmt.Sprintf(`{"amount":%s,"reference":%s}`, strconv.Quote(m.amount.String()), strconv.Quote(m.ref))}
}

// txBody is a ledger row as the admin API shows it.
type txBody struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Amount    string `json:"amount"`
	Reference string `json:"reference"`
}

// movedBody is the 201 answer of a credit or charge.
type movedBody struct {
	Transaction txBody  `json:"transaction"`
	Reload      *txBody `json:"reload"`
	Balance     string  `json:"balance"`
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
		{key: "money001", secret: "Money1Secret", opening: eurs("50"), reload: &[2]account.Money{eurs("2"), eurs("5")}},
		{key: "money002", secret: "Money2Secret", opening: eurs("5")},
	}
	for _, ac := range accts {
		extra := fmt.Sprintf(`"balance":%q`, ac.opening.String())
		if ac.reload != nil {
			extra += fmt.Sprintf(`,"auto_reload":{"threshold":%q,"amount":%q}`, ac.reload[0].String(), ac.reload[1].String())
		}
		createAccount(t, c, a, ac.key, ac.secret, extra)
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
			r.charge, r.amount = true, account.Money(rng.Int64N(int64(eurs("3"))))+1
		case n < 60:
			r.charge, r.amount = true, eurs("1000")
		default:
			r.amount = account.Money(rng.Int64N(int64(eurs("2")))) + 1
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
					adm, err := in.send(c, call{method: "GET", path: "/admin/accounts/" + ac.key, admin: true})
					if err != nil || adm.status != 200 || !bytes.Contains(adm.body, []byte(`"balance":"`)) || bytes.Contains(adm.body, []byte(`"balance":"-`)) {
						t.Errorf("admin GET %s on %s: %s %v", ac.key, in.name, adm, err)
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
		answer
	}
	answers := make([][]sent, planned)
	jobs := make(chan int)
	var wg sync.WaitGroup
	send := func(r moneyRequest, on int) sent {
		ans, err := ins[on].send(c, r.call(accts[r.acct].key))
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
					problem("request %d: %s to a key sent once", i, s.answer)
				}
			default:
				problem("request %d on %s: %s", i, ins[s.on].name, s.answer)
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
			// A replay answers what the first attempt did: byte for byte
			// for a 201 (the same transaction id, amount and balance), the
			// same problem but for its request id for a 402.
			if s.status != final[0].status || (s.status == 201 && !bytes.Equal(s.body, final[0].body)) ||
				(s.status == 402 && problemDetail(s.body) != problemDetail(final[0].body)) {
				problem("request %d: the answers differ:\n%s\n%s", i, final[0].answer, s.answer)
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
		moved := decode[movedBody](t, final[0].body)
		tx := moved.Transaction
		wantAmount := r.amount
		if r.charge {
			wantAmount = -wantAmount
		}
		if tx.Reference != r.ref || signed(t, tx.Amount) != wantAmount {
			problem("request %d: answered %+v for %s of %s", i, tx, r.ref, r.amount)
		}
		want[r.acct] += signed(t, tx.Amount)
		if moved.Reload != nil {
			reloads++
			ar := accts[r.acct].reload
			if ar == nil || !r.charge || signed(t, moved.Reload.Amount) != ar[1] {
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
		rows := ledger(t, c, ins[ai%2], ac.key)
		rowsChecked += len(rows)
		count := map[string]int{}
		ids := map[string]int64{}
		var sum account.Money
		for _, row := range rows {
			count[row.Reference]++
			ids[row.Reference] = row.ID
			sum += signed(t, row.Amount)
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

// problemDetail is the type and detail of a problem-details body.
func problemDetail(body []byte) string {
	var p struct{ Type, Detail string }
	_ = json.Unmarshal(body, &p)
	return p.Type + " " + p.Detail
}

// eurs parses a decimal amount of EUR.
func eurs(s string) account.Money {
	m, err := account.ParseMoney("test", s)
	if err != nil {
		panic(err)
	}
	return m
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

// balance reads an account's balance through in's admin API.
func balance(t *testing.T, c *http.Client, in *instance, key string) account.Money {
	t.Helper()
	acct := decode[struct {
		Balance string `json:"balance"`
	}](t, in.must(t, c, call{method: "GET", path: "/admin/accounts/" + key, admin: true}, 200))
	return signed(t, acct.Balance)
}

// ledger reads every row of the account through in's admin API, newest
// first, page by page.
func ledger(t *testing.T, c *http.Client, in *instance, key string) []txBody {
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
		}](t, in.must(t, c, call{method: "GET", path: path, admin: true}, 200))
		rows = append(rows, page.Transactions...)
		if page.NextCursor == "" {
			return rows
		}
		cursor = page.NextCursor
	}
}

// verify runs GET /admin/ledger/verify on in and fails t on any problem.
func verify(t *testing.T, c *http.Client, in *instance) (accounts, rows int) {
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
	}](t, in.must(t, c, call{method: "GET", path: "/admin/ledger/verify", admin: true}, 200))
	for _, p := range rep.Problems {
		t.Errorf("verify-ledger on %s: %s row %d: %s", in.name, p.APIKey, p.TransactionID, p.Message)
	}
	if !rep.OK {
		t.Errorf("verify-ledger on %s: not ok", in.name)
	}
	return rep.Accounts, rep.Rows
}
