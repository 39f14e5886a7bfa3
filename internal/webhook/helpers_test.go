package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/webhook"
)

// The tests deliver to a real HTTP receiver on loopback, from a real
// SQLite store and service: the same parts `vonage serve` wires.

const acctKey = "hookacct1"

// arrival is one request the receiver got.
type arrival struct {
	at          time.Time
	method      string
	contentType string
	userAgent   string
	params      map[string]string
	order       []string // the parameters' names as sent
}

// receiver records every request and answers with answer(n) for the
// n-th (from 1).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []arrival
	arrivals chan struct{}
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{arrivals: make(chan struct{}, 10_000)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := arrival{at: time.Now(), method: r.Method, contentType: r.Header.Get("Content-Type"), userAgent: r.UserAgent(), params: map[string]string{}}
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == http.MethodGet:
			a.order, a.params = formParams(t, r.URL.RawQuery)
		case a.contentType == "application/json":
			dec := json.NewDecoder(bytes.NewReader(body))
			if _, err := dec.Token(); err != nil {
				t.Errorf("JSON body: %v", err)
			}
			for dec.More() {
				k, _ := dec.Token()
				var v string
				if err := dec.Decode(&v); err != nil {
					t.Errorf("JSON member %v is not a string: %v", k, err)
				}
				a.order = append(a.order, k.(string))
				a.params[k.(string)] = v
			}
		default:
			a.order, a.params = formParams(t, string(body))
		}
		rc.mu.Lock()
		rc.got = append(rc.got, a)
		n := len(rc.got)
		rc.mu.Unlock()
		answer(n, w, r)
		rc.arrivals <- struct{}{}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func formParams(t *testing.T, q string) ([]string, map[string]string) {
	var order []string
	m := map[string]string{}
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			t.Errorf("bad form pair %q", kv)
		}
		order = append(order, k)
		m[k] = v
	}
	return order, m
}

// wait returns the first n arrivals once there are n, or fails the test
// after d.
func (rc *receiver) wait(t *testing.T, n int, d time.Duration) []arrival {
	t.Helper()
	deadline := time.After(d)
	for {
		rc.mu.Lock()
		got := append([]arrival(nil), rc.got...)
		rc.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		select {
		case <-rc.arrivals:
		case <-deadline:
			t.Fatalf("%d requests arrived within %v, want %d", len(got), d, n)
		}
	}
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// fixture is a store, a service over it with a data key, and one account.
type fixture struct {
	path  string
	store *sqlite.Store
	svc   *account.Service
}

func newFixture(t *testing.T, limits account.Limits) *fixture {
	t.Helper()
	f := &fixture{path: filepath.Join(t.TempDir(), "hooks.db")}
	f.open(t)
	if _, _, err := f.svc.CreateAccount(t.Context(), account.NewAccount{APIKey: acctKey, Secret: "Hooks1Secret", Limits: &limits}); err != nil {
		t.Fatal(err)
	}
	return f
}

// open (re)opens the store on the fixture's file.
func (f *fixture) open(t *testing.T) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	dk, err := account.NewDataKey(make([]byte, account.DataKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	f.store = s
	f.svc = account.NewService(s, account.WithHashParams(account.TestHashParams), account.WithDataKey(dk))
}

// point sets both callback URLs and the webhook method.
func (f *fixture) point(t *testing.T, u, method string) {
	t.Helper()
	if _, err := f.store.UpdateSettings(t.Context(), acctKey, account.SettingsUpdate{MoCallbackURL: &u, DrCallbackURL: &u}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetWebhookMethod(t.Context(), acctKey, method); err != nil {
		t.Fatal(err)
	}
}

// run starts a worker with cfg (fast polls) and stops it when the test
// ends, or earlier with the function returned.
func (f *fixture) run(t *testing.T, cfg webhook.Config) (*webhook.Worker, func()) {
	t.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	cfg.UserAgent = "vonage-serve/test"
	w := webhook.New(f.store, f.svc, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return w, stop
}

func (f *fixture) inbound(t *testing.T, text string) []account.Delivery {
	t.Helper()
	ds, err := f.svc.TriggerInboundSMS(t.Context(), acctKey, account.InboundSMS{To: "447700900000", MSISDN: "447700900001", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// settled waits until the delivery is no longer pending and returns it.
func (f *fixture) settled(t *testing.T, id int64, d time.Duration) account.Delivery {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ds, err := f.store.Webhooks(t.Context(), acctKey, id+1, 1)
		if err != nil || len(ds) != 1 {
			t.Fatalf("Webhooks: %v, %d", err, len(ds))
		}
		if ds[0].State != account.DeliveryPending {
			return ds[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %d still pending after %v: %+v", id, d, ds[0])
		}
		time.Sleep(10 * time.Millisecond) // the database has no notification to wait on
	}
}
