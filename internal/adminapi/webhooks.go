package adminapi

import (
	"context"
	"net/http"
)

// Callbacks (contract section 6, issue 18): an operator triggers an
// inbound SMS or a delivery receipt, and the server delivers it to the
// account's callback URL; the webhooks list shows what became of each.

// InboundSMS is the body of POST /admin/accounts/{api_key}/inbound-sms.
// Type is text or unicode; empty lets the server choose by the text.
type InboundSMS struct {
	To     string `json:"to"`
	MSISDN string `json:"msisdn"`
	Text   string `json:"text"`
	Type   string `json:"type,omitempty"`
}

// DeliveryReceipt is the body of POST
// /admin/accounts/{api_key}/delivery-receipts, under the real receipt's
// field names.
type DeliveryReceipt struct {
	MessageID   string `json:"messageId"`
	To          string `json:"to"`
	MSISDN      string `json:"msisdn"`
	Status      string `json:"status"` // delivered, expired, failed, rejected, accepted, buffered or unknown
	ErrCode     string `json:"err-code,omitempty"`
	Price       string `json:"price,omitempty"`
	NetworkCode string `json:"network-code,omitempty"`
}

// Triggered is the 202 answer of a trigger: the message id, and one id
// per part when a long inbound text was split (each part is a delivery).
type Triggered struct {
	MessageID  string   `json:"message_id"`
	MessageIDs []string `json:"message_ids"`
}

// Delivery is one callback delivery as GET /admin/accounts/{api_key}/webhooks
// shows it. NextAttemptAt is set while it is pending.
type Delivery struct {
	ID            int64             `json:"id"`
	Kind          string            `json:"kind"` // inbound-sms or delivery-receipt
	MessageID     string            `json:"message_id"`
	URL           string            `json:"url"`
	Method        string            `json:"method"` // GET, POST or POST-JSON
	State         string            `json:"state"`  // pending, delivered or failed
	Payload       map[string]string `json:"payload"`
	CreatedAt     string            `json:"created_at"`
	NextAttemptAt string            `json:"next_attempt_at,omitempty"`
	Attempts      []Attempt         `json:"attempts"`
}

// Attempt is one try at a delivery: the endpoint's status code, or the
// error when there was no answer; DurationMS is how long it took.
type Attempt struct {
	At         string  `json:"at"`
	StatusCode int     `json:"status_code,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// WebhooksPage is a page of deliveries, newest first.
type WebhooksPage struct {
	Webhooks   []Delivery `json:"webhooks"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// TriggerInboundSMS queues an inbound SMS for the account's
// mo-callback-url; a 409 *Error when it is not set.
func (c *Client) TriggerInboundSMS(ctx context.Context, apiKey string, in InboundSMS) (Triggered, error) {
	var out Triggered
	_, err := c.call(ctx, call{method: http.MethodPost, path: accountPath(apiKey) + "/inbound-sms", body: in, want: http.StatusAccepted, out: &out})
	return out, err
}

// TriggerDeliveryReceipt queues a delivery receipt for the account's
// dr-callback-url; a 409 *Error when it is not set.
func (c *Client) TriggerDeliveryReceipt(ctx context.Context, apiKey string, r DeliveryReceipt) (Triggered, error) {
	var out Triggered
	_, err := c.call(ctx, call{method: http.MethodPost, path: accountPath(apiKey) + "/delivery-receipts", body: r, want: http.StatusAccepted, out: &out})
	return out, err
}

// Webhooks reads a page of the account's deliveries, newest first; limit
// and cursor as in Transactions.
func (c *Client) Webhooks(ctx context.Context, apiKey string, limit int, cursor string) (WebhooksPage, error) {
	var out WebhooksPage
	err := c.page(ctx, accountPath(apiKey)+"/webhooks", limit, cursor, &out)
	return out, err
}
