package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// TestWebhookSurvivesSIGKILL: a callback whose endpoint failed is still
// queued after `vonage serve` is killed with SIGKILL, and the next process
// on the same SQLite file delivers it, keeping the first attempt.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	bin := buildVonage(t)
	db := filepath.Join(t.TempDir(), "hooks.db")
	var up atomic.Bool
	arrivals := make(chan int, 16)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if up.Load() {
			arrivals <- http.StatusOK
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		arrivals <- http.StatusInternalServerError
	}))
	t.Cleanup(rc.Close)

	srv := startServer(t, bin, db)
	admin := adminapi.New(srv.url, adminToken)
	const key = "hookkill1"
	if _, err := admin.CreateAccount(t.Context(), adminapi.NewAccount{APIKey: key, Secret: "Hook1Secret"}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"api_key": {key}, "api_secret": {"Hook1Secret"}, "moCallBackUrl": {rc.URL}}
	resp, err := http.PostForm(srv.url+"/account/settings", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	tr, err := admin.TriggerInboundSMS(t.Context(), key, adminapi.InboundSMS{To: "447700900000", MSISDN: "447700900001", Text: "kill"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrivals:
	case <-time.After(15 * time.Second):
		t.Fatal("no first attempt in 15s")
	}
	// Kill once the failed attempt is recorded (a kill in the middle of an
	// attempt leaves its claim to run out first: 30 s).
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page, err := admin.Webhooks(t.Context(), key, 10, "")
		if err == nil && len(page.Webhooks) == 1 && len(page.Webhooks[0].Attempts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failed attempt was not recorded in 15s: %v %+v", err, page)
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	up.Store(true)

	srv = startServer(t, bin, db)
	admin = adminapi.New(srv.url, adminToken)
	deadline := time.Now().Add(30 * time.Second) // the retry comes 2.5–5 s after the first attempt
	for {
		page, err := admin.Webhooks(t.Context(), key, 10, "")
		if err != nil || len(page.Webhooks) != 1 {
			t.Fatalf("webhooks: %v, %+v", err, page)
		}
		d := page.Webhooks[0]
		if d.State == account.DeliveryDelivered {
			if d.MessageID != tr.MessageID || len(d.Attempts) != 2 || d.Attempts[0].StatusCode != 500 || d.Attempts[1].StatusCode != 200 {
				t.Fatalf("after the restart: %+v", d)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered 30s after the restart: %+v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
