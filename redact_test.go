package vonage

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// leakForms are the ways a secret could show up in a text.
func leakForms(key, secret string) []string {
	return []string{secret, url.QueryEscape(secret), url.PathEscape(secret), base64.StdEncoding.EncodeToString([]byte(key + ":" + secret))}
}

// printings renders v every way a program might log it.
func printings(v any) []string {
	return []string{fmt.Sprint(v), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", v, v, v, v, v, v)}
}

// chainTexts returns the text of err and of everything it wraps.
func chainTexts(err error) []string {
	if err == nil {
		return nil
	}
	out := []string{err.Error(), fmt.Sprintf("%#v", err)}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, chainTexts(u.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, chainTexts(e)...)
		}
	}
	return out
}

func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	const newSecret = "N3w-S3cret-Value"
	for _, secret := range []string{testSecret, "T0p+S3cr3t!/x&y z"} {
		echo := func(s string) string { return strings.ReplaceAll(s, "SECRET", secret) }
		modes := []struct {
			name    string
			handler http.HandlerFunc // nil: server closed
			opts    []ClientOption
			ctx     func() context.Context
			call    anyCall
		}{
			{"transport error", nil, nil, nil, callBalance},
			{"legacy 401", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"error-code":"401","error-code-label":"authentication failed"}`)
			}, nil, nil, callBalance},
			{"server echoes the secret", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", echo("id-SECRET"))
				w.WriteHeader(400)
				fmt.Fprint(w, echo(`{"type":"t-SECRET","title":"bad SECRET","detail":"you sent SECRET","instance":"SECRET","error-code":"SECRET","error-code-label":"SECRET",`+
					`"invalid_parameters":[{"name":"secret","reason":"SECRET is wrong"}]}`))
			}, nil, nil, callList},
			{"html page with the secret", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				fmt.Fprint(w, echo("<html>SECRET</html>"))
			}, nil, nil, callBalance},
			{"garbage 200", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, echo("SECRET"))
			}, nil, nil, callBalance},
			{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.String(), http.StatusFound)
			}, nil, nil, callBalance},
			{"transport echoes the URL", nil, []ClientOption{WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("proxy refused %s with secret %s", r.URL, secret)
			})})}, nil, callBalance},
			{"timeout", func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			}, []ClientOption{WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond})}, nil, callBalance},
			{"cancelled", nil, nil, func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			}, callBalance},
			{"new secret echoed", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(400)
				fmt.Fprintf(w, `{"title":"Bad Request","detail":"secret %s is weak"}`, newSecret)
			}, nil, nil, anyCallWith((*AccountClient).CreateSecret, newSecret)},
		}
		for _, m := range modes {
			t.Run(m.name+"/"+secret, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.StripPrefix(fakePrefix, m.handler))
				if m.handler == nil {
					srv.Close()
				} else {
					t.Cleanup(srv.Close)
				}
				auth := CreateAuthFromKeySecret(testKey, secret)
				opts := append([]ClientOption{WithBaseURL(srv.URL + fakePrefix), WithRetries(1), WithRetryBackoff(time.Millisecond, time.Millisecond)}, m.opts...)
				c := NewAccountClient(auth, opts...)
				var errResp ErrorResponse
				var err error
				if m.ctx != nil {
					_, errResp, err = c.GetBalanceContext(m.ctx())
				} else {
					errResp, err = m.call(c)
				}
				if err == nil {
					t.Fatal("call succeeded, want an error")
				}
				var texts []string
				texts = append(texts, printings(err)...)
				texts = append(texts, printings(errResp)...)
				texts = append(texts, printings(auth)...)
				texts = append(texts, printings(*auth)...)
				texts = append(texts, printings(c)...)
				texts = append(texts, chainTexts(err)...)
				var ue *url.Error
				if errors.As(err, &ue) {
					texts = append(texts, ue.URL, ue.Error())
				}
				forms := append(leakForms(testKey, secret), newSecret)
				for _, text := range texts {
					for _, form := range forms {
						if strings.Contains(text, form) {
							t.Fatalf("%q leaked in %q", form, text)
						}
					}
				}
				if errResp.Title == "" || errResp.Detail == "" {
					t.Errorf("ErrorResponse = %+v, want Title and Detail", errResp)
				}
			})
		}
	}
}

func TestAuthPrinting(t *testing.T) {
	t.Parallel()
	auth := CreateAuthFromKeySecret(testKey, testSecret)
	if got, want := auth.String(), "KeySecretAuth{apiKey: abcd1234, apiSecret: REDACTED}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%#v", auth), `vonage.KeySecretAuth{apiKey: "abcd1234", apiSecret: "REDACTED"}`; got != want {
		t.Errorf("%%#v = %q, want %q", got, want)
	}
	if got := fmt.Sprint(CreateAuthFromKeySecret("k", "")); !strings.Contains(got, "<empty>") {
		t.Errorf("empty secret prints %q", got)
	}
	if got := fmt.Sprint((*KeySecretAuth)(nil)); got != "<nil>" {
		t.Errorf("nil prints %q", got)
	}
	wrapped := struct{ Auth KeySecretAuth }{*auth}
	for _, text := range printings(wrapped) {
		if strings.Contains(text, testSecret) {
			t.Errorf("leaked through a struct field: %q", text)
		}
	}
	if creds := auth.GetCreds(); len(creds) != 2 || creds[0] != testKey || creds[1] != testSecret {
		t.Errorf("GetCreds() = %q", creds)
	}
	if creds := (*KeySecretAuth)(nil).GetCreds(); len(creds) != 2 {
		t.Errorf("nil GetCreds() = %q", creds)
	}
}

func TestScrubberKeepsTheChain(t *testing.T) {
	t.Parallel()
	s := newScrubber(testSecret)
	err := s.error(fmt.Errorf("outer %s: %w", testSecret, fmt.Errorf("inner %s: %w", testSecret, context.DeadlineExceeded)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(DeadlineExceeded) lost: %v", err)
	}
	for _, text := range chainTexts(err) {
		if strings.Contains(text, testSecret) {
			t.Errorf("leaked in %q", text)
		}
	}
	plain := errors.New("no secret here")
	if s.error(plain) != plain || s.error(nil) != nil {
		t.Error("a clean error should pass through unchanged")
	}
	if got := newScrubber("").text("x"); got != "x" {
		t.Errorf("empty secret scrubbed %q", got)
	}
}
