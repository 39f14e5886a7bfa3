// Package adminapi holds our server's admin API (contract section 6): its
// wire types, which the server encodes and the client decodes, and a small
// client for the CLI, the tests and the bench. The admin API is ours, not
// Vonage's, so the SDK has no calls for it.
//
// Money is a decimal string everywhere ("10.50", "-0.0068"), never a JSON
// number, so no client reads it into a float; account.ParseMoney and
// account.ParseSignedMoney read it exactly.
package adminapi

import "encoding/json"

// Account is an account as GET /admin/accounts/{api_key} shows it.
type Account struct {
	APIKey        string      `json:"api_key"`
	PrimaryAPIKey string      `json:"primary_api_key,omitempty"` // set on a subaccount only
	Balance       string      `json:"balance"`
	AutoReload    *AutoReload `json:"auto_reload"` // null when off
	Limits        Limits      `json:"limits"`
	Settings      Settings    `json:"settings"`
	Secrets       []SecretID  `json:"secrets"`
	CreatedAt     string      `json:"created_at"`
	// Signature is the method of the account's signature secret for
	// signed requests; null when it has none. The secret is never shown.
	Signature *SignatureInfo `json:"signature"`
	// WebhookMethod is how callbacks are sent: GET, POST or POST-JSON.
	WebhookMethod string `json:"webhook_method,omitempty"`
}

// SignatureInfo is what the admin API shows of an account's signature.
type SignatureInfo struct {
	Method string `json:"method"` // md5hash, md5, sha1, sha256 or sha512
}

// SignatureSecret sets an account's signature secret and method
// ("signature" in PATCH /admin/accounts/{api_key}). The server keeps the
// secret only encrypted and never shows it again.
type SignatureSecret struct {
	Secret string `json:"secret"`
	Method string `json:"method"`
}

// AutoReload is an account's auto-reload: when a charge takes the balance
// below Threshold, Amount is credited first. Both are EUR.
type AutoReload struct {
	Threshold string `json:"threshold"`
	Amount    string `json:"amount"`
}

// Limits are an account's limits, under the settings' key names.
type Limits struct {
	MaxOutboundRequest int `json:"max-outbound-request"`
	MaxInboundRequest  int `json:"max-inbound-request"`
	MaxCallsPerSecond  int `json:"max-calls-per-second"`
}

// LimitsPatch names the limits to set; the others keep their value (the
// server's defaults, for a new account).
type LimitsPatch struct {
	MaxOutboundRequest *int `json:"max-outbound-request,omitempty"`
	MaxInboundRequest  *int `json:"max-inbound-request,omitempty"`
	MaxCallsPerSecond  *int `json:"max-calls-per-second,omitempty"`
}

// Settings are an account's callback URLs, empty when unset.
type Settings struct {
	MoCallbackURL string `json:"mo-callback-url"`
	DrCallbackURL string `json:"dr-callback-url"`
}

// SecretID identifies one of an account's secrets; the admin API never
// shows a secret's value after creation.
type SecretID struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
}

// NewAccount is the body of POST /admin/accounts. Only what is set is sent,
// so the server's defaults apply to the rest: a generated key and secret,
// a zero balance, no auto-reload, the default limits.
type NewAccount struct {
	APIKey        string       `json:"api_key,omitempty"`
	Secret        string       `json:"secret,omitempty"`
	PrimaryAPIKey string       `json:"primary_api_key,omitempty"`
	Balance       string       `json:"balance,omitempty"`
	AutoReload    *AutoReload  `json:"auto_reload,omitempty"`
	Limits        *LimitsPatch `json:"limits,omitempty"`
}

// CreatedAccount is the 201 answer of POST /admin/accounts. APISecret is
// set only when the server generated the secret: the one time it is shown.
type CreatedAccount struct {
	APIKey    string  `json:"api_key"`
	APISecret string  `json:"api_secret,omitempty"`
	Account   Account `json:"account"`
}

// AccountUpdate is the body of PATCH /admin/accounts/{api_key}: what is not
// set is left alone. Every member is checked before anything changes.
type AccountUpdate struct {
	AutoReload    *AutoReload      // turn auto-reload on, or change it
	AutoReloadOff bool             // turn auto-reload off ("auto_reload": null); not with AutoReload
	Limits        *LimitsPatch     // the limits to change
	Signature     *SignatureSecret // set the signature secret and method
	SignatureOff  bool             // remove the signature ("signature": null); not with Signature
	WebhookMethod string           // GET, POST or POST-JSON; empty leaves it alone
}

// MarshalJSON writes only the members to change, with auto_reload null to
// turn auto-reload off.
func (u AccountUpdate) MarshalJSON() ([]byte, error) {
	body := make(map[string]any, 2)
	switch {
	case u.AutoReload != nil:
		body["auto_reload"] = u.AutoReload
	case u.AutoReloadOff:
		body["auto_reload"] = nil
	}
	if u.Limits != nil {
		body["limits"] = u.Limits
	}
	switch {
	case u.Signature != nil:
		body["signature"] = u.Signature
	case u.SignatureOff:
		body["signature"] = nil
	}
	if u.WebhookMethod != "" {
		body["webhook_method"] = u.WebhookMethod
	}
	return json.Marshal(body)
}

