package account

import (
	"context"
	"encoding/json"
	"time"
)

// Callbacks (issue 18): an inbound SMS or a delivery receipt that an
// operator triggers through the admin API is queued in the database and
// delivered to the account's mo-callback-url or dr-callback-url, as the
// real platform delivers them: the same field names and formats, by the
// account's webhook method, signed when the account has a signature
// secret, retried until the endpoint answers 2xx or the retry window ends.
// This file holds the queue's types and its Store methods;
// webhook_trigger.go builds the payloads; internal/webhook delivers them.

// The webhook methods an account may choose (webhook_method in the admin
// API): GET with the fields in the query string, POST with a form body,
// POST-JSON with a JSON object of strings (the default).
const (
	WebhookGET      = "GET"
	WebhookPOST     = "POST"
	WebhookPOSTJSON = "POST-JSON"
)

// DefaultWebhookMethod is the method of an account that chose none.
const DefaultWebhookMethod = WebhookPOSTJSON

// FieldWebhookMethod is the admin API member that sets the method.
const FieldWebhookMethod = "webhook_method"

// ValidateWebhookMethod accepts GET, POST and POST-JSON.
func ValidateWebhookMethod(m string) error {
	switch m {
	case WebhookGET, WebhookPOST, WebhookPOSTJSON:
		return nil
	}
	return Invalid(FieldWebhookMethod, "must be GET, POST or POST-JSON")
}

// The kinds of callback.
const (
	KindInboundSMS      = "inbound-sms"
	KindDeliveryReceipt = "delivery-receipt"
)

// The states of a delivery: pending until the endpoint answers 2xx
// (delivered) or the retry window ends (failed).
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one callback request to make, and what became of it.
type Delivery struct {
	ID        int64
	APIKey    string
	Kind      string // KindInboundSMS or KindDeliveryReceipt
	MessageID string
	URL       string
	Method    string  // WebhookGET, WebhookPOST or WebhookPOSTJSON
	Params    []Param // the payload, in order; signing adds timestamp, nonce and sig
	State     string
	CreatedAt time.Time
	// NextAttemptAt is when a pending delivery is due; the zero time
	// once it is delivered or failed.
	NextAttemptAt time.Time
	Attempts      []Attempt // oldest first; filled by Webhooks only

	// Set by ClaimWebhooks: the claim this instance holds (a fencing
	// number: a later claim of the same delivery makes it stale), the
	// attempts made before it, and the account's max-inbound-request.
	Claim        int64
	Tries        int
	MaxPerSecond int
}

// Attempt is one try at a delivery: when it started, how long it took, and
// the endpoint's status code or, when there was no answer, the error.
type Attempt struct {
	At         time.Time
	Duration   time.Duration
	StatusCode int    // 0 when there was no answer
	Error      string // "" when there was an answer
}

// WebhookStore is the durable queue of deliveries, part of Store. The
// queue survives restarts; on a database shared by several instances a
// delivery is claimed by one instance at a time, for a lease: an instance
// that dies holding a claim leaves the delivery to whoever claims it once
// the lease has run out. Every write that ends a claim names it, and is
// refused (false) when another claim has replaced it.
type WebhookStore interface {
	// SetWebhookMethod sets the account's webhook method (validated);
	// ENOTFOUND for an unknown key.
	SetWebhookMethod(ctx context.Context, apiKey, method string) error

	// WebhookMethod returns the account's webhook method; ENOTFOUND for
	// an unknown key.
	WebhookMethod(ctx context.Context, apiKey string) (string, error)

	// EnqueueWebhooks stores deliveries (pending, due at NextAttemptAt)
	// in one transaction and returns their ids, in order; ENOTFOUND when
	// one names an unknown account.
	EnqueueWebhooks(ctx context.Context, ds []Delivery) ([]int64, error)

	// ClaimWebhooks claims up to limit pending deliveries due at now
	// whose previous claim's lease has run out (or that have none), the
	// oldest due first (returned in no particular order), for lease: each
	// comes back with a fresh Claim, Tries and MaxPerSecond; Attempts is not
	// filled.
	ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)

	// FinishWebhookAttempt records attempt a of the claimed delivery id
	// and ends the claim: state DeliveryPending with next, the time of the
	// next try, or DeliveryDelivered or DeliveryFailed. false, with
	// nothing written, when claim is no longer the delivery's.
	FinishWebhookAttempt(ctx context.Context, id, claim int64, a Attempt, state string, next time.Time) (bool, error)

	// ReleaseWebhook ends a claim without an attempt: the delivery is due
	// again at next. false when claim is no longer the delivery's.
	ReleaseWebhook(ctx context.Context, id, claim int64, next time.Time) (bool, error)

	// Webhooks returns up to limit of the account's deliveries with their
	// attempts, newest first, with ID below before (0: from the newest);
	// limit is clamped to 1..1000. ENOTFOUND for an unknown key.
	Webhooks(ctx context.Context, apiKey string, before int64, limit int) ([]Delivery, error)

	// WebhookQueueDepth returns the number of pending deliveries.
	WebhookQueueDepth(ctx context.Context) (int, error)
}

// EncodeParams is how stores keep a payload: a JSON array of
// [name, value] pairs, which keeps their order and repeated names.
func EncodeParams(ps []Param) string {
	pairs := make([][2]string, len(ps))
	for i, p := range ps {
		pairs[i] = [2]string{p.Name, p.Value}
	}
	b, _ := json.Marshal(pairs) // strings always encode
	return string(b)
}

// DecodeParams reads what EncodeParams wrote.
func DecodeParams(s string) ([]Param, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, err
	}
	ps := make([]Param, len(pairs))
	for i, p := range pairs {
		ps[i] = Param{Name: p[0], Value: p[1]}
	}
	return ps, nil
}

// ClampPage bounds a page size as Transactions and Webhooks do: 1..1000.
func ClampPage(limit int) int {
	return min(max(limit, 1), 1000)
}
