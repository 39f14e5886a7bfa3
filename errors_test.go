package vonage

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const problemBase = "https://developer.nexmo.com/api-errors"

// problem builds an RFC 7807 reply the way the contract's server sends one.
func problem(status int, typ, title, detail string, extra string) reply {
	body := fmt.Sprintf(`{"type":%q,"title":%q,"detail":%q,"instance":"req-42"%s}`, typ, title, detail, extra)
	return reply{status: status, header: map[string]string{"Content-Type": "application/problem+json", "X-Request-Id": "req-42"}, body: body}
}

func legacy(status int, code, label string) reply {
	return reply{status: status, body: fmt.Sprintf(`{"error-code":%q,"error-code-label":%q}`, code, label)}
}

// errorCase is one answer TestErrorShapes sends and what the client must
// make of it.
type errorCase struct {
	name   string
	call   anyCall
	rep    reply
	want   []error   // sentinels it must match; it must match no other
	fields APIError  // compared: Code, Label, Type, Title, Detail, Instance, RequestID, RetryAfter, InvalidParameters
	resp   [2]string // ErrorResponse Title and Detail
}

// legacyCase is a legacy error body whose code is the status: the APIError
// and the ErrorResponse follow from the code and label.
func legacyCase(name string, call anyCall, status int, label string, want ...error) errorCase {
	code := fmt.Sprint(status)
	return errorCase{name, call, legacy(status, code, label), want,
		APIError{Code: code, Label: label}, [2]string{label, "error-code " + code}}
}

// problemCase is an RFC 7807 body (typ relative to problemBase): the
// APIError and the ErrorResponse carry its members.
func problemCase(name string, call anyCall, status int, typ, title, detail string, want ...error) errorCase {
	return errorCase{name, call, problem(status, problemBase+typ, title, detail, ""), want,
		APIError{Type: problemBase + typ, Title: title, Detail: detail, Instance: "req-42", RequestID: "req-42"}, [2]string{title, detail}}
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	throttled := legacy(429, "429", "throttled")
	throttled.header = map[string]string{"Retry-After": "7"}
	rateLimit := problem(429, problemBase+"#throttled", "Rate Limit Hit", "Too many requests", "")
	rateLimit.header["Retry-After"] = "3"
	all := []error{ErrAuthentication, ErrNotFound, ErrSecretLimit, ErrLastSecret, ErrAutoReloadDisabled, ErrRateLimited, ErrInvalidRequest, ErrServer, ErrTransport, ErrDecode}

	tests := []errorCase{
		legacyCase("legacy 401", callBalance, 401, "authentication failed", ErrAuthentication),
		legacyCase("legacy 401 auto-reload", callTopUp, 401, "not auto-reload enabled", ErrAutoReloadDisabled),
		legacyCase("legacy 400 top-up", callTopUp, 400, "unknown trx", ErrInvalidRequest),
		legacyCase("legacy 400 settings", callConfig, 400, "moCallBackUrl: must be an absolute http or https URL", ErrInvalidRequest),
		{"legacy 429", callBalance, throttled, []error{ErrRateLimited},
			APIError{Code: "429", Label: "throttled", RetryAfter: 7 * time.Second}, [2]string{"throttled", "error-code 429"}},
		problemCase("problem 401", callList, 401, "#unauthorized", "Invalid credentials supplied", "You did not provide correct credentials.", ErrAuthentication),
		problemCase("problem 404 invalid-api-key", callGet, 404, "#invalid-api-key", "Invalid API Key", "API key 'abcd1234' not found", ErrNotFound),
		problemCase("problem 404 invalid-id", callDelete, 404, "#invalid-id", "Invalid ID", "ID 'id1' could not be found", ErrNotFound),
		{"problem 400 validation", callCreate, problem(400, problemBase+"/account/secret-management#validation", "Bad Request", "The request failed due to secret validation errors",
			`,"invalid_parameters":[{"name":"secret","reason":"Does not meet complexity requirements"}]`), []error{ErrInvalidRequest},
			APIError{Type: problemBase + "/account/secret-management#validation", Title: "Bad Request", Detail: "The request failed due to secret validation errors", Instance: "req-42", RequestID: "req-42",
				InvalidParameters: []InvalidParameter{{Name: "secret", Reason: "Does not meet complexity requirements"}}},
			[2]string{"Bad Request", "The request failed due to secret validation errors"}},
		problemCase("problem 403 add-excess-secret", callCreate, 403, "/account/secret-management#add-excess-secret", "Secret Addition Forbidden", "Account already has 2 secrets", ErrSecretLimit),
		problemCase("problem 403 delete-last-secret", callDelete, 403, "/account/secret-management#delete-last-secret", "Secret Deletion Forbidden", "Can not delete the last secret", ErrLastSecret),
		{"problem 429", callList, rateLimit, []error{ErrRateLimited},
			APIError{Type: problemBase + "#throttled", Title: "Rate Limit Hit", Detail: "Too many requests", Instance: "req-42", RequestID: "req-42", RetryAfter: 3 * time.Second},
			[2]string{"Rate Limit Hit", "Too many requests"}},
		problemCase("problem 500", callGet, 500, "#internal-error", "Internal Server Error", "Something went wrong", ErrServer),
		{"html 502", callBalance, reply{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: "<html><h1>502 Bad Gateway</h1></html>"}, []error{ErrServer, ErrDecode},
			APIError{}, [2]string{"Bad Gateway", `response body is not a JSON object (Content-Type "text/html")`}},
		{"empty 503", callList, reply{status: 503}, []error{ErrServer},
			APIError{}, [2]string{"Service Unavailable", "vonage: GET " + "URL" + ": 503 Service Unavailable"}},
		{"text 404", callGet, reply{status: 404, header: map[string]string{"Content-Type": "text/plain"}, body: "404 page not found\n"}, []error{ErrNotFound, ErrDecode},
			APIError{}, [2]string{"Not Found", `response body is not a JSON object (Content-Type "text/plain")`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.rep)
			c := f.client(WithRetries(0))
			errResp, err := tc.call(c)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			for _, s := range all {
				if want := contains(tc.want, s); errors.Is(err, s) != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v (err: %v)", s, !want, want, err)
				}
			}
			if apiErr.StatusCode != tc.rep.status || apiErr.Method == "" || !strings.HasPrefix(apiErr.URL, f.URL) {
				t.Errorf("StatusCode, Method, URL = %d, %q, %q", apiErr.StatusCode, apiErr.Method, apiErr.URL)
			}
			got := APIError{Code: apiErr.Code, Label: apiErr.Label, Type: apiErr.Type, Title: apiErr.Title, Detail: apiErr.Detail,
				Instance: apiErr.Instance, RequestID: apiErr.RequestID, RetryAfter: apiErr.RetryAfter, InvalidParameters: apiErr.InvalidParameters}
			if !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %#v\nwant     %#v", &got, &tc.fields)
			}
			if !reflect.DeepEqual(errResp, apiErr.Response()) {
				t.Errorf("returned ErrorResponse %+v differs from Response() %+v", errResp, apiErr.Response())
			}
			wantDetail := strings.Replace(tc.resp[1], "URL", apiErr.URL, 1)
			if errResp.StatusCode != tc.rep.status || errResp.Title != tc.resp[0] || errResp.Detail != wantDetail {
				t.Errorf("ErrorResponse = %+v, want Title %q, Detail %q", errResp, tc.resp[0], wantDetail)
			}
			if errResp.ErrorCode != apiErr.Code || errResp.ErrorCodeLabel != apiErr.Label || errResp.Type != apiErr.Type {
				t.Errorf("ErrorResponse legacy/type fields = %+v", errResp)
			}
		})
	}
}

