package vonage

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var (
	okBalance = reply{status: 200, body: `{"value": 1, "autoReload": false}`}
	okSecret  = reply{status: 200, body: `{"_links":{"self":{"href":"/accounts/abcd1234/secrets/id1"}},"id":"id1","created_at":"2017-03-02T16:34:49Z"}`}
	okList    = reply{status: 200, body: `{"_links":{"self":{"href":"/accounts/abcd1234/secrets"}},"_embedded":{"secrets":[]}}`}
	status503 = reply{status: 503, body: `{"type":"about:blank","title":"Service Unavailable"}`}
)

// anyCall runs one API call and keeps its ErrorResponse and error.
type anyCall func(*AccountClient) (ErrorResponse, error)

// anyCallOf reduces a method of AccountClient to an anyCall, dropping its value.
func anyCallOf[T any](method func(*AccountClient) (T, ErrorResponse, error)) anyCall {
	return func(c *AccountClient) (ErrorResponse, error) {
		_, r, err := method(c)
		return r, err
	}
}

// anyCallWith is anyCallOf for a method that takes one argument, given arg.
func anyCallWith[A, T any](method func(*AccountClient, A) (T, ErrorResponse, error), arg A) anyCall {
	return anyCallOf(func(c *AccountClient) (T, ErrorResponse, error) { return method(c, arg) })
}

// The seven calls, each reduced to an anyCall.
var (
	callBalance = anyCallOf((*AccountClient).GetBalance)
	callTopUp   = anyCallWith((*AccountClient).TopUp, "00X123")
	callConfig  = anyCallOf((*AccountClient).GetConfig)
	callList    = anyCallOf((*AccountClient).ListSecrets)
	callGet     = anyCallWith((*AccountClient).GetSecret, "id1")
	callCreate  = anyCallWith((*AccountClient).CreateSecret, "N3wSecret!")
	callDelete  = anyCallWith((*AccountClient).DeleteSecret, "id1")
)

func TestRetries(t *testing.T) {
	t.Parallel()
	html502 := reply{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: "<html><body>Bad Gateway</body></html>"}
	tests := []struct {
		name     string
		call     anyCall
		retries  int
		replies  []reply
		attempts int
		wantErr  error // nil: success
	}{
		{"GET 503 then success", callBalance, 2, []reply{status503, okBalance}, 2, nil},
		{"GET 503 twice then success", callBalance, 2, []reply{status503, status503, okBalance}, 3, nil},
		{"GET bound respected", callBalance, 2, []reply{status503}, 3, ErrServer},
		{"GET one retry", callBalance, 1, []reply{{status: 500, body: `{}`}}, 2, ErrServer},
		{"GET retries disabled", callBalance, 0, []reply{status503}, 1, ErrServer},
		{"GET HTML 502 then success", callBalance, 2, []reply{html502, okBalance}, 2, nil},
		{"GET 429 then success", callBalance, 2, []reply{{status: 429, body: `{"error-code":"429","error-code-label":"throttled"}`}, okBalance}, 2, nil},
		{"GET 404 not retried", callGet, 2, []reply{{status: 404, body: `{"title":"Invalid ID"}`}}, 1, ErrNotFound},
		{"GET 401 not retried", callBalance, 2, []reply{{status: 401, body: `{"error-code":"401","error-code-label":"authentication failed"}`}}, 1, ErrAuthentication},
		{"GET 200 garbage not retried", callBalance, 2, []reply{{status: 200, body: "OK"}}, 1, ErrDecode},
		{"list 503 then success", callList, 2, []reply{status503, okList}, 2, nil},
		{"get secret 503 then success", callGet, 2, []reply{status503, okSecret}, 2, nil},
		{"top-up POST not retried", callTopUp, 2, []reply{status503}, 1, ErrServer},
		{"settings POST not retried", callConfig, 2, []reply{status503}, 1, ErrServer},
		{"create POST not retried", callCreate, 2, []reply{status503}, 1, ErrServer},
		{"create POST 429 not retried", callCreate, 2, []reply{{status: 429, body: `{}`}}, 1, ErrRateLimited},
		{"DELETE not retried", callDelete, 2, []reply{status503}, 1, ErrServer},
		{"Retry-After beyond the cap not waited for", callBalance, 2, []reply{{status: 429, header: map[string]string{"Retry-After": "100"}, body: `{}`}}, 1, ErrRateLimited},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.replies...)
			_, err := tc.call(f.client(WithRetries(tc.retries)))
			if n := len(f.requests()); n != tc.attempts {
				t.Errorf("server saw %d attempts, want %d", n, tc.attempts)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("err = %v, want success", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 429, header: map[string]string{"Retry-After": "1"}, body: `{"type":"https://developer.nexmo.com/api-errors#throttled","title":"Rate Limit Hit"}`}, okList)
	start := time.Now()
	_, _, err := f.client().ListSecrets()
	if err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("retried after %v, want about 1s (Retry-After: 1)", elapsed)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
}

