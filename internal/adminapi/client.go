package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls the admin API with the bearer token. It is safe for
// concurrent use.
type Client struct {
	base      string
	token     string
	hc        *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends the requests through hc instead of a client with a
// 30-second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the admin API at baseURL (the server's URL, such
// as "http://127.0.0.1:8080") that authenticates with token.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		token:     token,
		hc:        &http.Client{Timeout: 30 * time.Second},
		userAgent: "vonage-adminapi",
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// maxAnswer bounds the body read of an answer; a page of a thousand ledger
// rows is a few hundred KiB.
const maxAnswer = 4 << 20

// Header names of idempotent money movements.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotent-Replayed"
)

func accountPath(apiKey string) string { return "/admin/accounts/" + url.PathEscape(apiKey) }

// CreateAccount creates an account (POST /admin/accounts).
func (c *Client) CreateAccount(ctx context.Context, na NewAccount) (CreatedAccount, error) {
	var out CreatedAccount
	_, err := c.call(ctx, call{method: http.MethodPost, path: "/admin/accounts", body: na, want: http.StatusCreated, out: &out, secrets: []string{na.Secret}})
	return out, err
}

// Account shows an account (GET /admin/accounts/{api_key}).
func (c *Client) Account(ctx context.Context, apiKey string) (Account, error) {
	var out Account
	_, err := c.call(ctx, call{method: http.MethodGet, path: accountPath(apiKey), want: http.StatusOK, out: &out})
	return out, err
}

// ListAccounts reads a page of accounts, ordered by key (GET
// /admin/accounts).
func (c *Client) ListAccounts(ctx context.Context, q AccountsQuery) (AccountsPage, error) {
	v := url.Values{}
	for name, val := range map[string]string{"prefix": q.Prefix, "primary_api_key": q.PrimaryAPIKey, "cursor": q.Cursor} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if q.PageSize != 0 {
		v.Set("page_size", strconv.Itoa(q.PageSize))
	}
	path := "/admin/accounts"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out AccountsPage
	_, err := c.call(ctx, call{method: http.MethodGet, path: path, want: http.StatusOK, out: &out})
	return out, err
}

// ResetSecret replaces every secret of an account by one new secret (POST
// /admin/accounts/{api_key}/reset-secret): secret, or one the server
// generates and returns once in APISecret when secret is empty.
func (c *Client) ResetSecret(ctx context.Context, apiKey, secret string) (SecretReset, error) {
	body := struct {
		Secret string `json:"secret,omitempty"`
	}{secret}
	var out SecretReset
	_, err := c.call(ctx, call{method: http.MethodPost, path: accountPath(apiKey) + "/reset-secret", body: body,
		want: http.StatusOK, out: &out, secrets: []string{secret}})
	return out, err
}

// UpdateAccount changes an account's auto-reload and limits (PATCH
// /admin/accounts/{api_key}) and returns the account as it is then.
func (c *Client) UpdateAccount(ctx context.Context, apiKey string, upd AccountUpdate) (Account, error) {
	var out Account
	k := call{method: http.MethodPatch, path: accountPath(apiKey), body: upd, want: http.StatusOK, out: &out}
	if upd.Signature != nil {
		k.secrets = []string{upd.Signature.Secret}
	}
	_, err := c.call(ctx, k)
	return out, err
}

// SetSignature sets the secret and method an account's signed requests
// are checked with, or removes them (sig nil), and returns the account as
// it is then. The server refuses it (400) when it has no data key.
func (c *Client) SetSignature(ctx context.Context, apiKey string, sig *SignatureSecret) (Account, error) {
	return c.UpdateAccount(ctx, apiKey, AccountUpdate{Signature: sig, SignatureOff: sig == nil})
}

// Credit adds money to an account (POST /admin/accounts/{api_key}/credits).
func (c *Client) Credit(ctx context.Context, apiKey string, req MoneyRequest) (Movement, error) {
	return c.move(ctx, apiKey, "credits", req)
}

// Charge takes money from an account (POST
// /admin/accounts/{api_key}/charges); short funds are an *Error with
// status 402.
func (c *Client) Charge(ctx context.Context, apiKey string, req MoneyRequest) (Movement, error) {
	return c.move(ctx, apiKey, "charges", req)
}

// move is a credit or charge. Replayed is set on the Movement, and on an
// *Error too: a refusal is replayed as well.
func (c *Client) move(ctx context.Context, apiKey, kind string, req MoneyRequest) (Movement, error) {
	var out Movement
	k := call{method: http.MethodPost, path: accountPath(apiKey) + "/" + kind, body: req, want: http.StatusCreated, out: &out}
	if req.IdempotencyKey != "" {
		k.header = http.Header{HeaderIdempotencyKey: {req.IdempotencyKey}}
	}
	hdr, err := c.call(ctx, k)
	out.Replayed = hdr.Get(HeaderReplayed) == "true"
	if e, ok := err.(*Error); ok {
		e.Replayed = out.Replayed
	}
	return out, err
}

