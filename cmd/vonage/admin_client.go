package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	vonage "github.com/vonage/vonage-go-sdk"
)

// The admin commands call our server's own admin API (contract section 6)
// with plain net/http: it is not Vonage's API, so the SDK has no calls for it.

// adminFlags are the flags of every admin command. There is deliberately no
// token flag.
type adminFlags struct {
	baseURL string
	json    bool
}

func (f *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.baseURL, "base-url", "", "the server's URL (default $"+envBaseURL+")")
	fs.BoolVar(&f.json, "json", false, "print JSON for scripts instead of a table")
}

// adminClient calls the admin API with the bearer token.
type adminClient struct {
	base    string
	token   string
	hc      *http.Client
	secrets []string // kept out of every error text
}

func (c *cli) adminClient(f *adminFlags) (*adminClient, error) {
	token := c.getenv(envAdminToken)
	if token == "" {
		return nil, usageError{errors.New(envAdminToken + " is not set: the admin commands send the server's admin token from it")}
	}
	base := strings.TrimRight(strings.TrimSpace(orEnv(f.baseURL, c.getenv, envBaseURL)), "/")
	if base == "" {
		return nil, usageError{errors.New("no server URL: set " + envBaseURL + " or pass --base-url")}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, usageError{errors.New("the server URL must be an http or https URL without credentials, query or fragment")}
	}
	return &adminClient{
		base:    base,
		token:   token,
		hc:      &http.Client{Timeout: 30 * time.Second},
		secrets: []string{token},
	}, nil
}

// problem is an RFC 7807 problem details body.
type problem struct {
	Type              string                    `json:"type"`
	Title             string                    `json:"title"`
	Detail            string                    `json:"detail"`
	Instance          string                    `json:"instance"`
	InvalidParameters []vonage.InvalidParameter `json:"invalid_parameters"`
}

// adminRequest is one call of the admin API.
type adminRequest struct {
	method, path string
	header       http.Header // extra request headers, e.g. Idempotency-Key
	body         any         // sent as JSON unless nil
	want         int         // the success status
	out          any         // the success body is decoded into it
}

// do sends one request and decodes a response with status want into out.
// Any other answer becomes a cmdError with the problem's title and detail;
// 401 matches vonage.ErrAuthentication and 404 vonage.ErrNotFound, for the
// exit code.
func (a *adminClient) do(ctx context.Context, method, path string, body any, want int, out any) error {
	_, err := a.send(ctx, adminRequest{method: method, path: path, body: body, want: want, out: out})
	return err
}

// send is do with extra headers; it returns the response's headers, also
// with an error when the server answered.
func (a *adminClient) send(ctx context.Context, ar adminRequest) (http.Header, error) {
	var reader io.Reader
	if ar.body != nil {
		data, err := json.Marshal(ar.body)
		if err != nil {
			return nil, err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, ar.method, a.base+ar.path, reader)
	if err != nil {
		return nil, &cmdError{title: "Invalid request", detail: a.scrub(err.Error())}
	}
	for name, values := range ar.header {
		req.Header[name] = values
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vonage-cli/"+vonage.Version)
	if ar.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, &cmdError{title: "Request failed", detail: a.scrub(err.Error()), err: vonage.ErrTransport}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.Header, &cmdError{title: "Request failed", detail: a.scrub(err.Error()), err: vonage.ErrTransport}
	}
	if resp.StatusCode == ar.want {
		if err := json.Unmarshal(data, ar.out); err != nil {
			return resp.Header, &cmdError{title: "Invalid response", detail: "the server's answer is not the documented JSON", err: vonage.ErrDecode}
		}
		return resp.Header, nil
	}
	return resp.Header, a.failure(resp, data)
}

func (a *adminClient) failure(resp *http.Response, data []byte) error {
	e := &cmdError{title: resp.Status, err: fmt.Errorf("admin API answered %s", resp.Status)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.err = vonage.ErrAuthentication
	case resp.StatusCode == http.StatusNotFound:
		e.err = vonage.ErrNotFound
	case resp.StatusCode >= 500:
		e.err = vonage.ErrServer
	}
	var p problem
	if json.Unmarshal(data, &p) != nil || p.Title == "" {
		e.detail = "the server's answer is not a problem details body"
		if resp.StatusCode == http.StatusNotFound {
			e.detail = "not found; is the admin API on (VONAGE_ADMIN_TOKEN set on the server)?"
		}
		return e
	}
	e.title, e.detail = a.scrub(p.Title), a.scrub(p.Detail)
	for _, ip := range p.InvalidParameters {
		if !strings.Contains(e.detail, ip.Reason) {
			e.detail += a.scrub(" (" + ip.Name + ": " + ip.Reason + ")")
		}
	}
	return e
}

func (a *adminClient) scrub(text string) string { return scrub(text, a.secrets...) }
