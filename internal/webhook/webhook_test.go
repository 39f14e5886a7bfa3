package webhook_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/webhook"
)

func ok(int, http.ResponseWriter, *http.Request) {}

var (
	messageTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)
	messageID        = regexp.MustCompile(`^[0-9A-F]{16}$`)
)

// TestDeliveryByMethod: each method sends the documented fields, in its
// encoding, with the server's User-Agent, exactly once on a 200.
func TestDeliveryByMethod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ method, httpMethod, contentType string }{
		{account.WebhookGET, "GET", ""},
		{account.WebhookPOST, "POST", "application/x-www-form-urlencoded"},
		{account.WebhookPOSTJSON, "POST", "application/json"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, account.DefaultLimits)
			rc := newReceiver(t, ok)
			f.point(t, rc.URL+"/hook?static=1", tc.method)
			f.run(t, webhook.Config{})
			before := time.Now().UTC().Truncate(time.Second)
			ds := f.inbound(t, "hello there, world")
			got := rc.wait(t, 1, 10*time.Second)[0]
			if got.method != tc.httpMethod || got.contentType != tc.contentType || got.userAgent != "vonage-serve/test" {
				t.Errorf("request %s %q %q, want %s %q and the server's User-Agent", got.method, got.contentType, got.userAgent, tc.httpMethod, tc.contentType)
			}
			p := got.params
			want := map[string]string{"msisdn": "447700900001", "to": "447700900000", "text": "hello there, world",
				"type": "text", "keyword": "HELLO", "api-key": acctKey, "messageId": ds[0].MessageID}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s = %q, want %q", k, p[k], v)
				}
			}
			if !messageID.MatchString(p["messageId"]) {
				t.Errorf("messageId %q is not 16 upper-case hex digits", p["messageId"])
			}
			ts, err := time.Parse("2006-01-02 15:04:05", p["message-timestamp"])
			if !messageTimestamp.MatchString(p["message-timestamp"]) || err != nil || ts.Before(before) || ts.After(time.Now().UTC()) {
				t.Errorf("message-timestamp %q is not YYYY-MM-DD HH:MM:SS UTC of now", p["message-timestamp"])
			}
			for _, k := range []string{"sig", "nonce", "timestamp", "concat"} {
				if _, ok := p[k]; ok {
					t.Errorf("unsigned short message has %s", k)
				}
			}
			if tc.method == account.WebhookGET && p["static"] != "1" {
				t.Errorf("the URL's own query was lost: %v", p)
			}
			d := f.settled(t, ds[0].ID, 5*time.Second)
			if d.State != account.DeliveryDelivered || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 {
				t.Errorf("after a 200: %+v", d)
			}
			if n := rc.count(); n != 1 {
				t.Errorf("%d requests for one delivery answered 200", n)
			}
		})
	}
}

// TestDeliveryReceiptFields: a receipt carries the real receipt's fields.
func TestDeliveryReceiptFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, ok)
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	f.run(t, webhook.Config{})
	_, err := f.svc.TriggerDeliveryReceipt(t.Context(), acctKey, account.DeliveryReceipt{
		MessageID: "0B00000127FDBC63", To: "Vonage", MSISDN: "447700900001", Status: "delivered", Price: "0.0333", NetworkCode: "23410"})
	if err != nil {
		t.Fatal(err)
	}
	p := rc.wait(t, 1, 10*time.Second)[0].params
	want := map[string]string{"messageId": "0B00000127FDBC63", "to": "Vonage", "msisdn": "447700900001", "status": "delivered",
		"price": "0.03330000", "network-code": "23410", "err-code": "0", "api-key": acctKey}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	if !regexp.MustCompile(`^\d{10}$`).MatchString(p["scts"]) || !messageTimestamp.MatchString(p["message-timestamp"]) {
		t.Errorf("scts %q, message-timestamp %q", p["scts"], p["message-timestamp"])
	}
}

// TestConcatenatedInbound: a long text arrives in parts that share a
// concat-ref and rebuild the text.
func TestConcatenatedInbound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, ok)
	f.point(t, rc.URL, account.WebhookPOST)
	f.run(t, webhook.Config{})
	text := strings.Repeat("0123456789", 40) // 400 septets: 3 parts of at most 153
	if ds := f.inbound(t, text); len(ds) != 3 {
		t.Fatalf("%d deliveries, want 3", len(ds))
	}
	got := rc.wait(t, 3, 10*time.Second)
	sort.Slice(got, func(i, j int) bool { return got[i].params["concat-part"] < got[j].params["concat-part"] })
	var joined strings.Builder
	for i, a := range got {
		p := a.params
		if p["concat"] != "true" || p["concat-total"] != "3" || p["concat-part"] != strconv.Itoa(i+1) || p["concat-ref"] != got[0].params["concat-ref"] {
			t.Errorf("part %d: %v", i+1, p)
		}
		if len(p["text"]) > 153 {
			t.Errorf("part %d holds %d characters", i+1, len(p["text"]))
		}
		joined.WriteString(p["text"])
	}
	if joined.String() != text {
		t.Errorf("the parts do not rebuild the text")
	}
}