// MoneyRequest is a credit or a charge. IdempotencyKey, when set, is sent as
// the Idempotency-Key header: the same key and request again moves the money
// at most once and answers the first answer again.
type MoneyRequest struct {
	Amount         string `json:"amount"` // EUR, greater than zero
	Reference      string `json:"reference,omitempty"`
	IdempotencyKey string `json:"-"`
}

// Transaction is one row of an account's ledger. Amount is signed: charges
// are negative.
type Transaction struct {
	ID           int64  `json:"id"`
	Kind         string `json:"kind"` // credit, charge or reload
	Amount       string `json:"amount"`
	BalanceAfter string `json:"balance_after"`
	Reference    string `json:"reference"`
	Trx          string `json:"trx,omitempty"`         // a reload's transaction id, for E2 top-up
	RelatedTrx   string `json:"related_trx,omitempty"` // the reload an E2 top-up repeats
	CreatedAt    string `json:"created_at"`
}

// Movement is the 201 answer of a credit or charge. Balance is the balance
// right after it, so a replay answers what the first attempt answered.
type Movement struct {
	Transaction Transaction  `json:"transaction"`
	Reload      *Transaction `json:"reload"` // the auto-reload a charge triggered; null otherwise
	Balance     string       `json:"balance"`

	// Replayed is not in the body: the client sets it from the
	// Idempotent-Replayed header, true when no money moved because the
	// server answered a repeated Idempotency-Key with the first answer.
	Replayed bool `json:"-"`
}

// TransactionsPage is a page of the ledger, newest first. NextCursor, empty
// on the last page, asks for the rows after it.
type TransactionsPage struct {
	Transactions []Transaction `json:"transactions"`
	NextCursor   string        `json:"next_cursor,omitempty"`
}

// LedgerReport is the answer of GET /admin/ledger/verify; OK says whether
// there were no problems.
type LedgerReport struct {
	Accounts int             `json:"accounts"`
	Rows     int             `json:"rows"`
	Problems []LedgerProblem `json:"problems"`
	OK       bool            `json:"ok"`
}

// LedgerProblem is one inconsistency; TransactionID is 0 when the problem is
// the account's balance rather than one row.
type LedgerProblem struct {
	APIKey        string `json:"api_key"`
	TransactionID int64  `json:"transaction_id"`
	Message       string `json:"message"`
}

// ImportSummary is the answer of POST /admin/import. Skipped counts lines
// whose key exists already; Failed the other refused lines, each in Errors
// (at most a thousand; ErrorsTruncated says when there were more).
// LastLine is set only when the body was cut short: the answer is then a
// problem as well, and the lines after LastLine were not read.
type ImportSummary struct {
	Imported        int               `json:"imported"`
	Skipped         int               `json:"skipped"`
	Failed          int               `json:"failed"`
	Errors          []ImportLineError `json:"errors"`
	ErrorsTruncated bool              `json:"errors_truncated,omitempty"`
	LastLine        *int              `json:"last_line,omitempty"`
}

// ImportLineError is one refused line of an import; Message never quotes a
// secret.
type ImportLineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// AccountsPage is a page of GET /admin/accounts, ordered by key. NextCursor,
// empty on the last page, asks for the accounts after it.
type AccountsPage struct {
	Accounts   []Account `json:"accounts"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// AccountsQuery selects a page of GET /admin/accounts: accounts whose key
// starts with Prefix, subaccounts of PrimaryAPIKey, PageSize of them (0:
// the server's default, 100; at most 1000), after Cursor (the NextCursor of
// the previous page; empty for the first).
type AccountsQuery struct {
	Prefix        string
	PrimaryAPIKey string
	PageSize      int
	Cursor        string
}

// SecretReset is the answer of POST /admin/accounts/{api_key}/reset-secret:
// the account's only secret now. APISecret is set only when the server
// generated it: the one time it is shown.
type SecretReset struct {
	APIKey    string `json:"api_key"`
	SecretID  string `json:"secret_id"`
	APISecret string `json:"api_secret,omitempty"`
}

// ImportLine is one line of POST /admin/import (JSON lines), and of GET
// /admin/export, which writes no secret: APIKey is required; the first
// secret is given in clear (Secret) or as an argon2id hash (SecretHash),
// exactly one of them; the rest is optional, as in NewAccount. An export
// re-imports once each line is given a new secret (or hash).
type ImportLine struct {
	APIKey        string       `json:"api_key"`
	Secret        string       `json:"secret,omitempty"`
	SecretHash    string       `json:"secret_hash,omitempty"`
	PrimaryAPIKey string       `json:"primary_api_key,omitempty"`
	Balance       string       `json:"balance,omitempty"`
	AutoReload    *AutoReload  `json:"auto_reload,omitempty"`
	Limits        *LimitsPatch `json:"limits,omitempty"`
}
