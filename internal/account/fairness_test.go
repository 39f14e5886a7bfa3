package account_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Issue 11's rules on the credential path: refusals cost the address that
// caused them (M1), every failed guess costs the same hashes (M2), admin
// tokens are limited (M3), and a caller leaving a shared verification
// fails nobody else (L4).

// oneSlotService is a clockedService with the failure limits given and one
// hashing slot, 16 waiting places, for tests that hold the slot.
func oneSlotService(t *testing.T, limits account.AuthLimits) *account.Service {
	t.Helper()
	svc, _, _ := clockedService(t, account.WithAuthLimits(limits),
		account.WithHashConcurrency(account.HashConcurrency{Slots: 1, Queue: 16, MaxWait: time.Minute}))
	return svc
}

// TestRefusalsChargeTheAddress: an address that floods the hashing queue
// holds at most its share of it, each refusal costs it a failure (and not
// a guess of the pair), and another address still gets a place.
func TestRefusalsChargeTheAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := oneSlotService(t, account.AuthLimits{PerPair: 100, PerAddr: 10, Window: time.Hour})
	mustCreate(t, svc, account.NewAccount{APIKey: "honest01", Secret: "Honest1Secret"})
	release, err := svc.HoldHashSlot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Two places (16/8) for the attacker's /24, then refusals.
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for i := range 2 {
		wg.Go(func() {
			_, err := svc.Authenticate(ctx, "nokey00"+strconv.Itoa(i), "Wrong1Secret", "192.0.2."+strconv.Itoa(10+i))
			results <- err
		})
	}
	for svc.HashQueued() != 2 {
		time.Sleep(time.Millisecond) // nothing to wait on: the two are inside the gate
	}
	for i := range 6 {
		_, err := svc.Authenticate(ctx, "nokey01"+strconv.Itoa(i), "Wrong1Secret", "192.0.2."+strconv.Itoa(100+i))
		if limitReason(err) != account.LimitHashQueue {
			t.Fatalf("guess %d past the /24's share: %v", i+1, err)
		}
	}
	pair, addr := svc.FailureTokens("nokey010", "192.0.2.100")
	if addr != 10-6 || pair != 100 {
		t.Errorf("after 6 refusals: pair %v, address %v tokens; want 100 and 4", pair, addr)
	}
	// The honest client, elsewhere, still gets a place and gets in.
	done := make(chan error, 1)
	go func() {
		_, err := svc.Authenticate(ctx, "honest01", "Honest1Secret", "198.51.100.7")
		done <- err
	}()
	for svc.HashQueued() != 3 {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := <-done; err != nil {
		t.Errorf("honest client: %v", err)
	}
	wg.Wait()
	close(results)
	for err := range results {
		if account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Errorf("queued guess: %v", err)
		}
	}
	// 6 refusals and 2 failures: 2 left, then the address is refused
	// before any hashing.
	for i := range 2 {
		if _, err := svc.Authenticate(ctx, "nokey02"+strconv.Itoa(i), "Wrong1Secret", "192.0.2.7"); account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := svc.Authenticate(ctx, "nokey030", "Wrong1Secret", "192.0.2.8"); limitReason(err) != account.LimitFailuresAddr {
		t.Errorf("past the limit: %v", err)
	}
}

