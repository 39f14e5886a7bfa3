package main

import "github.com/vonage/vonage-go-sdk/internal/adminapi"

// What the admin commands print with --json: the admin API's objects in
// the CLI's one key style (snake_case; the admin API keeps the Account
// API's "max-calls-per-second" style for limits and settings) and its one
// money format (8 decimal places).

// accountJSON is an account, every key present (primary_api_key too).
type accountJSON struct {
	APIKey        string              `json:"api_key"`
	PrimaryAPIKey string              `json:"primary_api_key"`
	Balance       string              `json:"balance"`
	AutoReload    *autoReloadJSON     `json:"auto_reload"` // null when off
	Limits        limitsJSON          `json:"limits"`
	Settings      callbacksJSON       `json:"settings"`
	Secrets       []adminapi.SecretID `json:"secrets"`
	CreatedAt     string              `json:"created_at"`
	// SignatureMethod is the method of the account's signature secret,
	// empty when it has none; the secret itself is never shown.
	SignatureMethod string `json:"signature_method"`
	WebhookMethod   string `json:"webhook_method"` // GET, POST or POST-JSON
}

type autoReloadJSON struct {
	Threshold string `json:"threshold"`
	Amount    string `json:"amount"`
}

type limitsJSON struct {
	MaxOutboundRequest int `json:"max_outbound_request"`
	MaxInboundRequest  int `json:"max_inbound_request"`
	MaxCallsPerSecond  int `json:"max_calls_per_second"`
}

type callbacksJSON struct {
	MoCallbackURL string `json:"mo_callback_url"`
	DrCallbackURL string `json:"dr_callback_url"`
}

func newAccountJSON(a adminapi.Account) accountJSON {
	out := accountJSON{
		APIKey: a.APIKey, PrimaryAPIKey: a.PrimaryAPIKey, Balance: money(a.Balance),
		Limits:    limitsJSON{a.Limits.MaxOutboundRequest, a.Limits.MaxInboundRequest, a.Limits.MaxCallsPerSecond},
		Settings:  callbacksJSON{a.Settings.MoCallbackURL, a.Settings.DrCallbackURL},
		Secrets:   a.Secrets,
		CreatedAt: a.CreatedAt, WebhookMethod: a.WebhookMethod,
	}
	if a.Signature != nil {
		out.SignatureMethod = a.Signature.Method
	}
	if out.Secrets == nil {
		out.Secrets = []adminapi.SecretID{}
	}
	if ar := a.AutoReload; ar != nil {
		out.AutoReload = &autoReloadJSON{Threshold: money(ar.Threshold), Amount: money(ar.Amount)}
	}
	return out
}

// createdJSON is admin account create --json: the key, the generated
// secret (only when the server generated it) and the account.
type createdJSON struct {
	APIKey    string      `json:"api_key"`
	APISecret string      `json:"api_secret,omitempty"`
	Account   accountJSON `json:"account"`
}

func newCreatedJSON(c adminapi.CreatedAccount) createdJSON {
	return createdJSON{APIKey: c.APIKey, APISecret: c.APISecret, Account: newAccountJSON(c.Account)}
}

// transactionJSON is one ledger row, its amounts in the money format.
type transactionJSON struct {
	ID           int64  `json:"id"`
	Kind         string `json:"kind"`
	Amount       string `json:"amount"`
	BalanceAfter string `json:"balance_after"`
	Reference    string `json:"reference"`
	Trx          string `json:"trx,omitempty"`
	RelatedTrx   string `json:"related_trx,omitempty"`
	CreatedAt    string `json:"created_at"`
}

func newTransactionJSON(t adminapi.Transaction) transactionJSON {
	return transactionJSON{ID: t.ID, Kind: t.Kind, Amount: money(t.Amount), BalanceAfter: money(t.BalanceAfter),
		Reference: t.Reference, Trx: t.Trx, RelatedTrx: t.RelatedTrx, CreatedAt: t.CreatedAt}
}

func newTransactionsJSON(txs []adminapi.Transaction) []transactionJSON {
	out := make([]transactionJSON, 0, len(txs))
	for _, t := range txs {
		out = append(out, newTransactionJSON(t))
	}
	return out
}

// movedJSON is what a credit or charge prints: the server's answer, the
// idempotency key and whether the server replayed.
type movedJSON struct {
	Transaction    transactionJSON  `json:"transaction"`
	Reload         *transactionJSON `json:"reload"` // the auto-reload a charge triggered; null otherwise
	Balance        string           `json:"balance"`
	IdempotencyKey string           `json:"idempotency_key"`
	Replayed       bool             `json:"replayed"`
}

func newMovedJSON(m adminapi.Movement, key string) movedJSON {
	out := movedJSON{Transaction: newTransactionJSON(m.Transaction), Balance: money(m.Balance), IdempotencyKey: key, Replayed: m.Replayed}
	if m.Reload != nil {
		r := newTransactionJSON(*m.Reload)
		out.Reload = &r
	}
	return out
}

// transactionsJSON is a page of the ledger.
type transactionsJSON struct {
	Transactions []transactionJSON `json:"transactions"`
	NextCursor   string            `json:"next_cursor,omitempty"`
}
