package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

var webhookTests = []test{
	{"Method", testWebhookMethod},
	{"EnqueueClaimFinish", testWebhookEnqueueClaimFinish},
	{"LeaseFencesClaims", testWebhookLease},
	{"Release", testWebhookRelease},
	{"ListNewestFirst", testWebhookList},
	{"ConcurrentClaimsTakeEachOnce", testWebhookConcurrentClaims},
}

// delivery returns a pending inbound-SMS delivery of key due at due.
func delivery(key, msgID string, due time.Time) account.Delivery {
	return account.Delivery{
		APIKey: key, Kind: account.KindInboundSMS, MessageID: msgID, URL: "http://127.0.0.1:9/in",
		Method: account.WebhookPOST, State: account.DeliveryPending, CreatedAt: due, NextAttemptAt: due,
		// a repeated name and an '=' keep their order and value
		Params: []account.Param{{Name: "msisdn", Value: "447700900001"}, {Name: "text", Value: "a=b & c"}, {Name: "msisdn", Value: "2"}},
	}
}

func enqueue(t *testing.T, s account.Store, ds ...account.Delivery) []int64 {
	t.Helper()
	ids, err := s.EnqueueWebhooks(t.Context(), ds)
	if err != nil || len(ids) != len(ds) {
		t.Fatalf("EnqueueWebhooks: %v, %d ids for %d deliveries", err, len(ids), len(ds))
	}
	return ids
}

func claim(t *testing.T, s account.Store, now time.Time, limit int) []account.Delivery {
	t.Helper()
	ds, err := s.ClaimWebhooks(t.Context(), now, time.Minute, limit)
	if err != nil {
		t.Fatalf("ClaimWebhooks(%v): %v", now, err)
	}
	return ds
}

func depth(t *testing.T, s account.Store) int {
	t.Helper()
	n, err := s.WebhookQueueDepth(t.Context())
	if err != nil {
		t.Fatalf("WebhookQueueDepth: %v", err)
	}
	return n
}

// testWebhookMethod: POST-JSON until set; set and read back; an unknown
// key is ENOTFOUND either way.
func testWebhookMethod(t *testing.T, s account.Store) {
	ctx := t.Context()
	create(t, s, newAccount("hookmeth"))
	if m, err := s.WebhookMethod(ctx, "hookmeth"); err != nil || m != account.DefaultWebhookMethod {
		t.Fatalf("WebhookMethod of a new account: %q, %v; want %q", m, err, account.DefaultWebhookMethod)
	}
	for _, m := range []string{account.WebhookGET, account.WebhookPOST, account.WebhookPOSTJSON} {
		if err := s.SetWebhookMethod(ctx, "hookmeth", m); err != nil {
			t.Fatalf("SetWebhookMethod(%s): %v", m, err)
		}
		if got, err := s.WebhookMethod(ctx, "hookmeth"); err != nil || got != m {
			t.Fatalf("WebhookMethod after setting %s: %q, %v", m, got, err)
		}
	}
	wantCode(t, "SetWebhookMethod(unknown)", s.SetWebhookMethod(ctx, "nosuchkey", account.WebhookGET), account.ENOTFOUND)
	_, err := s.WebhookMethod(ctx, "nosuchkey")
	wantCode(t, "WebhookMethod(unknown)", err, account.ENOTFOUND)
	_, err = s.EnqueueWebhooks(ctx, []account.Delivery{delivery("nosuchkey", "M1", t0)})
	wantCode(t, "EnqueueWebhooks(unknown)", err, account.ENOTFOUND)
	_, err = s.Webhooks(ctx, "nosuchkey", 0, 10)
	wantCode(t, "Webhooks(unknown)", err, account.ENOTFOUND)
}

