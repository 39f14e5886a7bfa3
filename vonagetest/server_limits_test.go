package vonagetest_test

import (
	"errors"
	"testing"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// Wrong credentials are not throttled by default, and are once the limits
// are turned on.
func TestFailedAuthLimitsOptIn(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{false, true} {
		var opts []vonagetest.Option
		if on {
			opts = append(opts, vonagetest.WithFailedAuthLimits(3, 100))
		}
		srv := vonagetest.NewServer(t, opts...)
		// No retries: a retried GET would wait out the Retry-After.
		bad := srv.NewClient(vonage.WithRetries(0)).WithCredentials(srv.APIKey, "Wr0ng-Secret")
		throttled := false
		for i := 0; i < 6; i++ {
			_, _, err := bad.GetBalance()
			if errors.Is(err, vonage.ErrRateLimited) {
				throttled = true
				break
			}
			if !errors.Is(err, vonage.ErrAuthentication) {
				t.Fatalf("limits %v, call %d: %v; want an authentication error", on, i, err)
			}
		}
		if throttled != on {
			t.Errorf("limits on = %v, but throttled = %v after 6 wrong secrets", on, throttled)
		}
	}
}
