package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// moneyDecimals is the one money format of the CLI: 8 decimal places, as
// the balance endpoint sends them, in tables ("10.17127500 EUR") and in
// --json ("10.17127500") alike.
const moneyDecimals = 8

// money renders a decimal string (the admin API's "10.5", "-3.50") with
// exactly 8 decimal places. Anything that is not a plain decimal, or has
// more places than that, is returned unchanged rather than rounded.
func money(s string) string {
	sign, digits := "", s
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, digits = "-", rest
	}
	whole, frac, _ := strings.Cut(digits, ".")
	if whole == "" || !isDigits(whole) || !isDigits(frac) || len(frac) > moneyDecimals {
		return s
	}
	return sign + whole + "." + frac + strings.Repeat("0", moneyDecimals-len(frac))
}

// eur is money with its currency, for tables.
func eur(s string) string { return money(s) + " EUR" }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// debugTransport prints each request and its answer for --debug: the
// method and URL (secret query parameters and any password redacted), then
// the status, the time to the response headers and the server's request id.
// Headers and bodies are never printed: they carry the credentials.
type debugTransport struct {
	next http.RoundTripper
	w    io.Writer
}

func (d debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := redactURL(req.URL)
	fmt.Fprintf(d.w, "> %s %s\n", req.Method, u)
	start := time.Now()
	resp, err := d.next.RoundTrip(req)
	took := time.Since(start).Round(time.Microsecond)
	if err != nil {
		fmt.Fprintf(d.w, "< %s %s failed after %s: %s\n", req.Method, u, took, redactText(err.Error(), req.URL))
		return nil, err
	}
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		id = "-"
	}
	fmt.Fprintf(d.w, "< %s %s in %s, request id %s\n", resp.Status, u, took, id)
	return resp, nil
}

// sensitiveParams are the query parameters that carry a secret: the legacy
// endpoints take api_secret in the query string.
var sensitiveParams = map[string]bool{"api_secret": true, "secret": true}

// redactURL is u with the values of secret parameters and any password
// replaced by REDACTED.
func redactURL(u *url.URL) string {
	r := *u
	if r.User != nil {
		r.User = url.User(r.User.Username())
	}
	q := r.Query()
	for name := range q {
		if sensitiveParams[strings.ToLower(name)] {
			q.Set(name, "REDACTED")
		}
	}
	if r.RawQuery != "" {
		r.RawQuery = q.Encode()
	}
	return r.String()
}

// redactText replaces the secrets u carries wherever text repeats them.
func redactText(text string, u *url.URL) string {
	for name, values := range u.Query() {
		if sensitiveParams[strings.ToLower(name)] {
			for _, v := range values {
				if v != "" {
					text = strings.ReplaceAll(text, url.QueryEscape(v), "REDACTED")
					text = strings.ReplaceAll(text, v, "REDACTED")
				}
			}
		}
	}
	if p, ok := u.User.Password(); ok && p != "" {
		text = strings.ReplaceAll(text, p, "REDACTED")
	}
	return text
}