// testWebhookEnqueueClaimFinish: a due delivery is claimed with its
// payload and the account's max-inbound-request; a failed attempt makes it
// due again at next, not before; a delivered one is never claimed again.
func testWebhookEnqueueClaimFinish(t *testing.T, s account.Store) {
	ctx := t.Context()
	acct := newAccount("hookflow")
	acct.Limits.MaxInboundRequest = 7
	create(t, s, acct)
	want := delivery("hookflow", "M1", at(10))
	ids := enqueue(t, s, want)
	if n := depth(t, s); n != 1 {
		t.Errorf("queue depth %d, want 1", n)
	}
	if got := claim(t, s, at(9), 10); len(got) != 0 {
		t.Fatalf("claimed %d deliveries before they were due", len(got))
	}
	got := claim(t, s, at(10), 10)
	if len(got) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.ID != ids[0] || d.MessageID != "M1" || d.Method != want.Method || d.URL != want.URL || d.Kind != want.Kind ||
		d.State != account.DeliveryPending || !reflect.DeepEqual(d.Params, want.Params) || !sameTime(d.CreatedAt, at(10)) {
		t.Errorf("claimed %+v, want %+v", d, want)
	}
	if d.MaxPerSecond != 7 || d.Claim == 0 {
		t.Errorf("claimed MaxPerSecond %d, Claim %d; want 7 and a claim", d.MaxPerSecond, d.Claim)
	}
	fail := account.Attempt{At: at(11), Duration: 1500 * time.Millisecond, StatusCode: 500}
	if ok, err := s.FinishWebhookAttempt(ctx, d.ID, d.Claim, fail, account.DeliveryPending, at(20)); err != nil || !ok {
		t.Fatalf("FinishWebhookAttempt(pending): %v, %v", ok, err)
	}
	if got := claim(t, s, at(19), 10); len(got) != 0 {
		t.Fatalf("claimed before the retry was due")
	}
	got = claim(t, s, at(20), 10)
	if len(got) != 1 || got[0].Claim <= d.Claim || got[0].Tries != 1 || d.Tries != 0 {
		t.Fatalf("retry claim: %+v", got)
	}
	ok := account.Attempt{At: at(21), Duration: time.Millisecond, StatusCode: 204}
	if done, err := s.FinishWebhookAttempt(ctx, d.ID, got[0].Claim, ok, account.DeliveryDelivered, time.Time{}); err != nil || !done {
		t.Fatalf("FinishWebhookAttempt(delivered): %v, %v", done, err)
	}
	if got := claim(t, s, at(1000), 10); len(got) != 0 {
		t.Fatalf("a delivered delivery was claimed again")
	}
	if n := depth(t, s); n != 0 {
		t.Errorf("queue depth %d after delivery, want 0", n)
	}
	list, err := s.Webhooks(ctx, "hookflow", 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("Webhooks: %v, %d", err, len(list))
	}
	if l := list[0]; l.State != account.DeliveryDelivered || !l.NextAttemptAt.IsZero() || len(l.Attempts) != 2 {
		t.Fatalf("listed %+v", l)
	}
	for i, w := range []account.Attempt{fail, ok} {
		a := list[0].Attempts[i]
		if !sameTime(a.At, w.At) || a.Duration != w.Duration || a.StatusCode != w.StatusCode || a.Error != w.Error {
			t.Errorf("attempt %d: %+v, want %+v", i, a, w)
		}
	}
}