// Transactions reads a page of an account's ledger, newest first (GET
// /admin/accounts/{api_key}/transactions). A limit of 0 asks for the
// server's default page size; cursor is the NextCursor of the previous
// page, or empty for the first.
func (c *Client) Transactions(ctx context.Context, apiKey string, limit int, cursor string) (TransactionsPage, error) {
	var out TransactionsPage
	err := c.page(ctx, accountPath(apiKey)+"/transactions", limit, cursor, &out)
	return out, err
}

// page reads one page of a paginated listing at path: limit 0 asks for
// the server's default size, cursor "" for the first page.
func (c *Client) page(ctx context.Context, path string, limit int, cursor string, out any) error {
	q := url.Values{}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	_, err := c.call(ctx, call{method: http.MethodGet, path: path, want: http.StatusOK, out: out})
	return err
}

// Import provisions accounts in bulk from JSON lines (POST /admin/import).
// When the server read only part of the body (it was too large), the error
// is an *Error and the summary says what was done, up to its LastLine. A
// long import is bounded by ctx only, not by the client's timeout.
func (c *Client) Import(ctx context.Context, lines io.Reader) (ImportSummary, error) {
	var out ImportSummary
	_, err := c.call(ctx, call{method: http.MethodPost, path: "/admin/import", raw: lines, contentType: "application/x-ndjson",
		want: http.StatusOK, out: &out, outOnError: true})
	return out, err
}

// Backup writes a consistent copy of the server's live SQLite database to
// w (GET /admin/backup). On PostgreSQL the server answers 501 (use
// pg_dump), an *Error, and nothing is written to w. The copy can be large:
// only ctx bounds the call, not the client's timeout. A copy cut short is
// an error (matching ErrTransport): what reached w is then incomplete.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	_, err := c.call(ctx, call{method: http.MethodGet, path: "/admin/backup", want: http.StatusOK, sink: w})
	return err
}

// Export writes every account to w as JSON lines in the import's format,
// without secrets (GET /admin/export; see ImportLine). Only ctx bounds the
// call; an export cut short is an error matching ErrTransport.
func (c *Client) Export(ctx context.Context, w io.Writer) error {
	_, err := c.call(ctx, call{method: http.MethodGet, path: "/admin/export", want: http.StatusOK, sink: w})
	return err
}

// VerifyLedger checks every account's balance against its ledger (GET
// /admin/ledger/verify). Problems found are in the report, not an error.
func (c *Client) VerifyLedger(ctx context.Context) (LedgerReport, error) {
	var out LedgerReport
	_, err := c.call(ctx, call{method: http.MethodGet, path: "/admin/ledger/verify", want: http.StatusOK, out: &out})
	return out, err
}

// call is one request of the admin API.
type call struct {
	method, path string
	header       http.Header
	body         any       // sent as JSON unless nil
	raw          io.Reader // sent as is, with contentType, when body is nil
	contentType  string
	want         int      // the success status
	out          any      // the success body is decoded into it
	outOnError   bool     // a failure's body is decoded into out as well
	secrets      []string // kept out of every error text, beside the token
	// sink, when set, receives the success body as it arrives, whatever
	// its length, instead of out; the call is then bounded by its context
	// only, not by the client's timeout.
	sink io.Writer
}

// call sends one request and decodes an answer with status want into
// k.out. It returns the answer's header, also with an *Error.
func (c *Client) call(ctx context.Context, k call) (http.Header, error) {
	secrets := append([]string{c.token}, k.secrets...)
	body, contentType := k.raw, k.contentType
	if k.body != nil {
		data, err := json.Marshal(k.body)
		if err != nil {
			return nil, err
		}
		body, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.base+k.path, body)
	if err != nil {
		return nil, &transportError{msg: scrub(err.Error(), secrets), err: err}
	}
	for name, values := range k.header {
		req.Header[name] = values
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	hc := c.hc
	if k.sink != nil || k.raw != nil {
		long := *hc
		long.Timeout = 0
		hc = &long
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &transportError{msg: scrub(err.Error(), secrets), err: err}
	}
	defer resp.Body.Close()
	if k.sink != nil && resp.StatusCode == k.want {
		if _, err := io.Copy(k.sink, resp.Body); err != nil {
			return resp.Header, &transportError{msg: scrub(err.Error(), secrets), err: err}
		}
		return resp.Header, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.Header, &transportError{msg: scrub(err.Error(), secrets), err: err}
	}
	if resp.StatusCode == k.want {
		if err := json.Unmarshal(data, k.out); err != nil {
			return resp.Header, ErrDecode
		}
		return resp.Header, nil
	}
	if k.outOnError {
		_ = json.Unmarshal(data, k.out) // best effort: what was done before the failure
	}
	return resp.Header, newError(resp, data, secrets)
}
