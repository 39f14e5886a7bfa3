package vonage

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"
)

// Version is the SDK's version, sent in the default User-Agent.
const Version = "0.1.0"

const (
	defaultRESTBaseURL = "https://rest.nexmo.com"
	defaultAPIBaseURL  = "https://api.nexmo.com"
	defaultTimeout     = 30 * time.Second
	defaultMaxRetries  = 2
	defaultBackoffBase = 200 * time.Millisecond
	defaultBackoffMax  = 5 * time.Second

	// maxRetryAfter bounds the wait a Retry-After header can ask for. A longer
	// wait is not attempted: the 429 is returned with RetryAfter set instead.
	maxRetryAfter = 60 * time.Second
	// maxBodyBytes caps how much of any response body is read.
	maxBodyBytes = 1 << 20
)

// AccountClient calls the Vonage Account API: balance, top-up, settings and API
// secrets (https://developer.vonage.com/en/api/account). It is safe for
// concurrent use.
type AccountClient struct {
	creds       *KeySecretAuth // read once at construction; Format keeps it out of prints
	forKey      string         // the key the secret calls act on, when scoped
	scoped      bool           // set by ForKey: forKey, not the signing key, owns the secrets
	restBaseURL string         // balance, top-up, settings
	apiBaseURL  string         // secrets
	httpClient  *http.Client
	// rootCAs are the roots of WithRootCAs, WithCAFile or VONAGE_CA_FILE
	// (nil: the system's); rootCAsErr is why a CA file could not be used,
	// returned by every call. ownHTTPClient: WithHTTPClient was given.
	rootCAs       *x509.CertPool
	rootCAsErr    error
	ownHTTPClient bool
	userAgent     string
	maxRetries    int
	backoffBase   time.Duration
	backoffMax    time.Duration
}

// ClientOption configures an AccountClient.
type ClientOption func(*AccountClient)

// NewAccountClient returns a client that signs its requests with auth. When auth
// is nil or its key or secret is empty, VONAGE_API_KEY and VONAGE_API_SECRET fill
// the gap; VONAGE_BASE_URL, when set, replaces both default base URLs, and
// VONAGE_CA_FILE, when set, names a PEM file of the roots trusted for HTTPS
// (see WithCAFile). The environment is read once, here, and options win
// over it.
func NewAccountClient(auth Auth, opts ...ClientOption) *AccountClient {
	var key, secret string
	if auth != nil {
		creds := auth.GetCreds()
		if len(creds) > 0 {
			key = creds[0]
		}
		if len(creds) > 1 {
			secret = creds[1]
		}
	}
	if key == "" {
		key = strings.TrimSpace(os.Getenv(envAPIKey))
	}
	if secret == "" {
		secret = os.Getenv(envAPISecret)
	}
	c := &AccountClient{
		creds:       CreateAuthFromKeySecret(key, secret),
		restBaseURL: defaultRESTBaseURL,
		apiBaseURL:  defaultAPIBaseURL,
		httpClient:  &http.Client{Timeout: defaultTimeout},
		userAgent:   defaultUserAgent(),
		maxRetries:  defaultMaxRetries,
		backoffBase: defaultBackoffBase,
		backoffMax:  defaultBackoffMax,
	}
	if base := strings.TrimSpace(os.Getenv(envBaseURL)); base != "" {
		c.restBaseURL, c.apiBaseURL = base, base
	}
	if f := strings.TrimSpace(os.Getenv(envCAFile)); f != "" {
		WithCAFile(f)(c)
	}
	for _, opt := range opts {
		if opt != nil {
			opt(c)
		}
	}
	c.applyRootCAs()
	return c
}

func defaultUserAgent() string {
	return "vonage-go-sdk/" + Version + " (" + runtime.Version() + ")"
}

// WithBaseURL points both the REST and the API base URL at u, for a server that
// serves every endpoint on one host. A path prefix (http://host/prefix) is kept;
// a trailing slash is ignored. An empty u changes nothing.
func WithBaseURL(u string) ClientOption {
	return func(c *AccountClient) {
		setUnlessZero(&c.restBaseURL, u)
		setUnlessZero(&c.apiBaseURL, u)
	}
}

// WithRESTBaseURL sets the base URL of balance, top-up and settings
// (default https://rest.nexmo.com).
func WithRESTBaseURL(u string) ClientOption {
	return func(c *AccountClient) { setUnlessZero(&c.restBaseURL, u) }
}

// WithAPIBaseURL sets the base URL of the secrets endpoints
// (default https://api.nexmo.com).
func WithAPIBaseURL(u string) ClientOption {
	return func(c *AccountClient) { setUnlessZero(&c.apiBaseURL, u) }
}

