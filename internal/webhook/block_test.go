package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/webhook"
)

// TestBlockPrivateRefusesLoopback: with BlockPrivate a loopback receiver
// is never reached; each refusal is a failed attempt with its reason,
// retried until the window ends like any other failure. Without it the
// same receiver gets the delivery.
func TestBlockPrivateRefusesLoopback(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ok)
	port := rc.URL[strings.LastIndexByte(rc.URL, ':'):]
	for _, tc := range []struct{ name, url, want string }{
		{"address", rc.URL, "destination 127.0.0.1 is a loopback address; --webhook-block-private refuses it"},
		// a name is resolved first; the address dialled is what is checked
		{"hostname", "http://localhost" + port, " is a loopback address; --webhook-block-private refuses it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, account.DefaultLimits)
			f.point(t, tc.url, account.WebhookPOSTJSON)
			f.run(t, webhook.Config{BlockPrivate: true, RetryBase: 20 * time.Millisecond, RetryWindow: 300 * time.Millisecond})
			ds := f.inbound(t, "refused")
			d := f.settled(t, ds[0].ID, 10*time.Second)
			if d.State != account.DeliveryFailed || len(d.Attempts) < 2 {
				t.Fatalf("refused delivery: %+v", d)
			}
			for _, a := range d.Attempts {
				if a.StatusCode != 0 || !strings.HasPrefix(a.Error, "destination ") || !strings.HasSuffix(a.Error, tc.want) {
					t.Errorf("attempt %+v, want error ending %q", a, tc.want)
				}
			}
		})
	}
	if n := rc.count(); n != 0 {
		t.Fatalf("the loopback receiver got %d requests under BlockPrivate", n)
	}

	f := newFixture(t, account.DefaultLimits)
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	f.run(t, webhook.Config{})
	ds := f.inbound(t, "allowed")
	if d := f.settled(t, ds[0].ID, 10*time.Second); d.State != account.DeliveryDelivered {
		t.Fatalf("without BlockPrivate: %+v", d)
	}
	rc.wait(t, 1, time.Second)
}