func TestRetryStopsAtDeadline(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 503, header: map[string]string{"Retry-After": "5"}, body: `{}`}, okBalance)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := f.client().GetBalanceContext(ctx)
	if !errors.Is(err, ErrServer) {
		t.Errorf("err = %v, want ErrServer", err)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter != 5*time.Second {
		t.Errorf("RetryAfter = %v, want 5s", apiErr.RetryAfter)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %v: a wait past the deadline should not start", elapsed)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var attempts atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		attempts.Add(1)
		time.AfterFunc(50*time.Millisecond, cancel) // the caller gives up while the client waits to retry
		return &http.Response{StatusCode: 503, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	})}
	c := NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret), WithHTTPClient(hc), WithRetryBackoff(10*time.Second, 10*time.Second))
	start := time.Now()
	_, resp, err := c.GetBalanceContext(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrServer) {
		t.Errorf("err = %v, want context.Canceled and ErrServer", err)
	}
	if resp.StatusCode != 503 {
		t.Errorf("resp = %+v", resp)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %v: cancel should end the backoff", elapsed)
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	f := newFake(t, okBalance)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, resp, err := f.client().GetBalanceContext(ctx)
	if !errors.Is(err, ErrTransport) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want ErrTransport and context.Canceled", err)
	}
	if resp.Title != "Request failed" {
		t.Errorf("resp = %+v", resp)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

func TestTransportErrorRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     anyCall
		failures int32
		attempts int32
		wantErr  error
	}{
		{"GET recovers", callBalance, 2, 3, nil},
		{"GET gives up", callList, 5, 3, ErrTransport},
		{"POST not retried", callTopUp, 1, 1, ErrTransport},
		{"DELETE not retried", callDelete, 1, 1, ErrTransport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, okBalance)
			var attempts atomic.Int32
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if attempts.Add(1) <= tc.failures {
					return nil, errors.New("connection reset by peer")
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
			_, err := tc.call(f.client(WithHTTPClient(hc)))
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if n := attempts.Load(); n != tc.attempts {
				t.Errorf("attempts = %d, want %d", n, tc.attempts)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"1", time.Second},
		{" 30 ", 30 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(45 * time.Second).Format(http.TimeFormat), 45 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999999", 24 * time.Hour},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := NewAccountClient(nil, WithRetryBackoff(100*time.Millisecond, time.Second))
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 200 * time.Millisecond, 400 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},
		{60, 500 * time.Millisecond, time.Second},
	}
	for _, tc := range tests {
		for range 200 {
			if d := c.backoff(tc.attempt); d < tc.min || d > tc.max {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
	if d := NewAccountClient(nil, WithRetryBackoff(0, 0)).backoff(3); d != 0 {
		t.Errorf("zero backoff = %v", d)
	}
	if c := NewAccountClient(nil, WithRetryBackoff(time.Second, time.Millisecond), WithRetries(-1)); c.backoffMax != time.Second || c.maxRetries != 0 {
		t.Errorf("backoff max = %v, retries = %d", c.backoffMax, c.maxRetries)
	}
}

// Found by FuzzDecodeError: an HTTP-date centuries away overflowed to
// about 292 years instead of being capped like a number of seconds.
func TestParseRetryAfterCaps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"Wed, 01 Oct 7000 00:00:00 GMT", 24 * time.Hour},
		{"999999999999", 24 * time.Hour},
		{"Fri, 27 Nov 2026 00:00:30 GMT", 30 * time.Second},
		{"Thu, 26 Nov 2026 00:00:00 GMT", 0},
		{"-5", 0},
		{"soon", 0},
	} {
		if got := parseRetryAfter(c.in, now); got != c.want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", c.in, got, c.want)
		}
	}
}