// TestSignedDelivery: with a signature secret, timestamp, nonce and sig
// arrive, and sig is the digest of the other fields as the receiver
// computes it itself, for a plain hash and an HMAC method.
func TestSignedDelivery(t *testing.T) {
	t.Parallel()
	const secret = "webhook-signing-secret"
	for _, method := range []string{account.SigMD5Hash, account.SigSHA256} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, account.DefaultLimits)
			sig, err := f.svc.PrepareSignature(acctKey, secret, method)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.SetSignature(t.Context(), acctKey, sig); err != nil {
				t.Fatal(err)
			}
			rc := newReceiver(t, ok)
			f.point(t, rc.URL, account.WebhookPOSTJSON)
			f.run(t, webhook.Config{})
			f.inbound(t, "sign me & check = this")
			a := rc.wait(t, 1, 10*time.Second)[0]
			p := a.params
			ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
			if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute || p["nonce"] == "" {
				t.Fatalf("timestamp %q, nonce %q", p["timestamp"], p["nonce"])
			}
			// The legacy signing string, built here independently.
			names := make([]string, 0, len(p))
			for k := range p {
				if k != "sig" {
					names = append(names, k)
				}
			}
			sort.Strings(names)
			var b strings.Builder
			for _, k := range names {
				b.WriteString("&" + k + "=" + strings.NewReplacer("&", "_", "=", "_").Replace(p[k]))
			}
			var want string
			if method == account.SigMD5Hash {
				sum := md5.Sum([]byte(b.String() + secret))
				want = hex.EncodeToString(sum[:])
			} else {
				m := hmac.New(sha256.New, []byte(secret))
				m.Write([]byte(b.String()))
				want = hex.EncodeToString(m.Sum(nil))
			}
			if p["sig"] != want {
				t.Errorf("sig %q, want %q over %q", p["sig"], want, b.String())
			}
		})
	}
}

// TestRetriesUntil200: 500s are retried with growing waits until a 200,
// after which nothing more is sent.
func TestRetriesUntil200(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 4 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	w, _ := f.run(t, webhook.Config{RetryBase: 80 * time.Millisecond})
	ds := f.inbound(t, "retry")
	got := rc.wait(t, 5, 20*time.Second)
	d := f.settled(t, ds[0].ID, 5*time.Second)
	if d.State != account.DeliveryDelivered || len(d.Attempts) != 5 {
		t.Fatalf("after four 500s and a 200: %+v", d)
	}
	for i, a := range d.Attempts {
		if want := map[bool]int{true: 200, false: 500}[i == 4]; a.StatusCode != want || a.Error != "" {
			t.Errorf("attempt %d: %+v, want status %d", i+1, a, want)
		}
	}
	// Waits of base·2^(n-1), each jittered into [half, all]: 40–80 ms,
	// 80–160, 160–320, 320–640 (plus a poll).
	var gaps []time.Duration
	for i := 1; i < len(got); i++ {
		gaps = append(gaps, got[i].at.Sub(got[i-1].at))
	}
	if gaps[0] < 40*time.Millisecond || gaps[3] < 320*time.Millisecond || gaps[3] <= gaps[0] || gaps[2] <= gaps[0] {
		t.Errorf("waits between attempts %v do not grow from the base", gaps)
	}
	time.Sleep(300 * time.Millisecond) // longer than the next retry would wait
	if n := rc.count(); n != 5 {
		t.Errorf("%d requests, want 5: something was sent after the 200", n)
	}
	st, err := w.Stats(t.Context())
	if err != nil || st.Delivered != 1 || st.Attempts != 5 || st.QueueDepth != 0 {
		t.Errorf("stats %+v, %v", st, err)
	}
}

// TestGiveUpAfterWindow: a delivery never answered 2xx is failed once its
// next retry would fall after the window.
func TestGiveUpAfterWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	f.point(t, rc.URL, account.WebhookPOST)
	w, _ := f.run(t, webhook.Config{RetryBase: 20 * time.Millisecond, RetryWindow: 300 * time.Millisecond})
	ds := f.inbound(t, "never")
	d := f.settled(t, ds[0].ID, 10*time.Second)
	if d.State != account.DeliveryFailed || len(d.Attempts) < 2 || !d.NextAttemptAt.IsZero() {
		t.Fatalf("after the window: %+v", d)
	}
	last := d.Attempts[len(d.Attempts)-1]
	if last.At.Sub(d.CreatedAt) > 300*time.Millisecond+100*time.Millisecond { // a poll's slack
		t.Errorf("an attempt at %v after queueing, past the 300ms window", last.At.Sub(d.CreatedAt))
	}
	st, _ := w.Stats(t.Context())
	if st.Failed != 1 || st.Delivered != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestRedirectNotFollowed: a 3xx is the endpoint's answer, not a 2xx; the
