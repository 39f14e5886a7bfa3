package vonagetest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

func TestStatusBodies(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	c := srv.NewClient(vonage.WithRetries(0))
	ctx := t.Context()
	tests := []struct {
		name       string
		method     string
		prefix     string
		failure    vonagetest.Failure
		call       func() (vonage.ErrorResponse, error)
		match      error
		typeSuffix string // "" for a legacy body
		code       string // legacy error-code
		retryAfter time.Duration
	}{
		{"legacy 429", "GET", "/account/get-balance", vonagetest.Status(429, 1500*time.Millisecond),
			func() (vonage.ErrorResponse, error) { _, r, err := c.GetBalanceContext(ctx); return r, err },
			vonage.ErrRateLimited, "", "429", 2 * time.Second},
		{"legacy 401", "POST", "/account/settings", vonagetest.Status(401, 0),
			func() (vonage.ErrorResponse, error) { _, r, err := c.GetConfigContext(ctx); return r, err },
			vonage.ErrAuthentication, "", "401", 0},
		{"problem 429", "GET", "/accounts/", vonagetest.Status(429, time.Second),
			func() (vonage.ErrorResponse, error) { _, r, err := c.ListSecretsContext(ctx); return r, err },
			vonage.ErrRateLimited, "#throttled", "", time.Second},
		{"problem 500", "GET", "/accounts/", vonagetest.Status(500, 0),
			func() (vonage.ErrorResponse, error) { _, r, err := c.GetSecretContext(ctx, "x"); return r, err },
			vonage.ErrServer, "#internal-error", "", 0},
		{"secret limit", "POST", "/accounts/", vonagetest.Status(403, 0),
			func() (vonage.ErrorResponse, error) {
				_, r, err := c.CreateSecretContext(ctx, "Abcdefg1")
				return r, err
			},
			vonage.ErrSecretLimit, "#add-excess-secret", "", 0},
		{"last secret", "DELETE", "/accounts/", vonagetest.Status(403, 0),
			func() (vonage.ErrorResponse, error) { _, r, err := c.DeleteSecretContext(ctx, "x"); return r, err },
			vonage.ErrLastSecret, "#delete-last-secret", "", 0},
		{"other status", "GET", "/accounts/", vonagetest.Status(418, 0),
			func() (vonage.ErrorResponse, error) { _, r, err := c.ListSecretsContext(ctx); return r, err },
			nil, "#i-m-a-teapot", "", 0},
	}
	for _, tc := range tests {
		srv.FailNextMatching(tc.method, tc.prefix, 1, tc.failure)
		resp, err := tc.call()
		var apiErr *vonage.APIError
		if !errors.As(err, &apiErr) || (tc.match != nil && !errors.Is(err, tc.match)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.match)
			continue
		}
		if !strings.HasSuffix(resp.Type, tc.typeSuffix) || (tc.typeSuffix != "" && resp.Type == "") || resp.ErrorCode != tc.code {
			t.Errorf("%s: response = %+v", tc.name, resp)
		}
		if apiErr.RetryAfter != tc.retryAfter || apiErr.RequestID == "" {
			t.Errorf("%s: RetryAfter = %s, request id %q", tc.name, apiErr.RetryAfter, apiErr.RequestID)
		}
	}
	if n := srv.PendingFailures(); n != 0 {
		t.Errorf("%d failures left", n)
	}
}

// TestRetriesSeeFailures: the client's GET retries get past injected failures,
// in order, and each one is used once.
func TestRetriesSeeFailures(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t, vonagetest.WithBalance("1"))
	srv.FailNext(1, vonagetest.Status(503, 0))
	srv.FailNext(1, vonagetest.DropConnection())
	if srv.PendingFailures() != 2 {
		t.Fatalf("pending = %d", srv.PendingFailures())
	}
	if b, _, err := srv.Client.GetBalanceContext(t.Context()); err != nil || b.Value != 1 {
		t.Fatalf("GetBalance = %+v, %v", b, err)
	}
	if srv.PendingFailures() != 0 {
		t.Errorf("pending = %d after the retries", srv.PendingFailures())
	}

	srv.FailNext(3, vonagetest.Status(500, 0)) // more than the two retries
	if _, _, err := srv.Client.GetBalanceContext(t.Context()); !errors.Is(err, vonage.ErrServer) {
		t.Errorf("err = %v, want ErrServer", err)
	}
}

