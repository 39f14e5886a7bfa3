package vonage

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"testing"
)

// checkLegacyForm checks an E2/E3 request: credentials and fields in a form
// body, nothing in the query, no Authorization header.
func checkLegacyForm(t *testing.T, s seen, path string, fields url.Values) {
	t.Helper()
	checkHeaders(t, s)
	if s.Method != "POST" || s.Path != path {
		t.Errorf("request = %s %s, want POST %s", s.Method, s.Path, path)
	}
	if s.RawQuery != "" {
		t.Errorf("query = %q, want nothing in the query", s.RawQuery)
	}
	if ct := s.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	if a := s.Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization = %q, want none", a)
	}
	got, err := url.ParseQuery(s.Body)
	if err != nil {
		t.Fatalf("body %q: %v", s.Body, err)
	}
	want := url.Values{"api_key": {testKey}, "api_secret": {testSecret}}
	for k, v := range fields {
		want[k] = v
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("form = %v, want %v", got, want)
	}
}

func TestGetBalance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want AccountBalanceResponse
	}{
		{`{"value": 10.17127500, "autoReload": false}`, AccountBalanceResponse{Value: 10.171275, ValueDecimal: "10.17127500"}},
		{`{"value":0,"autoReload":true}`, AccountBalanceResponse{Value: 0, AutoReload: true, ValueDecimal: "0"}},
		{`{"value": 1234567.00000001, "autoReload": true}` + "\n", AccountBalanceResponse{Value: 1234567.00000001, AutoReload: true, ValueDecimal: "1234567.00000001"}},
		{`{"value": 0.10000000, "autoReload": false, "extra": [1]}`, AccountBalanceResponse{Value: 0.1, ValueDecimal: "0.10000000"}},
	}
	for _, tc := range tests {
		t.Run(tc.want.ValueDecimal, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, reply{status: 200, body: tc.body})
			got, errResp, err := f.client().GetBalance()
			if err != nil {
				t.Fatalf("GetBalance: %v", err)
			}
			if got != tc.want || !reflect.DeepEqual(errResp, ErrorResponse{}) {
				t.Errorf("GetBalance = %+v, %+v; want %+v", got, errResp, tc.want)
			}
			s := f.only(t)
			checkHeaders(t, s)
			if s.Method != "GET" || s.Path != "/account/get-balance" || s.Body != "" {
				t.Errorf("request = %s %s %q", s.Method, s.Path, s.Body)
			}
			if s.RawQuery != "api_key=abcd1234&api_secret=S3cr3t-Do-Not-Leak" {
				t.Errorf("query = %q, want the credentials", s.RawQuery)
			}
			if a := s.Header.Get("Authorization"); a != "" {
				t.Errorf("Authorization = %q, want none", a)
			}
		})
	}
}

func TestBalanceJSON(t *testing.T) {
	t.Parallel()
	var b AccountBalanceResponse
	if err := json.Unmarshal([]byte(`{"value": 10.17127500, "autoReload": true}`), &b); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(b)
	if err != nil || string(out) != `{"value":10.17127500,"autoReload":true}` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
	b.Value = 3.5 // ValueDecimal is stale now, so Value wins
	if out, _ := json.Marshal(b); string(out) != `{"value":3.5,"autoReload":true}` {
		t.Errorf("Marshal after change = %s", out)
	}
}

func TestGetBalanceBadBodies(t *testing.T) {
	t.Parallel()
	bodies := map[string]reply{
		"plain text":     {status: 200, header: map[string]string{"Content-Type": "text/plain"}, body: "OK"},
		"html":           {status: 200, header: map[string]string{"Content-Type": "text/html"}, body: "<html><body>hello</body></html>"},
		"empty":          {status: 200},
		"null":           {status: 200, body: "null"},
		"array":          {status: 200, body: "[]"},
		"no value":       {status: 200, body: `{"autoReload": true}`},
		"null value":     {status: 200, body: `{"value": null}`},
		"string value":   {status: 200, body: `{"value": "ten"}`},
		"truncated":      {status: 200, body: `{"value": 1`},
		"trailing":       {status: 200, body: `{"value": 1} {}`},
		"huge number":    {status: 200, body: `{"value": 1e999}`},
		"wrong bool":     {status: 200, body: `{"value": 1, "autoReload": "yes"}`},
		"oversized body": {status: 200, body: `{"value": 1, "pad": "` + string(make([]byte, maxBodyBytes)) + `"}`},
	}
	for name, rep := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, rep)
			got, errResp, err := f.client().GetBalance()
			var apiErr *APIError
			if !errors.Is(err, ErrDecode) || !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an *APIError matching ErrDecode", err)
			}
			if apiErr.StatusCode != 200 || errResp.StatusCode != 200 || errResp.Title != "Invalid response" || errResp.Detail == "" {
				t.Errorf("error = %#v, response = %+v", apiErr, errResp)
			}
			if got != (AccountBalanceResponse{}) {
				t.Errorf("result = %+v, want the zero value", got)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("attempts = %d: a bad 200 must not be retried", n)
			}
		})
	}
}