// place it points to is never asked.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	target := newReceiver(t, ok)
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	})
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	f.run(t, webhook.Config{RetryBase: time.Hour})
	ds := f.inbound(t, "redirect")
	rc.wait(t, 1, 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	var d account.Delivery
	for len(d.Attempts) == 0 && time.Now().Before(deadline) {
		list, _ := f.store.Webhooks(t.Context(), acctKey, 0, 1)
		d = list[0]
		time.Sleep(10 * time.Millisecond)
	}
	if d.ID != ds[0].ID || d.State != account.DeliveryPending || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusFound {
		t.Fatalf("after a 302: %+v", d)
	}
	if target.count() != 0 {
		t.Error("the redirect was followed")
	}
}

// TestAnswerBodyBounded: an endpoint that answers 200 with an endless body
// is read only so far: the attempt ends at once, delivered, instead of
// running into the timeout.
func TestAnswerBodyBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	f.run(t, webhook.Config{Timeout: 3 * time.Second})
	ds := f.inbound(t, "big")
	d := f.settled(t, ds[0].ID, 10*time.Second)
	if d.State != account.DeliveryDelivered || d.Attempts[0].Error != "" || d.Attempts[0].Duration >= 3*time.Second {
		t.Fatalf("after an endless 200: %+v", d)
	}
}

// TestTimeout: an endpoint slower than the timeout is an error attempt.
func TestTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	f.run(t, webhook.Config{Timeout: 200 * time.Millisecond, RetryBase: time.Hour})
	ds := f.inbound(t, "slow")
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, _ := f.store.Webhooks(t.Context(), acctKey, ds[0].ID+1, 1)
		if len(list[0].Attempts) == 1 {
			a := list[0].Attempts[0]
			if a.StatusCode != 0 || !strings.Contains(a.Error, "timeout") || a.Duration < 200*time.Millisecond || a.Duration > 2*time.Second {
				t.Fatalf("attempt %+v, want a timeout after about 200ms", a)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no attempt recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRestartKeepsQueue: a delivery queued while its endpoint is down
// survives closing the store and the worker, and is delivered by the next
// process on the same file.
func TestRestartKeepsQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, account.DefaultLimits)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	_, stop := f.run(t, webhook.Config{RetryBase: 200 * time.Millisecond})
	ds := f.inbound(t, "survive")
	rc.wait(t, 1, 10*time.Second)
	stop()
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	f.open(t)
	f.run(t, webhook.Config{RetryBase: 200 * time.Millisecond})
	d := f.settled(t, ds[0].ID, 10*time.Second)
	if d.State != account.DeliveryDelivered || len(d.Attempts) != 2 {
		t.Fatalf("after the restart: %+v", d)
	}
}

// TestInboundRateCap: max-inbound-request bounds the deliveries started
// in any one second to within 10%, and all are delivered.
func TestInboundRateCap(t *testing.T) {
	t.Parallel()
	const rate, n = 20, 60
	limits := account.DefaultLimits
	limits.MaxInboundRequest = rate
	f := newFixture(t, limits)
	rc := newReceiver(t, ok)
	f.point(t, rc.URL, account.WebhookPOSTJSON)
	for range n {
		f.inbound(t, "rate")
	}
	f.run(t, webhook.Config{})
	got := rc.wait(t, n, 20*time.Second)
	sort.Slice(got, func(i, j int) bool { return got[i].at.Before(got[j].at) })
	for i := range got {
		in := 0
		for j := i; j < len(got) && got[j].at.Sub(got[i].at) < time.Second; j++ {
			in++
		}
		if in > rate*11/10 {
			t.Fatalf("%d deliveries within one second from the %d-th, cap %d", in, i, rate)
		}
	}
	if span := got[n-1].at.Sub(got[0].at); span < time.Duration(n-1)*time.Second/rate*9/10 {
		t.Errorf("%d deliveries in %v, faster than %d a second", n, span, rate)
	}
}

// TestBackoff: the waits double from the base, stay within [half, all],
// and stop growing at the cap.
func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 2500 * time.Millisecond}, {1, 0.999999, 5 * time.Second},
		{2, 0, 5 * time.Second}, {3, 0.5, 15 * time.Second},
		{30, 0, 30 * time.Minute}, {1000, 0.999999, time.Hour},
	} {
		got := webhook.Backoff(5*time.Second, time.Hour, tc.n, tc.jitter)
		if (got - tc.want).Abs() > 5*time.Millisecond {
			t.Errorf("Backoff(n=%d, jitter=%v) = %v, want %v", tc.n, tc.jitter, got, tc.want)
		}
	}
}
