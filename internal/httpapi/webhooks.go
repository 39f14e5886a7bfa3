package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// Callbacks (contract section 6, issue 18): the trigger routes queue an
// inbound SMS or a delivery receipt for the account's callback URL and
// answer 202 at once; internal/webhook delivers it. The list shows each
// delivery with its attempts.

// readMembers reads a JSON object body of string members, all of them
// among names; it returns them by name. EINVALID names the member at
// fault.
func readMembers(r *http.Request, names ...string) (map[string]string, error) {
	obj, err := readBodyObject(r)
	if err != nil {
		return nil, err
	}
	if unknownMember(obj, names...) {
		return nil, badRequest("body", "has an unknown member; allowed: "+strings.Join(names, ", "))
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, _, err := jsonString(obj, n, n)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}

// triggerInboundSMS implements POST /admin/accounts/{api_key}/inbound-sms:
// {"to","msisdn","text"[,"type"]}.
func (s *server) triggerInboundSMS(w http.ResponseWriter, r *http.Request) {
	m, err := readMembers(r, "to", "msisdn", "text", "type")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.svc.TriggerInboundSMS(r.Context(), r.PathValue("api_key"),
		account.InboundSMS{To: m["to"], MSISDN: m["msisdn"], Text: m["text"], Type: m["type"]})
	s.writeTriggered(w, r, ds, err)
}

// triggerDeliveryReceipt implements POST
// /admin/accounts/{api_key}/delivery-receipts.
func (s *server) triggerDeliveryReceipt(w http.ResponseWriter, r *http.Request) {
	m, err := readMembers(r, "messageId", "to", "msisdn", "status", "err-code", "price", "network-code")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.svc.TriggerDeliveryReceipt(r.Context(), r.PathValue("api_key"), account.DeliveryReceipt{
		MessageID: m["messageId"], To: m["to"], MSISDN: m["msisdn"], Status: m["status"],
		ErrCode: m["err-code"], Price: m["price"], NetworkCode: m["network-code"],
	})
	s.writeTriggered(w, r, ds, err)
}

// writeTriggered answers a trigger: 202 with the message ids queued.
func (s *server) writeTriggered(w http.ResponseWriter, r *http.Request, ds []account.Delivery, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := adminapi.Triggered{MessageID: ds[0].MessageID}
	for _, d := range ds {
		body.MessageIDs = append(body.MessageIDs, d.MessageID)
	}
	s.writeJSON(w, r, http.StatusAccepted, body)
}

// listWebhooks implements GET /admin/accounts/{api_key}/webhooks
// ?limit=50&cursor=<next_cursor>, newest first, paged as the ledger is.
func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("api_key")
	limit, before, err := readPage(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// One more than a page tells whether there is a next page.
	ds, err := s.svc.Webhooks(r.Context(), key, before, min(limit+1, 1000))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := adminapi.WebhooksPage{Webhooks: make([]adminapi.Delivery, 0, len(ds))}
	if len(ds) > limit {
		ds = ds[:limit]
		body.NextCursor = strconv.FormatInt(ds[len(ds)-1].ID, 10)
	}
	for _, d := range ds {
		body.Webhooks = append(body.Webhooks, newDelivery(d))
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// newDelivery is a delivery as the admin API shows it. Attempt times keep
// milliseconds, since retries can come within a second.
func newDelivery(d account.Delivery) adminapi.Delivery {
	out := adminapi.Delivery{
		ID: d.ID, Kind: d.Kind, MessageID: d.MessageID, URL: d.URL, Method: d.Method, State: d.State,
		Payload:   make(map[string]string, len(d.Params)),
		CreatedAt: timestamp(d.CreatedAt),
		Attempts:  make([]adminapi.Attempt, 0, len(d.Attempts)),
	}
	for _, p := range d.Params {
		out.Payload[p.Name] = p.Value
	}
	if !d.NextAttemptAt.IsZero() {
		out.NextAttemptAt = preciseTime(d.NextAttemptAt)
	}
	for _, a := range d.Attempts {
		out.Attempts = append(out.Attempts, adminapi.Attempt{
			At: preciseTime(a.At), StatusCode: a.StatusCode, Error: a.Error,
			DurationMS: float64(a.Duration.Microseconds()) / 1000,
		})
	}
	return out
}

func preciseTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
