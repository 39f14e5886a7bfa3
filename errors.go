package vonage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against any error the client returns.
// One failure may match several: a 502 with an HTML body is both ErrServer and
// ErrDecode; a cancelled retry also matches context.Canceled.
var (
	// ErrAuthentication: the credentials are missing or wrong (401).
	ErrAuthentication = errors.New("vonage: authentication failed")
	// ErrNotFound: the API key or secret id is unknown, or not the caller's (404).
	ErrNotFound = errors.New("vonage: not found")
	// ErrSecretLimit: the account already has the most secrets it may have.
	ErrSecretLimit = errors.New("vonage: secret limit reached")
	// ErrLastSecret: the secret is the account's only one and cannot be revoked.
	ErrLastSecret = errors.New("vonage: cannot revoke the last secret")
	// ErrAutoReloadDisabled: a top-up on an account without auto-reload.
	ErrAutoReloadDisabled = errors.New("vonage: auto-reload not enabled")
	// ErrRateLimited: too many calls (429); see APIError.RetryAfter.
	ErrRateLimited = errors.New("vonage: rate limited")
	// ErrInvalidRequest: the server rejected the request (400), or the client
	// refused to send it (an empty secret id, an unusable base URL).
	ErrInvalidRequest = errors.New("vonage: invalid request")
	// ErrServer: the server failed (5xx).
	ErrServer = errors.New("vonage: server error")
	// ErrTransport: no complete response arrived (network failure, timeout,
	// cancelled context).
	ErrTransport = errors.New("vonage: transport error")
	// ErrDecode: a response body was not what the API documents.
	ErrDecode = errors.New("vonage: cannot decode response")
)

// ErrorResponse describes a failed call in terms a program can print: every
// failing call fills at least StatusCode (0 when no response arrived), Title and
// Detail.
type ErrorResponse struct {
	StatusCode int

	// RFC 7807 problem details, as sent by the secrets endpoints. For legacy
	// errors Title is the error-code-label and Detail is "error-code <code>";
	// when no usable response arrived Title says so and Detail gives the cause.
	Type              string
	Title             string
	Detail            string
	Instance          string
	InvalidParameters []InvalidParameter

	// Legacy error body fields, as sent by balance, top-up and settings.
	ErrorCode      string
	ErrorCodeLabel string
}

// InvalidParameter names a request field the server rejected, and why.
type InvalidParameter struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// APIError is the error every failing call returns. Use errors.As to read it and
// errors.Is with the sentinels above to classify it. No field ever holds the
// API secret: URLs are redacted and texts are scrubbed before they are stored.
type APIError struct {
	StatusCode int    // HTTP status; 0 when no response arrived
	Method     string // HTTP method of the request
	URL        string // request URL with secrets replaced by REDACTED

	// Legacy error body (error-code, error-code-label).
	Code  string
	Label string

	// RFC 7807 problem details.
	Type              string
	Title             string
	Detail            string
	Instance          string
	InvalidParameters []InvalidParameter

	RequestID  string        // X-Request-Id header, else Instance
	RetryAfter time.Duration // from a Retry-After header, 0 when absent
	Err        error         // underlying cause (transport, decoding), may be nil

	kind    error  // ErrTransport, ErrDecode, ErrInvalidRequest or ErrAuthentication for failures without a usable response
	summary string // Title for Response when the server sent none
}

// Error reads like "vonage: GET <url>: 401 authentication failed (request id x)".
func (e *APIError) Error() string {
	if e == nil {
		return "vonage: <nil>"
	}
	var b strings.Builder
	b.WriteString("vonage: ")
	if e.URL != "" {
		b.WriteString(strings.TrimSpace(e.Method+" "+e.URL) + ": ")
	}
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteByte(' ')
	}
	b.WriteString(e.message())
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

