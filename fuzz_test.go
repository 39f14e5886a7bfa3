package vonage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the client's decoders of server answers. Seeds are in
// testdata/fuzz/<FuzzName>/ as well as below.

// FuzzDecodeBalance: a balance body that decodes passes through
// MarshalJSON and back unchanged, so a program relaying it never alters
// an amount.
func FuzzDecodeBalance(f *testing.F) {
	for _, s := range []string{`{"value":10.17127500,"autoReload":true}`, `{"value":1e2}`, `{"value":"3"}`, `{"value":-0.0}`, `{}`, `null`, `[]`,
		`{"value":123456789012345678901234567890.123456789}`, `{"value":1,"value":2}`, ` {"autoReload":false} `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var b AccountBalanceResponse
		if err := decodeJSON([]byte(body), &b); err != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode %+v: %v", body, b, err)
		}
		var back AccountBalanceResponse
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("encoded %q does not decode: %v", out, err)
		}
		if back.Value != b.Value || back.AutoReload != b.AutoReload {
			t.Fatalf("%q -> %+v -> %s -> %+v", body, b, out, back)
		}
		if b.ValueDecimal != "" && back.ValueDecimal != b.ValueDecimal && json.Valid([]byte(b.ValueDecimal)) {
			t.Fatalf("value %q relayed as %q", b.ValueDecimal, back.ValueDecimal)
		}
	})
}

// FuzzDecodeError: whatever a server answers (status, body, request id,
// Retry-After, content type), the error never shows the API secret, in
// any of its texts or prints, even when the server echoes it; and a 429
// always matches ErrRateLimited with a sane RetryAfter.
func FuzzDecodeError(f *testing.F) {
	f.Add(401, `{"error-code":"401","error-code-label":"authentication failed"}`, "", "", "application/json", "Secret1")
	f.Add(429, `{"type":"https://developer.nexmo.com/api-errors#throttled","title":"Rate Limit Hit","detail":"Zq9Secret1","instance":"x"}`, "id", "3", "application/json", "Secret1")
	f.Add(400, `{"invalid_parameters":[{"name":"Zq9%2FSecret","reason":"Zq9/Secret"}]}`, "Zq9/Secret", "Wed, 21 Oct 2015 07:28:00 GMT", "text/html", "/Secret")
	f.Add(502, `<html>Zq9 Secret</html>`, "", "-1", "text/html; Zq9 Secret", " Secret")
	f.Add(200, `{"error-code":429}`, "", "99999999999999999999", "", "x")
	f.Fuzz(func(t *testing.T, status int, body, requestID, retryAfter, contentType, secretTail string) {
		if status < 100 || status > 599 {
			return
		}
		// The secret starts with text no fixed message contains, so finding
		// it in an error can only mean it leaked.
		secret := "Zq9" + secretTail
		c := NewAccountClient(CreateAuthFromKeySecret("abcd1234", secret))
		r := &apiRequest{method: http.MethodGet, url: "https://rest.nexmo.com/account/get-balance?api_key=abcd1234&api_secret=REDACTED"}
		h := http.Header{}
		for k, v := range map[string]string{"X-Request-Id": requestID, "Retry-After": retryAfter, "Content-Type": contentType} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		e := c.responseError(r, apiResponse{status: status, header: h, body: []byte(body)})
		resp := e.Response()
		for _, text := range []string{e.Error(), fmt.Sprintf("%v|%+v|%#v|%s", e, e, e, e), fmt.Sprintf("%+v|%#v", resp, resp)} {
			if strings.Contains(text, secret) {
				t.Fatalf("the secret %q is in %q", secret, text)
			}
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("RetryAfter %v from %q", e.RetryAfter, retryAfter)
		}
		if status == http.StatusTooManyRequests && !errors.Is(e, ErrRateLimited) {
			t.Fatalf("a 429 does not match ErrRateLimited: %v", e)
		}
	})
}
