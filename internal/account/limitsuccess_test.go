package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// opLog is a LimitStore that logs each operation it is asked, in order,
// and counts in a local store. With success set it is a SuccessStore.
type opLog struct {
	account.LimitStore
	mu  sync.Mutex
	ops []string
}

func (o *opLog) log(op string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op)
}

// take returns the operations logged since the last take.
func (o *opLog) take() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := strings.Join(o.ops, " ")
	o.ops = nil
	return s
}

func (o *opLog) Check(bs ...account.Bucket) (int, time.Duration) {
	o.log("check")
	return o.LimitStore.Check(bs...)
}

func (o *opLog) Charge(bs ...account.Bucket) { o.log("charge"); o.LimitStore.Charge(bs...) }
func (o *opLog) Fill(b account.Bucket)       { o.log("fill"); o.LimitStore.Fill(b) }

func (o *opLog) TakeCall(k string, n int) (time.Duration, bool) {
	o.log("call")
	return o.LimitStore.TakeCall(k, n)
}

// successLog is an opLog that is also a SuccessStore.
type successLog struct{ *opLog }

func (s successLog) FillTakeCall(b account.Bucket, k string, n int) (time.Duration, bool) {
	s.log("fill+call")
	return s.LimitStore.(account.SuccessStore).FillTakeCall(b, k, n)
}

// A success is charged to a SuccessStore in one operation when there is
// both a pair to fill and a call rate to apply, and otherwise as to any
// LimitStore: a fill alone, a call alone. A store that is not a
// SuccessStore gets the fill, then the call. Either way the pair is filled
// even when the call is then refused.
func TestSuccessStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	small := account.AuthLimits{PerPair: 2, PerAddr: 100, Window: time.Minute}
	for _, tc := range []struct {
		name    string
		success bool
		limits  account.AuthLimits
		rated   bool
		want    string // the operations of a cached success
	}{
		{"one operation", true, small, true, "check fill+call"},
		{"not a SuccessStore", false, small, true, "check fill call"},
		{"no call rate", true, small, false, "check fill"},
		{"no pair limit", true, account.AuthLimits{PerAddr: 100, Window: time.Minute}, true, "check call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := account.NewFakeClock(time.Unix(0, 0))
			ops := &opLog{LimitStore: account.NewLocalLimits(0, clk.Now)}
			var ls account.LimitStore = ops
			if tc.success {
				ls = successLog{ops}
			}
			svc := account.NewService(openStore(t, ""), account.WithHashParams(cheap), account.WithLimiterClock(clk.Now),
				account.WithAuthLimits(tc.limits), account.WithCallRateLimit(tc.rated), account.WithLimitStore(ls))
			limits := account.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 2}
			mustCreate(t, svc, account.NewAccount{APIKey: "busy0001", Secret: "Busy1Secret", Limits: &limits})
			if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
			ops.take()
			if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
			if got := ops.take(); got != tc.want {
				t.Errorf("a success asked the store %q, want %q", got, tc.want)
			}
			if !tc.rated || tc.limits.PerPair == 0 {
				return
			}
			// The call rate is spent: the next success is refused, and
			// still fills its pair, which a failure had half emptied: one
			// more failure leaves it a token.
			if _, err := svc.Authenticate(ctx, "busy0001", "wrong", "192.0.2.1"); account.ErrorCode(err) != account.EUNAUTHORIZED {
				t.Fatalf("wrong secret: %v", err)
			}
			if _, err := svc.Authenticate(ctx, "busy0001", "Busy1Secret", "192.0.2.1"); limitReason(err) != account.LimitCallRate {
				t.Fatalf("3rd call in a second: %v", err)
			}
			pair := account.Bucket{Kind: account.BucketPair, Key: "busy0001\x00192.0.2.0/24", Capacity: 2, Rate: 2.0 / 60}
			ops.LimitStore.Charge(pair)
			if i, _ := ops.LimitStore.Check(pair); i != -1 {
				t.Errorf("a success refused by the call rate did not fill its pair")
			}
		})
	}
}
