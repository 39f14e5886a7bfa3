package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The model check drives random sequences of money operations through
// account.Service and the store under test, and after every step compares
// the answer (accepted, or refused with which code) and the balance with a
// model of the rules written here in a few lines of plain Go.
//
// The sequences come from a fixed seed, logged, so a failure can be
// replayed: set ModelSeedEnv to the logged seed. ModelSequencesEnv and
// ModelStepsEnv change the amount of work.
const (
	ModelSeedEnv      = "STORETEST_MODEL_SEED"
	ModelSequencesEnv = "STORETEST_MODEL_SEQUENCES"
	ModelStepsEnv     = "STORETEST_MODEL_STEPS"
)

const defaultModelSeed = 20250314

// envInt reads a positive integer from the environment, or returns def.
func envInt(t *testing.T, name string, def uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// modelKey is what the model remembers of an idempotency key: the request
// and its first answer.
type modelKey struct {
	charge    bool
	amount    account.Money
	reference string
	code      account.Code // "" when accepted
	result    account.MoveResult
}

// model is the expected state of one account.
type model struct {
	balance   account.Money
	ar        *account.AutoReload
	reloads   map[string]account.Money // trx of every reload -> its amount
	reloadTrx []string                 // the same trxs, in order, to pick from
	topUps    []string                 // trx of top-ups, which top-up refuses
	keys      map[string]*modelKey
	names     []string // keys in use, in order, to pick from
}

// expectCharge applies the charge rule: the reload (if the charge takes the
// balance below the threshold) comes first; a final balance below zero
// refuses the whole charge.
func (m *model) expectCharge(amount account.Money) (reload account.Money, final account.Money, ok bool) {
	after := m.balance - amount
	if m.ar != nil && after < m.ar.Threshold {
		reload = m.ar.Amount
	}
	final = after + reload
	return reload, final, final >= 0
}

// modelRun is one sequence in progress.
type modelRun struct {
	t     *testing.T
	s     account.Store
	svc   *account.Service
	rng   *rand.Rand
	key   string
	m     *model
	step  int
	now   time.Time
	log   []string // the operations so far, for the failure message
	seed  uint64
	seq   int
	stats map[string]int
}

func (r *modelRun) fail(format string, args ...any) {
	r.t.Helper()
	from := max(0, len(r.log)-12)
	r.t.Fatalf("seed %d, sequence %d, step %d: %s\nlast operations:\n  %s\n(replay with %s=%d)",
		r.seed, r.seq, r.step, fmt.Sprintf(format, args...), strings.Join(r.log[from:], "\n  "), ModelSeedEnv, r.seed)
}

// testModelCheck runs the sequences as parallel subtests, each on its own
// account with its own service and clock, so the store also serves them
// interleaved; each sequence's outcome depends on its seed only.
func testModelCheck(t *testing.T, s account.Store) {
	seed := envInt(t, ModelSeedEnv, defaultModelSeed)
	defSequences := uint64(30)
	if raceDetector {
		// The race detector slows the pure-Go SQLite about tenfold; the
		// rules checked here do not depend on timing.
		defSequences = 10
	}
	sequences := int(envInt(t, ModelSequencesEnv, defSequences))
	steps := int(envInt(t, ModelStepsEnv, 200))
	t.Logf("model check: seed %d, %d sequences of %d steps (%s to replay, %s and %s for more)",
		seed, sequences, steps, ModelSeedEnv, ModelSequencesEnv, ModelStepsEnv)

	var (
		mu    sync.Mutex
		stats = map[string]int{}
	)
	t.Run("sequences", func(t *testing.T) {
		for seq := range sequences {
			t.Run(fmt.Sprintf("%02d", seq), func(t *testing.T) {
				t.Parallel()
				r := runSequence(t, s, seed, seq, steps)
				mu.Lock()
				defer mu.Unlock()
				for k, v := range r.stats {
					stats[k] += v
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	rep, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	wantClean(t, "after the model check", rep)
	if rep.Accounts != sequences {
		t.Errorf("VerifyLedger counted %d accounts, want %d", rep.Accounts, sequences)
	}
	t.Logf("model check: %d rows; operations %v", rep.Rows, stats)
}

// runSequence runs one sequence of steps on a new account.
func runSequence(t *testing.T, s account.Store, seed uint64, seq, steps int) *modelRun {
	now := t0
	r := &modelRun{
		t: t, s: s, seed: seed, seq: seq, stats: map[string]int{},
		svc: account.NewService(s,
			account.WithHashParams(account.TestHashParams),
			account.WithClock(func() time.Time { return now })),
		rng: rand.New(rand.NewPCG(seed, uint64(seq))),
		key: fmt.Sprintf("model%03d", seq),
		m:   &model{reloads: map[string]account.Money{}, keys: map[string]*modelKey{}},
	}
	r.open()
	for r.step = range steps {
		now = now.Add(time.Second)
		r.now = now.UTC().Truncate(time.Microsecond)
		r.randomStep()
		if b := mustAccount(t, s, r.key).Balance; b != r.m.balance {
			r.fail("balance %s, model says %s", b, r.m.balance)
		}
	}
	checkLedger(t, s, r.key)
	return r
}

// open creates the sequence's account with a random balance and auto-reload.
func (r *modelRun) open() {
	a := newAccount(r.key)
	a.Balance = r.money(20)
	if r.rng.IntN(2) == 0 {
		a.AutoReload = r.autoReload()
	}
	create(r.t, r.s, a)
	r.m.balance, r.m.ar = a.Balance, a.AutoReload
	r.log = append(r.log, fmt.Sprintf("open balance %s auto-reload %s", a.Balance, fmtAR(a.AutoReload)))
}

// money returns a random amount from 0 to maxEUR, with every digit of the
// smallest unit in play.
func (r *modelRun) money(maxEUR int64) account.Money {
	return account.Money(r.rng.Int64N(maxEUR*account.Scale + 1))
}

func (r *modelRun) autoReload() *account.AutoReload {
	return &account.AutoReload{Threshold: r.money(10), Amount: r.money(15) + 1}
}

func fmtAR(ar *account.AutoReload) string {
	if ar == nil {
		return "off"
	}
	return fmt.Sprintf("{threshold %s amount %s}", ar.Threshold, ar.Amount)
}

// randomStep picks an operation with fixed weights and runs it.
func (r *modelRun) randomStep() {
	switch n := r.rng.IntN(100); {
	case n < 20:
		r.move(false, r.money(30)+1)
	case n < 40:
		r.move(true, r.money(3)+1)
	case n < 46: // around the balance: often below the threshold, sometimes refused
		r.move(true, r.m.balance+r.money(2)-account.Scale+2)
	case n < 50: // exactly to the threshold, one unit below it, or to zero
		r.move(true, r.edge())
	case n < 55: // more than the balance and any reload
		r.move(true, r.m.balance+eur(16)+r.money(10))
	case n < 67:
		r.repeat(true)
	case n < 73:
		r.repeat(false)
	case n < 80:
		r.setAutoReload()
	case n < 83:
		r.setLimits()
	case n < 93:
		r.topUp(true)
	case n < 98:
		r.topUp(false)
	default:
		r.invalid()
	}
}

// edge returns a charge that ends exactly on a boundary of the rules.
func (r *modelRun) edge() account.Money {
	if r.m.ar == nil || r.rng.IntN(3) == 0 {
		return r.m.balance // to zero
	}
	return r.m.balance - r.m.ar.Threshold + account.Money(r.rng.IntN(2)) // to or just below the threshold
}

// move credits or charges amount (made positive), with a new idempotency
// key half of the time.
func (r *modelRun) move(charge bool, amount account.Money) {
	if amount <= 0 {
		amount = 1
	}
	req := account.MoneyRequest{APIKey: r.key, Amount: amount, Reference: fmt.Sprintf("ref-%d", r.rng.IntN(5))}
	if r.rng.IntN(2) == 0 {
		req.IdempotencyKey = fmt.Sprintf("key-%d", len(r.m.names))
	}
	r.stats[map[bool]string{false: "credit", true: "charge"}[charge]]++
	r.log = append(r.log, fmt.Sprintf("%s %s ref %q key %q (balance %s, auto-reload %s)",
		map[bool]string{false: "credit", true: "charge"}[charge], amount, req.Reference, req.IdempotencyKey, r.m.balance, fmtAR(r.m.ar)))
	res, err := r.send(charge, req)

	wantCode, wantReload, final := account.Code(""), account.Money(0), r.m.balance+amount
	if charge {
		var ok bool
		wantReload, final, ok = r.m.expectCharge(amount)
		if !ok {
			wantCode = account.EFUNDS
		}
	}
	if got := account.ErrorCode(err); got != wantCode {
		r.fail("code %q (%v), model says %q", got, err, wantCode)
	}
	if res.Replayed {
		r.fail("a new request says Replayed")
	}
	if wantCode == "" {
		want := account.Transaction{APIKey: r.key, Kind: account.KindCredit, Amount: amount, BalanceAfter: final, Reference: req.Reference}
		if charge {
			want.Kind, want.Amount = account.KindCharge, -amount
		}
		got := res.Transaction
		if got.ID <= 0 || got.Trx != "" || got.RelatedTrx != "" || !sameTime(got.CreatedAt, r.now) {
			r.fail("transaction %+v", got)
		}
		got.ID, got.CreatedAt = 0, time.Time{}
		if got != want {
			r.fail("transaction %+v, model says %+v", got, want)
		}
		switch {
		case wantReload == 0 && res.Reload != nil:
			r.fail("reload %+v, model says none", *res.Reload)
		case wantReload > 0 && (res.Reload == nil || res.Reload.Amount != wantReload || res.Reload.Kind != account.KindReload || res.Reload.Trx == ""):
			r.fail("reload %v, model says one of %s", res.Reload, wantReload)
		case wantReload > 0:
			r.m.reloads[res.Reload.Trx] = wantReload
			r.m.reloadTrx = append(r.m.reloadTrx, res.Reload.Trx)
			r.stats["reload"]++
		}
		r.m.balance = final
	} else {
		r.stats["refused"]++
	}
	if req.IdempotencyKey != "" {
		r.m.keys[req.IdempotencyKey] = &modelKey{charge: charge, amount: amount, reference: req.Reference, code: wantCode, result: res}
		r.m.names = append(r.m.names, req.IdempotencyKey)
	}
}

func (r *modelRun) send(charge bool, req account.MoneyRequest) (account.MoveResult, error) {
	if charge {
		return r.svc.Charge(r.t.Context(), req)
	}
	return r.svc.Credit(r.t.Context(), req)
}

// repeat sends a used key again: with the same request it must replay the
// first answer and move nothing; with another request it is ECONFLICT.
func (r *modelRun) repeat(same bool) {
	if len(r.m.names) == 0 {
		r.move(r.rng.IntN(2) == 0, r.money(5)+1)
		return
	}
	name := r.m.names[r.rng.IntN(len(r.m.names))]
	k := r.m.keys[name]
	req := account.MoneyRequest{APIKey: r.key, Amount: k.amount, Reference: k.reference, IdempotencyKey: name}
	charge := k.charge
	if !same {
		switch r.rng.IntN(3) {
		case 0:
			req.Amount++
		case 1:
			req.Reference += "x"
		default:
			charge = !charge
		}
	}
	r.stats[map[bool]string{false: "repeat-other", true: "repeat-same"}[same]]++
	r.log = append(r.log, fmt.Sprintf("repeat key %q same=%v: charge=%v %s ref %q", name, same, charge, req.Amount, req.Reference))
	res, err := r.send(charge, req)
	if !same {
		if got := account.ErrorCode(err); got != account.ECONFLICT {
			r.fail("code %q (%v), want %q for a key reused with another request", got, err, account.ECONFLICT)
		}
		return
	}
	if got := account.ErrorCode(err); got != k.code {
		r.fail("replay code %q (%v), first answer was %q", got, err, k.code)
	}
	if !res.Replayed {
		r.fail("replay says Replayed false")
	}
	res.Replayed = false
	if !reflect.DeepEqual(res, k.result) {
		r.fail("replay %s, first answer %s", fmtResult(res), fmtResult(k.result))
	}
}

// setAutoReload turns auto-reload on with new settings, or off.
func (r *modelRun) setAutoReload() {
	upd := account.AccountUpdate{SetAutoReload: true}
	if r.rng.IntN(3) > 0 {
		upd.AutoReload = r.autoReload()
	}
	r.stats["auto-reload"]++
	r.log = append(r.log, "auto-reload "+fmtAR(upd.AutoReload))
	acct, err := r.svc.UpdateAccount(r.t.Context(), r.key, upd)
	if err != nil {
		r.fail("UpdateAccount: %v", err)
	}
	r.m.ar = upd.AutoReload
	if !reflect.DeepEqual(acct.AutoReload, r.m.ar) || acct.Balance != r.m.balance {
		r.fail("UpdateAccount returned %s", fmtAccount(acct))
	}
}

// setLimits changes the limits, which must not touch the money.
func (r *modelRun) setLimits() {
	l := account.Limits{MaxOutboundRequest: r.rng.IntN(100), MaxInboundRequest: r.rng.IntN(100), MaxCallsPerSecond: r.rng.IntN(100)}
	r.stats["limits"]++
	r.log = append(r.log, fmt.Sprintf("limits %+v", l))
	acct, err := r.svc.UpdateAccount(r.t.Context(), r.key, account.AccountUpdate{Limits: &l})
	if err != nil {
		r.fail("UpdateAccount(limits): %v", err)
	}
	if acct.Limits != l || !reflect.DeepEqual(acct.AutoReload, r.m.ar) {
		r.fail("UpdateAccount(limits) returned %s", fmtAccount(acct))
	}
}

// topUp repeats one of the account's reloads (real) or tries a trx that is
// not one (a fresh one, or a top-up's).
func (r *modelRun) topUp(real bool) {
	trx, amount := account.NewTrx(), account.Money(0)
	if real && len(r.m.reloadTrx) > 0 {
		trx = r.m.reloadTrx[r.rng.IntN(len(r.m.reloadTrx))]
		amount = r.m.reloads[trx]
	} else if !real && len(r.m.topUps) > 0 && r.rng.IntN(2) == 0 {
		trx = r.m.topUps[r.rng.IntN(len(r.m.topUps))]
	}
	r.stats[map[bool]string{false: "top-up-bogus", true: "top-up"}[amount > 0]]++
	r.log = append(r.log, fmt.Sprintf("top-up %s (reload of %s; auto-reload %s)", trx, amount, fmtAR(r.m.ar)))
	caller := mustAccount(r.t, r.s, r.key)
	got, err := r.svc.TopUp(r.t.Context(), caller, trx)
	want := account.Code("")
	switch {
	case r.m.ar == nil:
		want = account.EAUTORELOADOFF
	case amount == 0:
		want = account.EINVALID
	}
	if code := account.ErrorCode(err); code != want {
		r.fail("TopUp code %q (%v), model says %q", code, err, want)
	}
	if want != "" {
		return
	}
	r.m.balance += amount
	if got.Kind != account.KindTopUp || got.Amount != amount || got.BalanceAfter != r.m.balance || got.RelatedTrx != trx || got.Trx == "" {
		r.fail("top-up %+v", got)
	}
	r.m.topUps = append(r.m.topUps, got.Trx)
}

// invalid sends a request the service refuses before the store sees it.
func (r *modelRun) invalid() {
	r.stats["invalid"]++
	r.log = append(r.log, "zero amount")
	_, err := r.send(r.rng.IntN(2) == 0, account.MoneyRequest{APIKey: r.key, IdempotencyKey: "never-stored"})
	if code := account.ErrorCode(err); code != account.EINVALID {
		r.fail("zero amount: code %q (%v), want %q", code, err, account.EINVALID)
	}
}
