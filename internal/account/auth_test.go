package account_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

var cheap = account.TestHashParams

// countingStore counts the Secrets reads, which every verification that
// hashes makes first: a request refused "without hashing" makes none.
type countingStore struct {
	account.Store
	secretReads atomic.Int64
}

func (s *countingStore) Secrets(ctx context.Context, apiKey string) ([]account.Secret, error) {
	s.secretReads.Add(1)
	return s.Store.Secrets(ctx, apiKey)
}

func openStore(t *testing.T, path string) *countingStore {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "db")
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &countingStore{Store: st}
}

// clockedService returns a service on a fresh store (cheap hashes) whose
// limiters read the fake clock it also returns, started at the epoch;
// opts add to those.
func clockedService(t *testing.T, opts ...account.Option) (*account.Service, *countingStore, *account.FakeClock) {
	t.Helper()
	st := openStore(t, "")
	clk := account.NewFakeClock(time.Unix(0, 0))
	opts = append([]account.Option{account.WithHashParams(cheap), account.WithLimiterClock(clk.Now)}, opts...)
	return account.NewService(st, opts...), st, clk
}

// mustCreate creates the account na describes, failing the test if it cannot.
func mustCreate(t *testing.T, svc *account.Service, na account.NewAccount) account.Account {
	t.Helper()
	acct, _, err := svc.CreateAccount(context.Background(), na)
	if err != nil {
		t.Fatal(err)
	}
	return acct
}

func limitReason(err error) string {
	var le *account.LimitError
	if errors.As(err, &le) && account.ErrorCode(err) == account.ERATELIMIT && le.RetryAfter() > 0 {
		return le.Reason
	}
	return ""
}

// TestAuthenticateFailureLimits: past the limits a request is refused
// before any hashing, the key's owner still gets in from another address,
// and the right secret from the attacker's address is refused too (a
// locked-out guesser learns nothing).
func TestAuthenticateFailureLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st, clk := clockedService(t, account.WithAuthLimits(account.AuthLimits{PerPair: 5, PerAddr: 8, Window: time.Minute}))
	acct := mustCreate(t, svc, account.NewAccount{APIKey: "victim01", Secret: "Right1Secret"})
	const attacker, owner = "192.0.2.66", "198.51.100.7"
	for i := range 5 {
		if _, err := svc.Authenticate(ctx, acct.APIKey, "Wrong1Secret", attacker); account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	reads := st.secretReads.Load()
	for _, secret := range []string{"Wrong2Secret", "Right1Secret"} {
		_, err := svc.Authenticate(ctx, acct.APIKey, secret, attacker)
		if r := limitReason(err); r != account.LimitFailuresPair {
			t.Errorf("guess past the pair limit: %v (reason %q)", err, r)
		}
	}
	if st.secretReads.Load() != reads {
		t.Error("a refused guess read the hashes")
	}
	if _, err := svc.Authenticate(ctx, acct.APIKey, "Right1Secret", owner); err != nil {
		t.Errorf("owner from another address: %v", err)
	}
	// Three more failures from the attacker's address on other keys reach
	// the address limit (8).
	for i := range 3 {
		if _, err := svc.Authenticate(ctx, "nosuchkey"+string(rune('a'+i)), "Wrong1Secret", attacker); account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Fatalf("unknown key %d: %v", i, err)
		}
	}
	if _, err := svc.Authenticate(ctx, "nosuchkeyz", "Wrong1Secret", attacker); limitReason(err) != account.LimitFailuresAddr {
		t.Errorf("past the address limit: %v", err)
	}
	// Time refills the budget.
	clk.Advance(time.Minute)
	if _, err := svc.Authenticate(ctx, acct.APIKey, "Right1Secret", attacker); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// TestAuthenticateCallRate: with WithCallRateLimit, an account's
// max-calls-per-second is enforced; other accounts are unaffected.
func TestAuthenticateCallRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st, clk := clockedService(t, account.WithCallRateLimit(true))
	limits := account.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 3}
	mustCreate(t, svc, account.NewAccount{APIKey: "busy0001", Secret: "Busy1Secret", Limits: &limits})
	mustCreate(t, svc, account.NewAccount{APIKey: "calm0001", Secret: "Calm1Secret"})
	for i := range 3 {
		if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.2"); limitReason(err) != account.LimitCallRate {
		t.Errorf("4th call in a second: %v", err)
	}
	if _, err := svc.Authenticate(ctx, "calm0001", "Calm1Secret", "192.0.2.1"); err != nil {
		t.Errorf("another account: %v", err)
	}
	clk.Advance(time.Second / 3)
	if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
		t.Errorf("after a third of a second: %v", err)
	}
	// Off by default.
	plain := account.NewService(st, account.WithHashParams(cheap))
	for range 10 {
		if _, err := plain.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
			t.Fatalf("without WithCallRateLimit: %v", err)
		}
	}
}