// TestDropConnection: the failure reaches the caller even on a reused
// connection, where Go's transport would resend a GET that got no byte back.
func TestDropConnection(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	c := srv.NewClient(vonage.WithRetries(0))
	for range 3 {
		if _, _, err := c.ListSecretsContext(t.Context()); err != nil { // warms the connection pool
			t.Fatal(err)
		}
		srv.FailNext(1, vonagetest.DropConnection())
		if _, _, err := c.ListSecretsContext(t.Context()); !errors.Is(err, vonage.ErrTransport) {
			t.Fatalf("err = %v, want ErrTransport", err)
		}
	}
	srv.FailNextMatching("POST", "/accounts/", 1, vonagetest.DropConnection())
	if _, _, err := c.CreateSecretContext(t.Context(), "Dr0pped-Secret"); !errors.Is(err, vonage.ErrTransport) {
		t.Errorf("err = %v, want ErrTransport", err)
	}
	if n := len(srv.SecretIDs(t)); n != 1 {
		t.Errorf("%d secrets: the dropped request reached the server", n)
	}
}

// TestDropResponse: the request takes effect, the answer is lost.
func TestDropResponse(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	srv.FailNextMatching("POST", "/accounts/", 1, vonagetest.DropResponse())
	if _, _, err := srv.Client.CreateSecretContext(t.Context(), "L0st-Answer"); !errors.Is(err, vonage.ErrTransport) {
		t.Fatalf("err = %v, want ErrTransport", err)
	}
	if n := len(srv.SecretIDs(t)); n != 2 {
		t.Errorf("%d secrets, want 2: the secret should have been created", n)
	}
	if _, _, err := srv.Client.WithCredentials(srv.APIKey, "L0st-Answer").GetBalanceContext(t.Context()); err != nil {
		t.Errorf("the created secret does not work: %v", err)
	}
}

func TestFailNextMatching(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	c := srv.NewClient(vonage.WithRetries(0))
	srv.FailNextMatching("DELETE", "/accounts/", 2, vonagetest.Status(500, 0))
	srv.FailNextMatching("", "/account/get-balance", 1, vonagetest.Status(503, 0))
	srv.FailNext(0, vonagetest.Status(500, 0)) // nothing
	if _, _, err := c.ListSecretsContext(t.Context()); err != nil {
		t.Errorf("GET matched a DELETE rule: %v", err)
	}
	if _, _, err := c.GetConfigContext(t.Context()); err != nil {
		t.Errorf("settings matched the balance rule: %v", err)
	}
	if srv.PendingFailures() != 3 {
		t.Errorf("pending = %d, want 3", srv.PendingFailures())
	}
	if _, _, err := c.GetBalanceContext(t.Context()); !errors.Is(err, vonage.ErrServer) {
		t.Errorf("balance: err = %v", err)
	}
	for range 2 {
		if _, _, err := c.DeleteSecretContext(t.Context(), srv.SecretIDs(t)[0]); !errors.Is(err, vonage.ErrServer) {
			t.Errorf("delete: err = %v", err)
		}
	}
	if _, _, err := c.DeleteSecretContext(t.Context(), srv.SecretIDs(t)[0]); !errors.Is(err, vonage.ErrLastSecret) {
		t.Errorf("after the failures the real server answers: err = %v", err)
	}
}

func TestStatusPanicsOnSuccess(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Status(200, 0) did not panic")
		}
	}()
	_ = vonagetest.Status(http.StatusOK, 0)
}