func contains(errs []error, target error) bool {
	for _, e := range errs {
		if e == target {
			return true
		}
	}
	return false
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 401, Method: "GET", URL: "https://rest.nexmo.com/account/get-balance?api_key=abc&api_secret=REDACTED",
		Code: "401", Label: "authentication failed", RequestID: "r1"}
	if got, want := e.Error(), "vonage: GET https://rest.nexmo.com/account/get-balance?api_key=abc&api_secret=REDACTED: 401 authentication failed (request id r1)"; got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	p := &APIError{StatusCode: 400, Method: "POST", URL: "https://api.nexmo.com/accounts/abc/secrets", Title: "Bad Request", Detail: "validation failed",
		InvalidParameters: []InvalidParameter{{Name: "secret", Reason: "too short"}}}
	if got, want := p.Error(), "vonage: POST https://api.nexmo.com/accounts/abc/secrets: 400 Bad Request: validation failed: invalid parameters (secret: too short)"; got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	// Built by hand, an APIError matches the same sentinels as a real one.
	for status, want := range map[int]error{401: ErrAuthentication, 404: ErrNotFound, 429: ErrRateLimited, 400: ErrInvalidRequest, 503: ErrServer} {
		if !errors.Is(&APIError{StatusCode: status}, want) {
			t.Errorf("APIError{StatusCode: %d} does not match %v", status, want)
		}
	}
	var nilErr *APIError
	if nilErr.Error() == "" || nilErr.Unwrap() != nil || !reflect.DeepEqual(nilErr.Response(), ErrorResponse{}) || nilErr.GoString() == "" {
		t.Error("nil *APIError methods")
	}
}

func TestTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + fakePrefix
	srv.Close()
	for name, call := range map[string]anyCall{"balance": callBalance, "top-up": callTopUp, "settings": callConfig,
		"list": callList, "get": callGet, "create": callCreate, "delete": callDelete} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret), WithBaseURL(base), WithRetries(1), WithRetryBackoff(time.Millisecond, time.Millisecond))
			_, err := call(c)
			var apiErr *APIError
			var urlErr *url.Error
			if !errors.Is(err, ErrTransport) || !errors.As(err, &apiErr) || !errors.As(err, &urlErr) {
				t.Fatalf("err = %v, want an *APIError matching ErrTransport and wrapping a *url.Error", err)
			}
			if errors.Is(err, ErrDecode) || errors.Is(err, ErrServer) {
				t.Errorf("err = %v matches more than ErrTransport", err)
			}
			if resp := apiErr.Response(); apiErr.StatusCode != 0 || resp.Title != "Request failed" || !strings.Contains(resp.Detail, "connect") {
				t.Errorf("StatusCode = %d, response = %+v", apiErr.StatusCode, resp)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://rest.nexmo.com/account/get-balance?api_key=abc&api_secret=xyz": "https://rest.nexmo.com/account/get-balance?api_key=abc&api_secret=REDACTED",
		"http://h/p?api_secret=a%20b&x=1&API_SECRET=q&secret=s&secret":          "http://h/p?api_secret=REDACTED&x=1&API_SECRET=REDACTED&secret=REDACTED&secret=REDACTED",
		"http://h/p?api%5Fsecret=zz":                                            "http://h/p?api%5Fsecret=REDACTED",
		"http://user:pw@h/p":                                                    "http://user:REDACTED@h/p",
		"http://h/p":                                                            "http://h/p",
		"http://h/%zz?api_secret=xyz":                                           "http://h/%zz?api_secret=REDACTED",
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := redactQuery("api_key=k&api_secret=s&trx=1"); got != "api_key=k&api_secret=REDACTED&trx=1" {
		t.Errorf("redactQuery = %q", got)
	}
}
