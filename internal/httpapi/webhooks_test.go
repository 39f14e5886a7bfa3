package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// TestTriggerRoutes: 409 naming the setting without a URL; 400 naming the
// field; 404 for an unknown key; 202 with the message id, and the
// delivery in the list with its attempt.
func TestTriggerRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{APIKey: "hooks001"})
	post := func(path, body string) response {
		return e.do(t, request{method: "POST", path: "/admin/accounts/" + key + path, bearer: adminToken, body: body, contentType: "application/json"})
	}
	sms := `{"to":"447700900000","msisdn":"447700900001","text":"Hi there"}`
	dlr := `{"messageId":"0B00000127FDBC63","to":"Vonage","msisdn":"447700900001","status":"delivered"}`

	m := wantProblem(t, post("/inbound-sms", sms), http.StatusConflict, "#conflict", "Conflict")
	wantDetail(t, m, "mo-callback-url: is not set: set it with POST /account/settings before triggering a callback")
	wantProblem(t, post("/delivery-receipts", dlr), http.StatusConflict, "#conflict", "Conflict")

	for _, tc := range []struct{ path, body, field string }{
		{"/inbound-sms", `{"to":"44770090000x","msisdn":"447700900001","text":"a"}`, "to"},
		{"/inbound-sms", `{"to":"447700900000","msisdn":"","text":"a"}`, "msisdn"},
		{"/inbound-sms", `{"to":"447700900000","msisdn":"447700900001"}`, "text"},
		{"/inbound-sms", `{"to":"447700900000","msisdn":"447700900001","text":"a","type":"binary"}`, "type"},
		{"/inbound-sms", `{"to":"447700900000","msisdn":"447700900001","text":"Привет","type":"text"}`, "type"},
		{"/inbound-sms", `{"to":1,"msisdn":"447700900001","text":"a"}`, "to"},
		{"/inbound-sms", `{"to":"447700900000","msisdn":"447700900001","text":"a","extra":"x"}`, "body"},
		{"/delivery-receipts", `{"messageId":"","to":"Vonage","msisdn":"447700900001","status":"delivered"}`, "messageId"},
		{"/delivery-receipts", `{"messageId":"A1","to":"Vonage","msisdn":"447700900001","status":"lost"}`, "status"},
		{"/delivery-receipts", `{"messageId":"A1","to":"Vonage","msisdn":"447700900001","status":"failed","err-code":"x"}`, "err-code"},
		{"/delivery-receipts", `{"messageId":"A1","to":"Vonage","msisdn":"447700900001","status":"failed","price":"-1"}`, "price"},
		{"/delivery-receipts", `{"messageId":"A1","to":"Vonage","msisdn":"447700900001","status":"failed","network-code":"1"}`, "network-code"},
	} {
		wantValidation(t, post(tc.path, tc.body), tc.field)
	}
	wantProblem(t, e.do(t, request{method: "POST", path: "/admin/accounts/nosuchkey/inbound-sms", bearer: adminToken, body: sms}),
		http.StatusNotFound, "#invalid-api-key", "Invalid API Key")

	got := make(chan *http.Request, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r }))
	t.Cleanup(rc.Close)
	u := rc.URL + "/in"
	if _, err := e.store.UpdateSettings(t.Context(), key, account.SettingsUpdate{MoCallbackURL: &u}); err != nil {
		t.Fatal(err)
	}
	// webhook_method through PATCH, shown by GET.
	wantValidation(t, e.do(t, request{method: "PATCH", path: "/admin/accounts/" + key, bearer: adminToken, body: `{"webhook_method":"PUT"}`}), "webhook_method")
	r := e.do(t, request{method: "PATCH", path: "/admin/accounts/" + key, bearer: adminToken, body: `{"webhook_method":"GET"}`})
	if r.status != 200 || r.object(t)["webhook_method"] != "GET" {
		t.Fatalf("PATCH webhook_method: %d %s", r.status, r.body)
	}

	r = post("/inbound-sms", sms)
	var tr adminapi.Triggered
	if r.status != http.StatusAccepted || json.Unmarshal(r.body, &tr) != nil || len(tr.MessageID) != 16 || len(tr.MessageIDs) != 1 {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	select {
	case req := <-got:
		if req.Method != "GET" || req.URL.Query().Get("messageId") != tr.MessageID || req.URL.Query().Get("keyword") != "HI" {
			t.Errorf("delivered %s %s", req.Method, req.URL)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing delivered in 10s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = e.do(t, request{method: "GET", path: "/admin/accounts/" + key + "/webhooks", bearer: adminToken})
		var page adminapi.WebhooksPage
		if r.status != 200 || json.Unmarshal(r.body, &page) != nil || len(page.Webhooks) != 1 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		if d := page.Webhooks[0]; d.State == account.DeliveryDelivered {
			if d.MessageID != tr.MessageID || d.Method != "GET" || d.URL != u || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 ||
				d.Payload["text"] != "Hi there" || d.NextAttemptAt != "" {
				t.Errorf("listed %s", r.body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered in the list: %s", r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