// WithHTTPClient makes the client send requests with hc instead of its own
// http.Client (which has a 30s timeout). A nil hc changes nothing.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *AccountClient) {
		if hc != nil {
			c.httpClient, c.ownHTTPClient = hc, true
		}
	}
}

// WithUserAgent replaces the default User-Agent,
// "vonage-go-sdk/<Version> (<Go version>)". An empty ua changes nothing.
func WithUserAgent(ua string) ClientOption {
	return func(c *AccountClient) { setUnlessZero(&c.userAgent, ua) }
}

// setUnlessZero is the rule of the options that take a value: an empty one
// changes nothing.
func setUnlessZero[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// WithRetries sets how many times a failed GET is retried after the first
// attempt (default 2; 0 disables retries). Only GETs are retried: a POST or
// DELETE may have taken effect even when its answer was lost.
func WithRetries(maxRetries int) ClientOption {
	return func(c *AccountClient) {
		c.maxRetries = max(maxRetries, 0)
	}
}

// WithRetryBackoff sets the first retry delay and the cap on later ones (default
// 200ms and 5s). Delays double per attempt, with jitter.
func WithRetryBackoff(base, maxDelay time.Duration) ClientOption {
	return func(c *AccountClient) {
		c.backoffBase = max(base, 0)
		c.backoffMax = max(maxDelay, c.backoffBase)
	}
}

// APIKey returns the API key the client's secret calls act on: the key it
// signs with, or on a client from ForKey, the key given there. There is no way
// to read the secret back.
func (c *AccountClient) APIKey() string {
	if c != nil && c.scoped {
		return c.forKey
	}
	return c.authKey()
}

// ForKey returns a copy of the client whose secret calls (ListSecrets,
// GetSecret, CreateSecret, DeleteSecret, RotateSecret and their context forms)
// act on the secrets of apiKey, a subaccount of the signed-in account, while
// still signing with the client's own key and secret. A key that is neither
// the signing key nor one of its subaccounts' is ErrNotFound; an empty one is
// refused before any request. Balance, top-up and settings calls are
// unaffected: the API has them only for the signing account. The copy shares
// the HTTP client and every other setting; on a scoped client, ForKey
// replaces the scope.
func (c *AccountClient) ForKey(apiKey string) *AccountClient {
	var cp AccountClient
	if c != nil {
		cp = *c
	}
	cp.forKey, cp.scoped = apiKey, true
	return &cp
}

// WithCredentials returns a copy of the client that signs with apiKey and
// apiSecret, acts on apiKey's own secrets (a scope from ForKey is dropped:
// call ForKey on the copy to keep one) and keeps every other setting (base
// URLs, HTTP client, retries). The copy shares the HTTP client, so connections
// are reused. RotateSecret uses it to prove a new secret works before revoking
// the old one.
func (c *AccountClient) WithCredentials(apiKey, apiSecret string) *AccountClient {
	var cp AccountClient
	if c != nil {
		cp = *c
	}
	cp.creds = CreateAuthFromKeySecret(apiKey, apiSecret)
	cp.forKey, cp.scoped = "", false
	return &cp
}

// String shows the client's keys and base URLs, never its secret.
func (c AccountClient) String() string {
	keys := "apiKey: " + c.creds.GetCreds()[0]
	if c.scoped {
		keys = "apiKey: " + c.forKey + ", signedBy: " + c.creds.GetCreds()[0]
	}
	return "vonage.AccountClient{" + keys + ", restBaseURL: " + c.restBaseURL + ", apiBaseURL: " + c.apiBaseURL + "}"
}

// Format prints String for every verb: without it, fmt's reflection would
// print the credentials' fields for %s, %q, %x and %#v.
func (c AccountClient) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// own reports whether the secret calls act on the signing account itself,
// not on a key given to ForKey (even one equal to the signing key).
func (c *AccountClient) own() bool {
	return c == nil || !c.scoped
}

// authKey and secret are the credentials the client signs with.
func (c *AccountClient) authKey() string {
	if c == nil || c.creds == nil {
		return ""
	}
	return c.creds.apiKey
}

func (c *AccountClient) secret() string {
	if c == nil || c.creds == nil {
		return ""
	}
	return c.creds.apiSecret
}

// restBase and apiBase fall back to the defaults for a zero or nil client.
func (c *AccountClient) restBase() string {
	if c == nil || c.restBaseURL == "" {
		return defaultRESTBaseURL
	}
	return c.restBaseURL
}

func (c *AccountClient) apiBase() string {
	if c == nil || c.apiBaseURL == "" {
		return defaultAPIBaseURL
	}
	return c.apiBaseURL
}

// apiRequest is one call: where it goes, what it carries, how it is signed.
type apiRequest struct {
	method    string
	baseURL   string
	path      string     // already escaped, starting with "/"
	query     url.Values // E1 credentials
	form      url.Values // sent as an application/x-www-form-urlencoded body
	jsonBody  any        // sent as an application/json body
	basicAuth bool       // sign with Authorization: Basic
	secrets   []string   // values besides the API secret to keep out of errors

	url string // the redacted target, for errors; set by do
}

// apiResponse is a complete answer, whatever its status.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends r, retrying GETs as configured, and decodes a 2xx JSON body into out
// (unless out is nil or the status is 204). Every failure is an *APIError.
func (c *AccountClient) do(ctx context.Context, r *apiRequest, out any) (apiResponse, *APIError) {
	if c == nil {
		return apiResponse{}, localError(r, ErrInvalidRequest, errors.New("nil *AccountClient"))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if c.rootCAsErr != nil {
		return apiResponse{}, localError(r, ErrInvalidRequest, c.rootCAsErr)
	}
	target, err := buildURL(r)
	if err != nil {
		return apiResponse{}, localError(r, ErrInvalidRequest, err)
	}
	r.url = c.scrubber(r).text(redactURL(target))
	if e := c.checkCreds(r); e != nil {
		return apiResponse{}, e
	}
	body, contentType, err := r.encodeBody()
	if err != nil {
		return apiResponse{}, localError(r, ErrInvalidRequest, c.scrubber(r).error(err))
	}

	attempts := 1
	if r.method == http.MethodGet {
		attempts += max(c.maxRetries, 0)
	}
	var res apiResponse
	var apiErr *APIError
	for attempt := 1; ; attempt++ {
		res, apiErr = c.attempt(ctx, r, target, body, contentType)
		if apiErr == nil {
			break
		}
		if attempt >= attempts || !retryable(apiErr) {
			return res, apiErr
		}
		if err := ctx.Err(); err != nil {
			return res, abandoned(apiErr, err)
		}
		wait, ok := c.retryWait(ctx, attempt, apiErr)
		if !ok {
			return res, apiErr
		}
		if err := sleep(ctx, wait); err != nil {
			return res, abandoned(apiErr, err)
		}
	}
	if out != nil && res.status != http.StatusNoContent {
		if err := decodeJSON(res.body, out); err != nil {
			return res, c.decodeError(r, res, err)
		}
	}
	return res, nil
}

// checkCreds refuses to send a request that could only fail for want of
// credentials, and says where credentials come from.
func (c *AccountClient) checkCreds(r *apiRequest) *APIError {
	if c.authKey() != "" && c.secret() != "" {
		return nil
	}
	e := localError(r, ErrAuthentication, errors.New("no API key and secret: pass them to CreateAuthFromKeySecret or set "+envAPIKey+" and "+envAPISecret))
	e.summary = "Missing credentials"
	return e
}

// buildURL joins the base URL (which may carry a path prefix) and the path.
func buildURL(r *apiRequest) (string, error) {
	base := strings.TrimRight(r.baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q is not an http or https URL without query or fragment", redactURL(base))
	}
	target := base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	return target, nil
}

func (r *apiRequest) encodeBody() ([]byte, string, error) {
	switch {
	case r.form != nil:
		return []byte(r.form.Encode()), "application/x-www-form-urlencoded", nil
	case r.jsonBody != nil:
		b, err := json.Marshal(r.jsonBody)
		return b, "application/json", err
	}
	return nil, "", nil
}

// attempt sends the request once and reads the whole (capped) answer.
func (c *AccountClient) attempt(ctx context.Context, r *apiRequest, target string, body []byte, contentType string) (apiResponse, *APIError) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body) // a fresh reader per attempt
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, reader)
	if err != nil {
		return apiResponse{}, localError(r, ErrInvalidRequest, c.scrubber(r).error(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.basicAuth {
		req.SetBasicAuth(c.authKey(), c.secret())
	}
	hc := c.httpClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return apiResponse{}, c.failure(r, apiResponse{}, ErrTransport, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	res := apiResponse{status: resp.StatusCode, header: resp.Header, body: data}
	if err != nil {
		return res, c.failure(r, res, ErrTransport, err)
	}
	if len(data) > maxBodyBytes {
		return res, c.failure(r, res, ErrDecode, fmt.Errorf("response body is larger than %d bytes", maxBodyBytes))
	}
	if res.status >= 200 && res.status <= 299 {
		return res, nil
	}
	return res, c.responseError(r, res)
}

// decodeJSON decodes a body that must be one JSON object. Anything else (an HTML
// page, plain text, null) is an error rather than a silently empty result.
func decodeJSON(body []byte, out any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("response body is empty")
	}
	if trimmed[0] != '{' {
		return errors.New("response body is not a JSON object")
	}
	return json.Unmarshal(trimmed, out)
}
