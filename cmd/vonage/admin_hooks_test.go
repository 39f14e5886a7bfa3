package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// callback is one request a test receiver got.
type callback struct {
	method, path, query, body string
}

// receiver is a loopback HTTP endpoint that records callbacks; paths
// ending in /fail answer 500, the others 200.
type receiver struct {
	url string
	mu  sync.Mutex
	got []callback
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		rc.mu.Lock()
		rc.got = append(rc.got, callback{r.Method, r.URL.Path, r.URL.RawQuery, string(body)})
		rc.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

// wait returns the first callback whose path is path and that contains
// text, waiting up to ten seconds for it.
func (rc *receiver) wait(t *testing.T, path, text string) callback {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		for _, c := range rc.got {
			if c.path == path && strings.Contains(c.query+c.body, text) {
				rc.mu.Unlock()
				return c
			}
		}
		rc.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no callback to %s with %q within 10s; got %+v", path, text, rc.got)
	return callback{}
}

// webhooks runs admin webhooks KEY --json.
func webhooks(t *testing.T, s *testServer, key string) []adminapi.Delivery {
	t.Helper()
	r := cliRun(t, s.adminEnv(), "admin", "webhooks", key, "--json").want(t, exitOK)
	var page adminapi.WebhooksPage
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		t.Fatalf("admin webhooks --json: %v\n%s", err, r.stdout)
	}
	return page.Webhooks
}

// waitAttempted waits until the newest delivery has an attempt.
func waitAttempted(t *testing.T, s *testServer, key string) adminapi.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ds := webhooks(t, s, key); len(ds) > 0 && len(ds[0].Attempts) > 0 {
			return ds[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the newest delivery of %s was not attempted within 10s", key)
	return adminapi.Delivery{}
}

func TestAdminTriggerAndWebhooks(t *testing.T) {
	t.Parallel()
	s := startServerConfig(t, func(cfg *server.Config) {
		cfg.WebhookPoll = 20 * time.Millisecond
		cfg.WebhookRetryBase = time.Hour // a failed delivery stays pending
	})
	key, env := s.newUser(t)
	rc := newReceiver(t)

	// No callback URL yet: the server's 409 names the setting.
	cliRun(t, s.adminEnv(), "admin", "trigger", "inbound-sms", key, "--to", "447700900000", "--msisdn", "447700900001", "--text", "hi").
		wantErr(t, exitError, "mo-callback-url")
	cliRun(t, env, "settings", "--mo-url", rc.url+"/mo", "--dr-url", rc.url+"/dr/fail").want(t, exitOK)

	// An inbound SMS, POST-JSON by default.
	r := cliRun(t, s.adminEnv(), "admin", "trigger", "inbound-sms", key, "--to", "447700900000", "--msisdn", "447700900001", "--text", "hello there", "--json").want(t, exitOK)
	var trig triggeredJSON
	if err := json.Unmarshal([]byte(r.stdout), &trig); err != nil || trig.MessageID == "" || trig.APIKey != key || len(trig.MessageIDs) != 1 {
		t.Fatalf("trigger --json = %s (%v)", r.stdout, err)
	}
	got := rc.wait(t, "/mo", trig.MessageID)
	if got.method != http.MethodPost || !strings.Contains(got.body, `"text":"hello there"`) || !strings.Contains(got.body, `"msisdn":"447700900001"`) {
		t.Errorf("inbound SMS callback: %+v", got)
	}
	d := waitAttempted(t, s, key)
	if d.MessageID != trig.MessageID || d.Kind != "inbound-sms" || d.State != "delivered" || d.Attempts[0].StatusCode != 200 || d.Method != "POST-JSON" || d.URL != rc.url+"/mo" {
		t.Errorf("the delivery: %+v", d)
	}

	// GET: the fields in the query string.
	r = cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--webhook-method", "GET").want(t, exitOK)
	if !strings.Contains(r.stdout, "Webhook method:") || !strings.Contains(r.stdout, "GET") {
		t.Errorf("account update --webhook-method GET:\n%s", r.stdout)
	}
	r = cliRun(t, s.adminEnv(), "admin", "trigger", "inbound-sms", key, "--to", "447700900000", "--msisdn", "447700900002", "--text", "by get").want(t, exitOK)
	if !strings.Contains(r.stdout, "Message id:") || !strings.Contains(r.stderr, "vonage admin webhooks "+key) {
		t.Errorf("trigger inbound-sms:\n%s", r.all())
	}
	if got := rc.wait(t, "/mo", "msisdn=447700900002"); got.method != http.MethodGet || !strings.Contains(got.query, "text=by+get") {
		t.Errorf("GET callback: %+v", got)
	}

	// A receipt whose endpoint answers 500: pending, with its attempt and
	// the next retry; "dlr" is the same command.
	r = cliRun(t, s.adminEnv(), "admin", "trigger", "dlr", key, "--message-id", "0A00000012345678", "--to", "Acme", "--msisdn", "447700900003", "--status", "delivered").want(t, exitOK)
	rc.wait(t, "/dr/fail", "0A00000012345678")
	d = waitAttempted(t, s, key)
	if d.Kind != "delivery-receipt" || d.State != "pending" || d.NextAttemptAt == "" || d.Attempts[0].StatusCode != 500 {
		t.Errorf("the failing receipt: %+v", d)
	}
	r = cliRun(t, s.adminEnv(), "admin", "webhooks", key).want(t, exitOK)
	for _, want := range []string{"NEXT RETRY", "delivery-receipt", "pending", d.NextAttemptAt, "attempt 1", "500 in ", "GET " + rc.url + "/dr/fail", "delivered", "200 in "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("admin webhooks lacks %q:\n%s", want, r.stdout)
		}
	}
	r = cliRun(t, s.adminEnv(), "admin", "webhooks", key, "--limit", "1").want(t, exitOK)
	if !strings.Contains(r.stderr, "More deliveries follow: vonage admin webhooks "+key+" --cursor ") {
		t.Errorf("no next-page hint: %q", r.stderr)
	}
	if ds := webhooks(t, s, key); len(ds) != 3 {
		t.Errorf("%d deliveries, want 3", len(ds))
	}

	// Mistakes are caught before anything is sent.
	cliRun(t, s.adminEnv(), "admin", "trigger", "inbound-sms", key, "--to", "1").wantErr(t, exitUsage, "--msisdn", "--text")
	cliRun(t, s.adminEnv(), "admin", "trigger", "inbound-sms", key, "--to", "1", "--msisdn", "2", "--text", "x", "--type", "binary").wantErr(t, exitUsage, "--type")
	cliRun(t, s.adminEnv(), "admin", "trigger", "delivery-receipt", key, "--message-id", "1", "--to", "1", "--msisdn", "2", "--status", "sent").wantErr(t, exitUsage, "delivered, expired")
	cliRun(t, s.adminEnv(), "admin", "account", "update", key, "--webhook-method", "PUT").wantErr(t, exitUsage, "GET, POST or POST-JSON")
	cliRun(t, s.adminEnv(), "admin", "trigger", "inbound-sms", "nosuchkey", "--to", "1", "--msisdn", "2", "--text", "x").want(t, exitNotFound)
	cliRun(t, s.adminEnv(), "admin", "webhooks", key, "--limit", "0").want(t, exitUsage)
	if ds := webhooks(t, s, key); len(ds) != 3 {
		t.Errorf("refused triggers queued something: %d deliveries", len(ds))
	}
}
