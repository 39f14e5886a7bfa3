package redislimit_test

import (
	"context"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/redislimit"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// roundTrips is a redis.Hook counting the round trips to Redis: each
// command, and each pipeline (one write, one read).
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// FillTakeCall fills its bucket and takes a call, as Fill then TakeCall:
// the call rate is the same sliding window, and the bucket is filled even
// when the call is refused.
func TestFillTakeCall(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	l, fb := open(t, url, redislimit.Options{Prefix: prefix(t, url), Timeout: time.Second})
	pair := account.Bucket{Kind: account.BucketPair, Key: "busy0001\x00192.0.2.0/24", Capacity: 2, Rate: 2.0 / 60}
	for i := range 3 {
		l.Charge(pair, pair)
		if n, _ := l.Check(pair); n != 0 {
			t.Fatalf("round %d: an emptied pair is not empty", i)
		}
		after, ok := l.FillTakeCall(pair, "busy0001", 2)
		if want := i < 2; ok != want || (!ok && (after <= 0 || after > time.Second)) {
			t.Fatalf("call %d: admitted %v (wait %v), want %v", i+1, ok, after, want)
		}
		if n, _ := l.Check(pair); n != -1 {
			t.Errorf("call %d: the pair is not filled", i+1)
		}
	}
	if _, ok := l.TakeCall("busy0001", 2); ok {
		t.Errorf("TakeCall admitted a third call in a second after two FillTakeCalls")
	}
	if n := fb.count(); n != 0 || l.Fallbacks() != 0 {
		t.Errorf("fallback answered %d operations (Fallbacks %d); want none", n, l.Fallbacks())
	}
}

// Without Redis, FillTakeCall is answered by the fallback, as the two
// operations it stands for: two Fallbacks, the local call rate.
func TestFillTakeCallFallback(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	l, fb := open(t, "redis://"+addr+"/0", redislimit.Options{})
	pair := account.Bucket{Kind: account.BucketPair, Key: "k\x00a", Capacity: 1, Rate: 1.0 / 60}
	l.Charge(pair)
	before, fbBefore := l.Fallbacks(), fb.count()
	if _, ok := l.FillTakeCall(pair, "k", 1); !ok {
		t.Error("first call refused")
	}
	if i, _ := l.Check(pair); i != -1 {
		t.Error("the fallback did not fill the pair")
	}
	if _, ok := l.FillTakeCall(pair, "k", 1); ok {
		t.Error("second call in the second admitted: local limits not applied")
	}
	// Two operations each, and the Check between them.
	if d := l.Fallbacks() - before; d != 5 {
		t.Errorf("Fallbacks grew by %d, want 5", d)
	}
	// counting is not a SuccessStore: its TakeCall answers, and the Check.
	if d := fb.count() - fbBefore; d != 3 {
		t.Errorf("fallback answered %d counted operations, want 3", d)
	}
}

// A successful authenticated call costs two round trips to Redis, the
// failure check and one for its pair's fill and its call (FillTakeCall),
// whatever limits apply; a failure costs two too (check, charge).
func TestRoundTripsPerCall(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	for _, tc := range []struct {
		name   string
		limits account.AuthLimits
		rated  bool
	}{
		{"pair and call rate", account.DefaultAuthLimits, true},
		{"no call rate", account.DefaultAuthLimits, false},
		{"no pair limit", account.AuthLimits{PerAddr: 100, Window: time.Minute}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := open(t, url, redislimit.Options{Prefix: prefix(t, url), Timeout: time.Second})
			svc := newService(t, l, tc.limits, tc.rated)
			ctx := context.Background()
			rt := &roundTrips{}
			l.AddHook(rt)
			// The first call hashes (and checks the limits again before
			// hashing); the next are verified from the cache.
			if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				rt.n.Store(0)
				if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
					t.Fatal(err)
				}
				if n := rt.n.Load(); n != 2 {
					t.Fatalf("success %d: %d round trips to Redis, want 2", i+1, n)
				}
			}
			rt.n.Store(0)
			if _, err := svc.Authenticate(ctx, "busy0001", "Wrong1Secret", "192.0.2.1"); account.ErrorCode(err) != account.EUNAUTHORIZED {
				t.Fatalf("wrong secret: %v", err)
			}
			// A failure hashes: the check, the check again before hashing,
			// the charge.
			if n := rt.n.Load(); n != 3 {
				t.Errorf("failure: %d round trips to Redis, want 3", n)
			}
			if l.Fallbacks() != 0 {
				t.Errorf("%d operations fell back", l.Fallbacks())
			}
		})
	}
}

// newService is a service on a fresh SQLite store (cheap hashes) counting
// its limits in l, with one account, busy0001, of a million calls a
// second.
func newService(t testing.TB, l account.LimitStore, limits account.AuthLimits, rated bool) *account.Service {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := account.NewService(st, account.WithHashParams(account.TestHashParams), account.WithAuthLimits(limits),
		account.WithCallRateLimit(rated), account.WithLimitStore(l))
	acctLimits := account.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 1_000_000}
	if _, _, err := svc.CreateAccount(context.Background(), account.NewAccount{APIKey: "busy0001", Secret: "Busy1Secret", Limits: &acctLimits}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// separate hides Limits's FillTakeCall: a success then costs a Fill and a
// TakeCall, as before it, for the benchmarks' baseline.
type separate struct{ account.LimitStore }

// BenchmarkSuccess is one successful authenticated call verified from the
// cache (its store read included), and the store operations of its
// success alone, counting in the Redis of VONAGE_TEST_REDIS_URL: "one-op"
// as served (FillTakeCall), "separate" a Fill then a TakeCall.
func BenchmarkSuccess(b *testing.B) {
	url := redisURL(b)
	open := func(b *testing.B) *redislimit.Limits {
		l, err := redislimit.Open(b.Context(), url, redislimit.Options{Prefix: prefix(b, url), Timeout: time.Second,
			Fallback: account.NewLocalLimits(0, nil)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { l.Close() })
		return l
	}
	for _, name := range []string{"one-op", "separate"} {
		b.Run("authenticate/"+name, func(b *testing.B) {
			l := open(b)
			var ls account.LimitStore = l
			if name == "separate" {
				ls = separate{l}
			}
			svc := newService(b, ls, account.DefaultAuthLimits, true)
			ctx := context.Background()
			for b.Loop() {
				if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
					b.Fatal(err)
				}
			}
			if l.Fallbacks() != 0 {
				b.Fatalf("%d operations fell back", l.Fallbacks())
			}
		})
		b.Run("store/"+name, func(b *testing.B) {
			l := open(b)
			pair := account.Bucket{Kind: account.BucketPair, Key: "busy0001\x00192.0.2.0/24", Capacity: 20, Rate: 20.0 / 60}
			for b.Loop() {
				if name == "one-op" {
					l.FillTakeCall(pair, "busy0001", 1_000_000)
				} else {
					l.Fill(pair)
					l.TakeCall("busy0001", 1_000_000)
				}
			}
			if l.Fallbacks() != 0 {
				b.Fatalf("%d operations fell back", l.Fallbacks())
			}
		})
	}
}
