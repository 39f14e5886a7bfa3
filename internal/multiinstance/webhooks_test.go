package multiinstance_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// hookReceiver counts the deliveries of each message id and whether two
// of one were ever in flight at once.
type hookReceiver struct {
	*httptest.Server
	mu         sync.Mutex
	count      map[string]int
	inFlight   map[string]int
	concurrent []string
	arrived    chan struct{}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{count: map[string]int{}, inFlight: map[string]int{}, arrived: make(chan struct{}, 100_000)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("messageId")
		h.mu.Lock()
		h.count[id]++
		if h.inFlight[id]++; h.inFlight[id] > 1 {
			h.concurrent = append(h.concurrent, id)
		}
		h.mu.Unlock()
		time.Sleep(time.Millisecond) // a little work, so overlaps can show
		h.mu.Lock()
		h.inFlight[id]--
		h.mu.Unlock()
		h.arrived <- struct{}{}
	}))
	t.Cleanup(h.Close)
	return h
}

// waitDistinct waits until n distinct message ids arrived.
func (h *hookReceiver) waitDistinct(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		h.mu.Lock()
		got := len(h.count)
		h.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-h.arrived:
		case <-deadline:
			t.Fatalf("%d of %d messages delivered within %v", got, n, d)
		}
	}
}

// hookAccount creates an account whose callbacks go by GET, with no
// rate cap, through instance base; setCallbacks points them.
func hookAccount(t *testing.T, base, key string) *adminapi.Client {
	t.Helper()
	admin := adminapi.New(base, adminToken)
	zero := 0
	if _, err := admin.CreateAccount(t.Context(), adminapi.NewAccount{APIKey: key, Limits: &adminapi.LimitsPatch{MaxInboundRequest: &zero}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.UpdateAccount(t.Context(), key, adminapi.AccountUpdate{WebhookMethod: account.WebhookGET}); err != nil {
		t.Fatal(err)
	}
	return admin
}

func setCallbacks(t *testing.T, s *server.Server, key, u string) {
	t.Helper()
	if _, err := s.Store.UpdateSettings(t.Context(), key, account.SettingsUpdate{MoCallbackURL: &u}); err != nil {
		t.Fatal(err)
	}
}

// TestWebhooksDeliveredOnceAcrossInstances: 1,000 inbound messages
// triggered on two instances sharing the queue are each delivered exactly
// once while no instance dies, never two at once.
func TestWebhooksDeliveredOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	_, a, b := twoInstances(t)
	rc := newHookReceiver(t)
	hookAccount(t, a.base, "hookmulti1")
	setCallbacks(t, a.srv, "hookmulti1", rc.URL)
	const n = 1000
	clients := []*adminapi.Client{adminapi.New(a.base, adminToken), adminapi.New(b.base, adminToken)}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				_, err := clients[i%2].TriggerInboundSMS(t.Context(), "hookmulti1",
					adminapi.InboundSMS{To: "447700900000", MSISDN: "447700900001", Text: fmt.Sprintf("m %d", i)})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rc.waitDistinct(t, n, 60*time.Second)
	time.Sleep(300 * time.Millisecond) // a few polls: a second copy would come now
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, c := range rc.count {
		if c != 1 {
			t.Errorf("message %s delivered %d times", id, c)
		}
	}
	if len(rc.concurrent) > 0 {
		t.Errorf("%d messages were in flight twice at once", len(rc.concurrent))
	}
	depth := 0
	for _, in := range []*instance{a, b} {
		st, err := in.srv.Webhooks.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		depth = st.QueueDepth
		t.Logf("instance %s delivered %d", in.name, st.Delivered)
	}
	if depth != 0 {
		t.Errorf("queue depth %d after all were delivered", depth)
	}
}

// TestWebhookOfDeadClaimantRetried: a delivery claimed by an instance that
// then dies (its claim never ends) is delivered by another instance once
// the claim's lease runs out, and the dead claim can no longer end it.
func TestWebhookOfDeadClaimantRetried(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	rc := newHookReceiver(t)
	open := func(name string) *server.Server {
		cfg := server.TestConfig()
		cfg.DB = schemaURL(t, schema, appName(schema, name))
		cfg.PGMaxConns = poolSize
		cfg.AdminToken = adminToken
		srv, err := server.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	dead := open("dead") // never started: no worker of its own
	if _, _, err := dead.Service.CreateAccount(t.Context(), account.NewAccount{APIKey: "hookdead1"}); err != nil {
		t.Fatal(err)
	}
	setCallbacks(t, dead, "hookdead1", rc.URL)
	ds, err := dead.Service.TriggerInboundSMS(t.Context(), "hookdead1", account.InboundSMS{To: "447700900000", MSISDN: "447700900001", Text: "orphan"})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := dead.Store.ClaimWebhooks(t.Context(), time.Now(), 2*time.Second, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("the dying instance's claim: %v, %d", err, len(claimed))
	}
	// The dead instance is gone without a word; another starts.
	live := open("live")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rc.waitDistinct(t, 1, 20*time.Second)
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("delivered %v after the claim, inside its 2s lease", waited)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := live.Service.Webhooks(t.Context(), "hookdead1", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if list[0].State == account.DeliveryDelivered {
			if list[0].ID != ds[0].ID || len(list[0].Attempts) != 1 {
				t.Fatalf("delivered %+v", list[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recorded delivered: %+v", list[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	ok, err := dead.Store.FinishWebhookAttempt(t.Context(), claimed[0].ID, claimed[0].Claim,
		account.Attempt{At: time.Now(), Error: "late"}, account.DeliveryFailed, time.Time{})
	if err != nil || ok {
		t.Errorf("the dead claim ended the delivery: %v, %v", ok, err)
	}
}
