package account

import (
	"math"
	"testing"
)

func TestPlanCharge(t *testing.T) {
	t.Parallel()
	ar := &AutoReload{Threshold: 10, Amount: 50}
	for _, c := range []struct {
		name       string
		balance    Money
		ar         *AutoReload
		amount     Money
		wantReload Money
		wantCode   Code
	}{
		{"no auto-reload", 30, nil, 20, 0, ""},
		{"no auto-reload, to zero", 20, nil, 20, 0, ""},
		{"no auto-reload, short", 19, nil, 20, 0, EFUNDS},
		{"stays at the threshold", 30, ar, 20, 0, ""},
		{"goes below the threshold", 30, ar, 21, 50, ""},
		{"the reload covers it", 5, ar, 40, 50, ""},
		{"the reload is not enough", 5, ar, 56, 0, EFUNDS},
		{"the reload would overflow", math.MaxInt64 - 10, &AutoReload{Threshold: math.MaxInt64, Amount: 50}, 1, 0, EINVALID},
	} {
		reload, err := PlanCharge(c.balance, c.ar, c.amount)
		if reload != c.wantReload || ErrorCode(err) != c.wantCode {
			t.Errorf("%s: PlanCharge(%d, %+v, %d) = %d, %v; want %d, code %q", c.name, c.balance, c.ar, c.amount, reload, err, c.wantReload, c.wantCode)
		}
	}
}