// testWebhookLease: a claimed delivery is not claimed again while its
// lease runs; after, it is, with a new claim, and the old claim can no
// longer end it.
func testWebhookLease(t *testing.T, s account.Store) {
	ctx := t.Context()
	create(t, s, newAccount("hooklease"))
	enqueue(t, s, delivery("hooklease", "M1", t0))
	first := claim(t, s, t0, 10)
	if len(first) != 1 {
		t.Fatalf("first claim: %d", len(first))
	}
	if got := claim(t, s, t0.Add(59*time.Second), 10); len(got) != 0 {
		t.Fatalf("claimed again within the lease")
	}
	second := claim(t, s, t0.Add(time.Minute), 10)
	if len(second) != 1 || second[0].Claim == first[0].Claim {
		t.Fatalf("claim after the lease: %+v", second)
	}
	a := account.Attempt{At: t0, Error: "timeout"}
	if ok, err := s.FinishWebhookAttempt(ctx, first[0].ID, first[0].Claim, a, account.DeliveryFailed, time.Time{}); err != nil || ok {
		t.Fatalf("the stale claim finished the delivery: %v, %v", ok, err)
	}
	if ok, err := s.ReleaseWebhook(ctx, first[0].ID, first[0].Claim, t0); err != nil || ok {
		t.Fatalf("the stale claim released the delivery: %v, %v", ok, err)
	}
	if ok, err := s.FinishWebhookAttempt(ctx, second[0].ID, second[0].Claim, a, account.DeliveryFailed, time.Time{}); err != nil || !ok {
		t.Fatalf("the live claim: %v, %v", ok, err)
	}
	list, _ := s.Webhooks(ctx, "hooklease", 0, 10)
	if len(list) != 1 || list[0].State != account.DeliveryFailed || len(list[0].Attempts) != 1 || list[0].Attempts[0].Error != "timeout" {
		t.Fatalf("listed %+v, want one failed delivery with the one attempt", list)
	}
}

// testWebhookRelease: a released delivery is due again at the time given,
// without an attempt.
func testWebhookRelease(t *testing.T, s account.Store) {
	ctx := t.Context()
	create(t, s, newAccount("hookrels"))
	enqueue(t, s, delivery("hookrels", "M1", t0))
	d := claim(t, s, t0, 10)[0]
	if ok, err := s.ReleaseWebhook(ctx, d.ID, d.Claim, at(5)); err != nil || !ok {
		t.Fatalf("ReleaseWebhook: %v, %v", ok, err)
	}
	if got := claim(t, s, at(4), 10); len(got) != 0 {
		t.Fatalf("claimed before the release time")
	}
	if got := claim(t, s, at(5), 10); len(got) != 1 {
		t.Fatalf("not claimed at the release time")
	}
	list, _ := s.Webhooks(ctx, "hookrels", 0, 10)
	if len(list) != 1 || len(list[0].Attempts) != 0 {
		t.Fatalf("a release recorded an attempt: %+v", list)
	}
}

// testWebhookList: newest first, paged by id, only the account's own;
// claims take the oldest due first and respect the limit.
func testWebhookList(t *testing.T, s account.Store) {
	ctx := t.Context()
	create(t, s, newAccount("hooklist"))
	create(t, s, newAccount("hookother"))
	ids := enqueue(t, s, delivery("hooklist", "M1", at(1)), delivery("hooklist", "M2", at(2)), delivery("hooklist", "M3", at(3)))
	enqueue(t, s, delivery("hookother", "X1", at(0)))
	page, err := s.Webhooks(ctx, "hooklist", 0, 2)
	if err != nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
		t.Fatalf("first page: %v, %+v", err, page)
	}
	page, err = s.Webhooks(ctx, "hooklist", page[1].ID, 2)
	if err != nil || len(page) != 1 || page[0].ID != ids[0] || page[0].MessageID != "M1" || !sameTime(page[0].NextAttemptAt, at(1)) {
		t.Fatalf("second page: %v, %+v", err, page)
	}
	got := claim(t, s, at(3), 2)
	if len(got) == 2 && got[0].MessageID == "M1" {
		got[0], got[1] = got[1], got[0] // claims come in no particular order
	}
	if len(got) != 2 || got[0].MessageID != "X1" || got[1].MessageID != "M1" {
		t.Fatalf("claimed %+v, want X1 and M1 (oldest due first, limit 2)", got)
	}
}

// testWebhookConcurrentClaims: claimers racing on one queue each take a
// delivery exactly once.
func testWebhookConcurrentClaims(t *testing.T, s account.Store) {
	create(t, s, newAccount("hookrace"))
	const n = 60
	ds := make([]account.Delivery, n)
	for i := range ds {
		ds[i] = delivery("hookrace", "M", t0)
	}
	enqueue(t, s, ds...)
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimWebhooks(t.Context(), t0, time.Hour, 4)
				if err != nil {
					t.Errorf("ClaimWebhooks: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %d claimed %d times", id, c)
		}
	}
}