func TestTopUp(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 200, body: `{"error-code":"200","error-code-label":"success"}`})
	got, errResp, err := f.client().TopUp("8ef2447e69604f642ae59363aa5f781b")
	if err != nil {
		t.Fatalf("TopUp: %v", err)
	}
	if got != (TopUpResponse{ErrorCode: "200", ErrorCodeLabel: "success"}) || errResp.Title != "" {
		t.Errorf("TopUp = %+v, %+v", got, errResp)
	}
	checkLegacyForm(t, f.only(t), "/account/top-up", url.Values{"trx": {"8ef2447e69604f642ae59363aa5f781b"}})
}

func TestTopUpOddSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want error
	}{
		{"legacy error inside a 200", `{"error-code":"401","error-code-label":"not auto-reload enabled"}`, ErrAutoReloadDisabled},
		{"numeric code inside a 200", `{"error-code":420,"error-code-label":"invalid trx"}`, nil},
		{"no code", `{}`, ErrDecode},
		{"not JSON", `success`, ErrDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, reply{status: 200, body: tc.body})
			got, errResp, err := f.client().TopUp("trx1")
			var apiErr *APIError
			if !errors.As(err, &apiErr) || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want an *APIError matching %v", err, tc.want)
			}
			if got != (TopUpResponse{}) || errResp.Title == "" || errResp.StatusCode != 200 {
				t.Errorf("TopUp = %+v, %+v", got, errResp)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	const mo, dr = "https://example.com/webhooks/inbound-sms", "https://example.com/webhooks/delivery-receipt"
	empty := ""
	tests := []struct {
		name string
		call func(*AccountClient) (AccountConfigResponse, ErrorResponse, error)
		want url.Values
	}{
		{"SetConfig both", func(c *AccountClient) (AccountConfigResponse, ErrorResponse, error) {
			return c.SetConfig(AccountConfigSettings{MoCallbackUrl: mo, DrCallbackUrl: dr})
		}, url.Values{"moCallBackUrl": {mo}, "drCallBackUrl": {dr}}},
		{"SetConfig mo only", func(c *AccountClient) (AccountConfigResponse, ErrorResponse, error) {
			return c.SetConfigContext(t.Context(), AccountConfigSettings{MoCallbackUrl: mo})
		}, url.Values{"moCallBackUrl": {mo}}},
		{"SetConfig nothing", func(c *AccountClient) (AccountConfigResponse, ErrorResponse, error) {
			return c.SetConfig(AccountConfigSettings{})
		}, nil},
		{"GetConfig", func(c *AccountClient) (AccountConfigResponse, ErrorResponse, error) {
			return c.GetConfig()
		}, nil},
		{"UpdateConfig clears mo, sets dr", func(c *AccountClient) (AccountConfigResponse, ErrorResponse, error) {
			return c.UpdateConfig(AccountConfigUpdate{MoCallbackUrl: &empty, DrCallbackUrl: new(dr)})
		}, url.Values{"moCallBackUrl": {""}, "drCallBackUrl": {dr}}},
		{"UpdateConfig nil leaves alone", func(c *AccountClient) (AccountConfigResponse, ErrorResponse, error) {
			return c.UpdateConfigContext(t.Context(), AccountConfigUpdate{DrCallbackUrl: &empty})
		}, url.Values{"drCallBackUrl": {""}}},
	}
	// The spec's example, escaped slashes included.
	body := `{
	  "mo-callback-url": "https:\/\/example.com\/webhooks\/inbound-sms",
	  "dr-callback-url": "https:\/\/example.com\/webhooks\/delivery-receipt",
	  "max-outbound-request": 30, "max-inbound-request": 31, "max-calls-per-second": 32
	}`
	wantResp := AccountConfigResponse{MoCallbackUrl: mo, DrCallbackUrl: dr, MaxOutboundRequest: 30, MaxInboundRequest: 31, MaxCallsPerSecond: 32}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, reply{status: 200, body: body})
			got, errResp, err := tc.call(f.client())
			if err != nil {
				t.Fatal(err)
			}
			if got != wantResp || errResp.Title != "" {
				t.Errorf("got %+v, %+v; want %+v", got, errResp, wantResp)
			}
			checkLegacyForm(t, f.only(t), "/account/settings", tc.want)
		})
	}
}

func TestConfigBadBodies(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "null", "<xml/>", `{"max-outbound-request": "many"}`} {
		f := newFake(t, reply{status: 200, body: body})
		got, errResp, err := f.client().GetConfig()
		if !errors.Is(err, ErrDecode) || got != (AccountConfigResponse{}) || errResp.StatusCode != 200 {
			t.Errorf("body %q: got %+v, %+v, %v; want ErrDecode", body, got, errResp, err)
		}
	}
}