// TestConstantWorkPerFailure: a wrong secret costs MaxSecrets hashes at the
// server's parameters whatever the key holds: nothing, one secret, two, a
// peppered hash on a server without the pepper, or a malformed hash.
func TestConstantWorkPerFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, "")
	params := account.HashParams{Memory: 128, Time: 2, Threads: 1}
	svc := account.NewService(st, account.WithHashParams(params), account.WithAuthLimits(account.AuthLimits{}),
		account.WithLogger(slog.New(slog.DiscardHandler)))
	peppered := account.NewService(st, account.WithHashParams(params), account.WithPepper([]byte("pepper-0123456789abcdef")))
	for _, c := range []struct {
		svc    *account.Service
		key    string
		second string // a second secret, or "" for none
	}{{svc, "onesecr1", ""}, {svc, "twosecr1", "Second1Secret"}, {peppered, "pepper01", ""}} {
		acct, _, err := c.svc.CreateAccount(ctx, account.NewAccount{APIKey: c.key, Secret: "First1Secret"})
		if err != nil {
			t.Fatal(err)
		}
		if c.second != "" {
			if _, err := c.svc.CreateSecret(ctx, acct, c.key, c.second); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustCreate(t, svc, account.NewAccount{APIKey: "malform1", Secret: "First1Secret"})
	if err := st.AddSecret(ctx, account.Secret{ID: account.NewID(), APIKey: "malform1", Hash: "$argon2id$garbage", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}); err != nil {
		t.Fatal(err)
	}
	taken := svc.CountHashes()
	for _, key := range []string{"nosuchk1", "onesecr1", "twosecr1", "pepper01", "malform1"} {
		if _, err := svc.Authenticate(ctx, key, "Wrong1Secret", "192.0.2.1"); account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Fatalf("%s: %v", key, err)
		}
		calls := taken()
		if len(calls) != account.MaxSecrets {
			t.Errorf("%s: %d hashes for a wrong secret, want %d", key, len(calls), account.MaxSecrets)
		}
		for _, c := range calls {
			if c.Memory != params.Memory || c.Time != params.Time {
				t.Errorf("%s: a hash at m=%d,t=%d, not the server's", key, c.Memory, c.Time)
			}
		}
	}
	// The right secret stops at its match.
	if _, err := svc.Authenticate(ctx, "twosecr1", "First1Secret", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if n := len(taken()); n != 1 {
		t.Errorf("the first secret, right: %d hashes", n)
	}
}

// TestImportHashBounds: an imported hash that costs more than the server's
// own (beyond 4 times its memory or iterations, or more lanes) is refused,
// naming secret_hash; one within the bounds is imported.
func TestImportHashBounds(t *testing.T) {
	t.Parallel()
	svc, _ := importService(t)
	hashOf := func(p account.HashParams) string {
		h, err := account.HashSecret("Hashed2Secret", p)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	for i, c := range []struct {
		p  account.HashParams
		ok bool
	}{
		{cheap, true},
		{account.HashParams{Memory: 4 * cheap.Memory, Time: 4 * cheap.Time, Threads: 1}, true},
		{account.HashParams{Memory: 4*cheap.Memory + 1, Time: 1, Threads: 1}, false},
		{account.HashParams{Memory: cheap.Memory, Time: 4*cheap.Time + 1, Threads: 1}, false},
		{account.HashParams{Memory: cheap.Memory, Time: 1, Threads: 2}, false},
		{account.HashParams{Memory: 1 << 20, Time: 1, Threads: 16}, false},
	} {
		var h string
		if c.p.Memory <= 1<<12 {
			h = hashOf(c.p)
		} else { // too costly to compute here: only its parameters matter
			h = strings.Replace(hashOf(cheap), "m=64,t=1,p=1", "m=1048576,t=1,p=16", 1)
		}
		errs, err := svc.ImportAccounts(context.Background(), []account.ImportAccount{{NewAccount: account.NewAccount{APIKey: "boundkey" + strconv.Itoa(i)}, SecretHash: h}})
		if err != nil {
			t.Fatal(err)
		}
		e := account.AsError(errs[0])
		switch {
		case c.ok && errs[0] != nil:
			t.Errorf("%+v: refused: %v", c.p, errs[0])
		case !c.ok && (e == nil || e.Field != "secret_hash" || !strings.Contains(e.Message, "at most m=256, t=4, p=1")):
			t.Errorf("%+v: %v, want an EINVALID on secret_hash giving the bounds", c.p, errs[0])
		}
	}
}

// TestAuthorizeAdmin: wrong admin tokens are limited per address, in the
// table of failed credentials; past the limit even the right token is
// refused from that address's /24, and another address is not affected.
func TestAuthorizeAdmin(t *testing.T) {
	t.Parallel()
	svc, _, clk := clockedService(t, account.WithAuthLimits(account.AuthLimits{PerPair: 2, PerAddr: 5, Window: time.Minute}))
	if _, err := svc.Authenticate(context.Background(), "nokey001", "Wrong1Secret", "192.0.2.66"); account.ErrorCode(err) != account.EUNAUTHORIZED {
		t.Fatal(err)
	}
	for i := range 4 { // with the failed credential above, the address's 5
		if err := svc.AuthorizeAdmin("192.0.2.66", false); account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Fatalf("wrong token %d: %v", i+1, err)
		}
	}
	for _, valid := range []bool{false, true} {
		if err := svc.AuthorizeAdmin("192.0.2.67", valid); limitReason(err) != account.LimitFailuresAddr {
			t.Errorf("past the limit (token right: %v): %v", valid, err)
		}
	}
	if err := svc.AuthorizeAdmin("198.51.100.7", true); err != nil {
		t.Errorf("from another address: %v", err)
	}
	clk.Advance(12 * time.Second)
	if err := svc.AuthorizeAdmin("192.0.2.66", true); err != nil {
		t.Errorf("after one failure's refill: %v", err)
	}
}

// TestSharedVerificationOutlivesItsCaller: two identical concurrent
// verifications share one; when the caller that started it leaves, the
// other still gets its answer, and the one that left is still charged
// for a failed guess.
func TestSharedVerificationOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := oneSlotService(t, account.AuthLimits{PerPair: 10, PerAddr: 100, Window: time.Hour})
	mustCreate(t, svc, account.NewAccount{APIKey: "shared01", Secret: "Shared1Secret"})
	for _, secret := range []string{"Shared1Secret", "Wrong1Secret"} {
		release, err := svc.HoldHashSlot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first, leave := context.WithCancel(ctx)
		firstErr := make(chan error, 1)
		go func() {
			_, err := svc.Authenticate(first, "shared01", secret, "192.0.2.1")
			firstErr <- err
		}()
		for svc.HashQueued() != 1 {
			time.Sleep(time.Millisecond) // the shared verification waits for the slot
		}
		second := make(chan error, 1)
		go func() {
			_, err := svc.Authenticate(ctx, "shared01", secret, "192.0.2.1")
			second <- err
		}()
		leave()
		if err := <-firstErr; account.ErrorCode(err) != account.ERATELIMIT {
			t.Errorf("%s: the caller that left got %v", secret, err)
		}
		release()
		err = <-second
		if secret == "Shared1Secret" && err != nil {
			t.Errorf("the caller that stayed: %v", err)
		}
		if secret != "Shared1Secret" && account.ErrorCode(err) != account.EUNAUTHORIZED {
			t.Errorf("the caller that stayed, wrong secret: %v", err)
		}
	}
	// Both callers of the wrong secret are charged: the one that stayed,
	// and the one that left, when the shared verification ended.
	if pair, _ := svc.FailureTokens("shared01", "192.0.2.1"); pair != 8 {
		t.Errorf("pair tokens %v, want 8", pair)
	}
}