// TestPepper: a pepper applies to new hashes only; hashes made without it
// keep verifying; a peppered hash on a server without the pepper fails
// and says so in the log once, without the secret.
func TestPepper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st := openStore(t, path)
	pepper := []byte("pepper-0123456789abcdef")

	plain := account.NewService(st, account.WithHashParams(cheap))
	if _, _, err := plain.CreateAccount(ctx, account.NewAccount{APIKey: "before01", Secret: "Before1Secret"}); err != nil {
		t.Fatal(err)
	}
	peppered := account.NewService(st, account.WithHashParams(cheap), account.WithPepper(pepper))
	if _, _, err := peppered.CreateAccount(ctx, account.NewAccount{APIKey: "after001", Secret: "After1Secret"}); err != nil {
		t.Fatal(err)
	}
	secrets, err := st.Secrets(ctx, "after001")
	if err != nil || len(secrets) != 1 || !strings.Contains(secrets[0].Hash, ",k=1$") {
		t.Fatalf("peppered hash %v %v", secrets, err)
	}
	for _, c := range []struct{ key, secret string }{{"before01", "Before1Secret"}, {"after001", "After1Secret"}} {
		if _, err := peppered.Authenticate(ctx, c.key, c.secret, "192.0.2.1"); err != nil {
			t.Errorf("%s with the pepper: %v", c.key, err)
		}
	}

	var logs bytes.Buffer
	var mu sync.Mutex
	lost := account.NewService(st, account.WithHashParams(cheap),
		account.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))))
	for range 3 {
		if _, err := lost.Authenticate(ctx, "after001", "After1Secret", "192.0.2.1"); account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Errorf("peppered hash without the pepper: %v", err)
		}
	}
	if _, err := lost.Authenticate(ctx, "before01", "Before1Secret", "192.0.2.1"); err != nil {
		t.Errorf("unpeppered hash without the pepper: %v", err)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if strings.Count(out, "VONAGE_PEPPER") != 1 || strings.Contains(out, "After1Secret") || strings.Contains(out, string(pepper)) {
		t.Errorf("want one warning naming VONAGE_PEPPER and no secret, got:\n%s", out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHashQueueFull: verifications beyond the hash gate's queue are
// refused with ERATELIMIT instead of piling up.
func TestHashQueueFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, "")
	svc := account.NewService(st, account.WithHashParams(account.HashParams{Memory: 8 * 1024, Time: 3, Threads: 1}),
		account.WithAuthLimits(account.AuthLimits{}),
		account.WithHashConcurrency(account.HashConcurrency{Slots: 1, Queue: 1, MaxWait: time.Minute}))
	mustCreate(t, svc, account.NewAccount{APIKey: "queue001", Secret: "Queue1Secret"})
	var wg sync.WaitGroup
	var refused, failed atomic.Int64
	for i := range 16 {
		wg.Go(func() {
			_, err := svc.Authenticate(ctx, "queue001", "Wrong1Secret"+strconv.Itoa(i), "192.0.2.1")
			switch {
			case limitReason(err) == account.LimitHashQueue:
				refused.Add(1)
			case account.ErrorCode(err) == account.EUNAUTHORIZED:
				failed.Add(1)
			default:
				t.Errorf("unexpected %v", err)
			}
		})
	}
	wg.Wait()
	if refused.Load() == 0 || failed.Load() < 1 || refused.Load()+failed.Load() != 16 {
		t.Errorf("%d refused, %d verified and failed", refused.Load(), failed.Load())
	}
}

// TestConcurrentCalls: a burst of guesses runs at most the limit plus what
// the hash gate lets run at once, and is then refused without hashing;
// while a burst of the owner's calls with the right secret, from one
// address, shares one hash and is never refused.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, "")
	svc := account.NewService(st, account.WithHashParams(account.HashParams{Memory: 4 * 1024, Time: 2, Threads: 1}),
		account.WithAuthLimits(account.AuthLimits{PerPair: 5, PerAddr: 1000, Window: time.Hour}),
		account.WithHashConcurrency(account.HashConcurrency{Slots: 1, Queue: 2, MaxWait: time.Minute}))
	mustCreate(t, svc, account.NewAccount{APIKey: "burst001", Secret: "Burst1Secret"})
	var wg sync.WaitGroup
	var hashed, refusedPair atomic.Int64
	// Bursts of 50 concurrent guesses until the pair is locked.
	for round := 0; refusedPair.Load() == 0 && round < 20; round++ {
		for i := range 50 {
			wg.Go(func() {
				_, err := svc.Authenticate(ctx, "burst001", "Guess"+strconv.Itoa(round*50+i)+"Secret", "192.0.2.66")
				switch {
				case account.ErrorCode(err) == account.EUNAUTHORIZED:
					hashed.Add(1)
				case limitReason(err) == account.LimitFailuresPair:
					refusedPair.Add(1)
				case limitReason(err) == account.LimitHashQueue:
				default:
					t.Errorf("guess: %v", err)
				}
			})
		}
		wg.Wait()
	}
	if n := hashed.Load(); n < 5 || n > 5+1 {
		t.Errorf("%d guesses verified; want the limit (5) plus at most the gate's 1 slot", n)
	}
	reads := st.secretReads.Load()
	if _, err := svc.Authenticate(ctx, "burst001", "Late1Guess", "192.0.2.66"); limitReason(err) != account.LimitFailuresPair {
		t.Errorf("after the burst: %v", err)
	}
	if st.secretReads.Load() != reads {
		t.Error("a refused guess read the hashes")
	}

	reads = st.secretReads.Load()
	for range 40 {
		wg.Go(func() {
			if _, err := svc.Authenticate(ctx, "burst001", "Burst1Secret", "198.51.100.7"); err != nil {
				t.Errorf("owner: %v", err)
			}
		})
	}
	wg.Wait()
	if n := st.secretReads.Load() - reads; n > 2 {
		t.Errorf("40 concurrent calls with one secret read the hashes %d times", n)
	}
}