func (e *APIError) message() string {
	var parts []string
	switch {
	case e.Label != "":
		parts = append(parts, e.Label)
	case e.Title != "":
		parts = append(parts, e.Title)
	case e.kind == ErrTransport:
		parts = append(parts, "request failed")
	case e.kind == ErrDecode && e.StatusCode >= 400 && http.StatusText(e.StatusCode) != "":
		parts = append(parts, http.StatusText(e.StatusCode))
	case e.kind == ErrDecode:
		parts = append(parts, "unexpected response")
	}
	if e.Detail != "" && e.Detail != e.Title {
		parts = append(parts, e.Detail)
	}
	if len(e.InvalidParameters) > 0 {
		params := make([]string, 0, len(e.InvalidParameters))
		for _, p := range e.InvalidParameters {
			params = append(params, p.Name+": "+p.Reason)
		}
		parts = append(parts, "invalid parameters ("+strings.Join(params, "; ")+")")
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	if len(parts) == 0 {
		if text := http.StatusText(e.StatusCode); text != "" {
			return text
		}
		return "request failed"
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the sentinels the failure matches, then Err.
func (e *APIError) Unwrap() []error {
	if e == nil {
		return nil
	}
	errs := e.sentinels()
	if e.kind != nil && !slices.Contains(errs, e.kind) {
		errs = append(errs, e.kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// sentinels classifies the error from its public fields only, so an APIError
// built by hand (in a test, say) matches the same sentinels as a real one.
func (e *APIError) sentinels() []error {
	status := e.StatusCode
	if code, err := strconv.Atoi(e.Code); err == nil && code >= 400 && status < 400 {
		status = code // a legacy error reported inside a 200 response
	}
	var errs []error
	switch {
	case strings.HasSuffix(e.Type, "#add-excess-secret"):
		errs = append(errs, ErrSecretLimit)
	case strings.HasSuffix(e.Type, "#delete-last-secret"):
		errs = append(errs, ErrLastSecret)
	}
	autoReload := strings.EqualFold(strings.TrimSpace(e.Label), "not auto-reload enabled")
	if autoReload {
		errs = append(errs, ErrAutoReloadDisabled)
	}
	switch {
	case status == http.StatusUnauthorized && !autoReload:
		errs = append(errs, ErrAuthentication)
	case status == http.StatusNotFound:
		errs = append(errs, ErrNotFound)
	case status == http.StatusTooManyRequests:
		errs = append(errs, ErrRateLimited)
	case status == http.StatusBadRequest:
		errs = append(errs, ErrInvalidRequest)
	case status >= 500 && status <= 599:
		errs = append(errs, ErrServer)
	}
	return errs
}

// Response returns the failure as the ErrorResponse the call also returned.
func (e *APIError) Response() ErrorResponse {
	if e == nil {
		return ErrorResponse{}
	}
	r := ErrorResponse{
		StatusCode:        e.StatusCode,
		Type:              e.Type,
		Title:             e.Title,
		Detail:            e.Detail,
		Instance:          e.Instance,
		InvalidParameters: slices.Clone(e.InvalidParameters),
		ErrorCode:         e.Code,
		ErrorCodeLabel:    e.Label,
	}
	if r.Title == "" && e.Label != "" {
		r.Title = e.Label
		if r.Detail == "" && e.Code != "" {
			r.Detail = "error-code " + e.Code
		}
	}
	if r.Title == "" {
		r.Title = e.summary
	}
	if r.Title == "" {
		r.Title = http.StatusText(e.StatusCode)
	}
	if r.Title == "" {
		r.Title = "Request failed"
	}
	if r.Detail == "" && e.Err != nil {
		r.Detail = e.Err.Error()
	}
	if r.Detail == "" {
		r.Detail = e.Error()
	}
	return r
}

// GoString is what %#v prints. The default would walk into Err and print fields
// that Error() keeps clean, so print the cause by its (scrubbed) text only.
func (e *APIError) GoString() string {
	if e == nil {
		return "(*vonage.APIError)(nil)"
	}
	errText := "nil"
	if e.Err != nil {
		errText = strconv.Quote(e.Err.Error())
	}
	return fmt.Sprintf("&vonage.APIError{StatusCode:%d, Method:%q, URL:%q, Code:%q, Label:%q, Type:%q, Title:%q, Detail:%q, Instance:%q, InvalidParameters:%#v, RequestID:%q, RetryAfter:%s, Err:%s}",
		e.StatusCode, e.Method, e.URL, e.Code, e.Label, e.Type, e.Title, e.Detail, e.Instance,
		e.InvalidParameters, e.RequestID, e.RetryAfter, errText)
}

// localError is a call the client refused to send, or could not build.
func localError(r *apiRequest, kind, err error) *APIError {
	e := &APIError{kind: kind, Err: err, summary: "Invalid request"}
	if r != nil {
		e.Method, e.URL = r.method, r.url
	}
	return e
}

// scrubber keeps the API secret, and any secret the request carries, out of
// error texts.
func (c *AccountClient) scrubber(r *apiRequest) scrubber {
	secrets := []string{c.secret()}
	if r != nil {
		secrets = append(secrets, r.secrets...)
	}
	return newScrubber(secrets...)
}

// newError starts an error for a request and whatever answer it got.
func (c *AccountClient) newError(r *apiRequest, res apiResponse) *APIError {
	e := &APIError{StatusCode: res.status, Method: r.method, URL: r.url}
	if res.header != nil {
		e.RequestID = c.scrubber(r).text(res.header.Get("X-Request-Id"))
		e.RetryAfter = parseRetryAfter(res.header.Get("Retry-After"), time.Now())
	}
	return e
}

// failure is an error without a usable answer: kind is ErrTransport or ErrDecode.
func (c *AccountClient) failure(r *apiRequest, res apiResponse, kind, err error) *APIError {
	e := c.newError(r, res)
	e.kind = kind
	e.Err = c.scrubber(r).error(err)
	switch {
	case kind == ErrTransport:
		e.summary = "Request failed"
	case res.status >= 200 && res.status <= 299:
		e.summary = "Invalid response"
	}
	return e
}

// decodeError is a 2xx answer whose body is not the documented shape.
func (c *AccountClient) decodeError(r *apiRequest, res apiResponse, err error) *APIError {
	if ct := res.header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "json") {
		err = fmt.Errorf("%w (Content-Type %q)", err, ct)
	}
	return c.failure(r, res, ErrDecode, err)
}

// wireError holds both error shapes: legacy (error-code, error-code-label) and
// RFC 7807 problem details.
type wireError struct {
	Code              flexString         `json:"error-code"`
	Label             string             `json:"error-code-label"`
	Type              string             `json:"type"`
	Title             string             `json:"title"`
	Detail            string             `json:"detail"`
	Instance          string             `json:"instance"`
	InvalidParameters []InvalidParameter `json:"invalid_parameters"`
}

// responseError turns a non-2xx answer into an APIError. A body that is not JSON
// (a proxy's HTML page) also makes it match ErrDecode.
func (c *AccountClient) responseError(r *apiRequest, res apiResponse) *APIError {
	if len(bytes.TrimSpace(res.body)) == 0 {
		return c.newError(r, res)
	}
	var w wireError
	if err := decodeJSON(res.body, &w); err != nil {
		return c.decodeError(r, res, err)
	}
	return c.wireError(r, res, w)
}

// wireError fills an APIError from a decoded error body, scrubbing every text.
func (c *AccountClient) wireError(r *apiRequest, res apiResponse, w wireError) *APIError {
	s := c.scrubber(r)
	e := c.newError(r, res)
	e.Code, e.Label = s.text(string(w.Code)), s.text(w.Label)
	e.Type, e.Title, e.Detail, e.Instance = s.text(w.Type), s.text(w.Title), s.text(w.Detail), s.text(w.Instance)
	for _, p := range w.InvalidParameters {
		e.InvalidParameters = append(e.InvalidParameters, InvalidParameter{Name: s.text(p.Name), Reason: s.text(p.Reason)})
	}
	if e.RequestID == "" {
		e.RequestID = e.Instance
	}
	return e
}

// flexString accepts a JSON string or number: legacy codes are documented as
// strings ("401"), but a number should not turn an error into a decode failure.
type flexString string

func (f *flexString) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*f = flexString(n)
	return nil
}
