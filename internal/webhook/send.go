package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// newHTTPClient is the client of every attempt: timeout bounds the whole
// exchange, redirects are not followed (a 3xx is the endpoint's answer,
// and not a 2xx), and no proxy from the environment is used, so a
// callback goes where the account said. With blockPrivate every
// connection's resolved address is checked as it is dialled.
func newHTTPClient(timeout time.Duration, blockPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if blockPrivate {
		dialer.Control = refusePrivate
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send makes one request of d with params and returns the answer's status
// code, or 0 and what went wrong. At most MaxResponseBytes of the body
// are read; the rest is left unread.
func (w *Worker) send(ctx context.Context, d account.Delivery, params []account.Param) (int, string) {
	req, err := newRequest(ctx, d.Method, d.URL, params)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("User-Agent", w.cfg.UserAgent)
	resp, err := w.hc.Do(req)
	if err != nil {
		return 0, describe(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, w.cfg.MaxResponseBytes)); err != nil && resp.StatusCode/100 == 2 {
		// The endpoint said 2xx but its answer broke off: it may not
		// have taken the delivery, so it counts as a failure.
		return resp.StatusCode, "reading the answer: " + describe(err)
	}
	return resp.StatusCode, ""
}

// describe is an attempt's error as the webhooks list shows it, without
// the request's URL (which may carry the payload in its query).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var be *blockedError
	if errors.As(err, &be) {
		return be.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout: no answer within the attempt's time limit"
	}
	return err.Error()
}

// newRequest builds the request the real platform makes for method:
// GET with params in the query string (after any the URL has), POST with
// them as a form body, POST-JSON as a JSON object of strings.
func newRequest(ctx context.Context, method, rawURL string, params []account.Param) (*http.Request, error) {
	switch method {
	case account.WebhookGET:
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("callback URL: %w", err)
		}
		q := formEncode(params)
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	case account.WebhookPOST:
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(formEncode(params)))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	default:
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(jsonObject(params)))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
}

// formEncode writes params in their order (url.Values would sort them).
func formEncode(params []account.Param) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}

// jsonObject writes params as one JSON object of strings, in their order.
func jsonObject(params []account.Param) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Name) // strings always encode
		v, _ := json.Marshal(p.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}
