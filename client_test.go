package vonage

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey    = "abcd1234"
	testSecret = "S3cr3t-Do-Not-Leak"
	// fakePrefix is where the test server mounts the API, the way go-github's
	// tests do: a client that ignores its base URL's path fails loudly.
	fakePrefix = "/fake-prefix"
)

// seen is one request as the fake server received it, without the prefix.
type seen struct {
	Method      string
	Path        string
	EscapedPath string
	RawQuery    string
	Header      http.Header
	Body        string
}

// reply is one canned answer. A fake server gives its replies in order and
// repeats the last one.
type reply struct {
	status int
	header map[string]string
	body   string
}

type fakeServer struct {
	URL     string // base URL, including fakePrefix
	mu      sync.Mutex
	reqs    []seen
	replies []reply
}

func newFake(t *testing.T, replies ...reply) *fakeServer {
	t.Helper()
	f := &fakeServer{replies: replies}
	mux := http.NewServeMux()
	mux.HandleFunc(fakePrefix+"/", f.serve)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base URL's path prefix: %s %s", r.Method, r.URL.Path)
		http.Error(w, "wrong prefix", http.StatusTeapot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.URL = srv.URL + fakePrefix
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, seen{
		Method:      r.Method,
		Path:        strings.TrimPrefix(r.URL.Path, fakePrefix),
		EscapedPath: strings.TrimPrefix(r.URL.EscapedPath(), fakePrefix),
		RawQuery:    r.URL.RawQuery,
		Header:      r.Header.Clone(),
		Body:        string(body),
	})
	rep := reply{status: http.StatusOK, body: "{}"}
	if len(f.replies) > 0 {
		rep = f.replies[min(n, len(f.replies)-1)]
	}
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" && rep.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (f *fakeServer) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// only returns the single request the server saw, failing otherwise.
func (f *fakeServer) only(t *testing.T) seen {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// client returns a client for the fake server with tiny retry delays.
func (f *fakeServer) client(opts ...ClientOption) *AccountClient {
	base := []ClientOption{WithBaseURL(f.URL), WithRetryBackoff(time.Millisecond, 2*time.Millisecond)}
	return NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret), append(base, opts...)...)
}

// checkHeaders checks what every request carries.
func checkHeaders(t *testing.T, s seen) {
	t.Helper()
	if got := s.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q, want application/json", got)
	}
	if got, want := s.Header.Get("User-Agent"), "vonage-go-sdk/"+Version+" ("+runtime.Version()+")"; got != want {
		t.Errorf("User-Agent = %q, want %q", got, want)
	}
}

// roundTripFunc lets a test stand in for the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewAccountClientDefaults(t *testing.T) {
	t.Setenv(envBaseURL, "")
	c := NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret))
	if c.restBaseURL != "https://rest.nexmo.com" || c.apiBaseURL != "https://api.nexmo.com" {
		t.Errorf("base URLs = %q, %q", c.restBaseURL, c.apiBaseURL)
	}
	if c.httpClient == nil || c.httpClient.Timeout != 30*time.Second {
		t.Errorf("http client = %+v, want a 30s timeout", c.httpClient)
	}
	if want := "vonage-go-sdk/0.1.0 (" + runtime.Version() + ")"; c.userAgent != want {
		t.Errorf("user agent = %q, want %q", c.userAgent, want)
	}
	if c.maxRetries != 2 || c.backoffBase != 200*time.Millisecond || c.backoffMax != 5*time.Second {
		t.Errorf("retries = %d, backoff = %v..%v", c.maxRetries, c.backoffBase, c.backoffMax)
	}
	if c.APIKey() != testKey {
		t.Errorf("APIKey() = %q", c.APIKey())
	}
}

func TestEnvironment(t *testing.T) {
	f := newFake(t, reply{status: 200, body: `{"value": 1.5, "autoReload": false}`})
	t.Setenv(envAPIKey, "envkey01")
	t.Setenv(envAPISecret, "env-Secret-1")
	t.Setenv(envBaseURL, f.URL)

	creds := []struct {
		name       string
		auth       Auth
		key, secre string
	}{
		{"nil auth", nil, "envkey01", "env-Secret-1"},
		{"nil *KeySecretAuth", (*KeySecretAuth)(nil), "envkey01", "env-Secret-1"},
		{"empty auth", CreateAuthFromKeySecret("", ""), "envkey01", "env-Secret-1"},
		{"key only", CreateAuthFromKeySecret("codekey1", ""), "codekey1", "env-Secret-1"},
		{"both given", CreateAuthFromKeySecret("codekey1", "code-Secret-1"), "codekey1", "code-Secret-1"},
		{"from env", CreateAuthFromEnv(), "envkey01", "env-Secret-1"},
	}
	for _, tc := range creds {
		c := NewAccountClient(tc.auth)
		if c.APIKey() != tc.key || c.secret() != tc.secre {
			t.Errorf("%s: creds = %q, %q; want %q, %q", tc.name, c.APIKey(), c.secret(), tc.key, tc.secre)
		}
	}

	bases := []struct {
		name      string
		opts      []ClientOption
		rest, api string
	}{
		{"env sets both", nil, f.URL, f.URL},
		{"WithBaseURL wins", []ClientOption{WithBaseURL("http://a.example")}, "http://a.example", "http://a.example"},
		{"WithAPIBaseURL wins for API only", []ClientOption{WithAPIBaseURL("http://api.example")}, f.URL, "http://api.example"},
		{"WithRESTBaseURL wins for REST only", []ClientOption{WithRESTBaseURL("http://rest.example")}, "http://rest.example", f.URL},
		{"empty option changes nothing", []ClientOption{WithBaseURL("")}, f.URL, f.URL},
	}
	for _, tc := range bases {
		c := NewAccountClient(nil, tc.opts...)
		if c.restBaseURL != tc.rest || c.apiBaseURL != tc.api {
			t.Errorf("%s: base URLs = %q, %q; want %q, %q", tc.name, c.restBaseURL, c.apiBaseURL, tc.rest, tc.api)
		}
	}

	// The environment is read once, when the client is made.
	c := NewAccountClient(nil)
	t.Setenv(envAPIKey, "otherkey")
	t.Setenv(envBaseURL, "http://127.0.0.1:1")
	bal, _, err := c.GetBalance()
	if err != nil {
		t.Fatalf("GetBalance: %v", err)
	}
	if bal.Value != 1.5 {
		t.Errorf("Value = %v", bal.Value)
	}
	if q := f.only(t).RawQuery; q != "api_key=envkey01&api_secret=env-Secret-1" {
		t.Errorf("query = %q", q)
	}
}

func TestMissingCredentials(t *testing.T) {
	t.Setenv(envAPIKey, "")
	t.Setenv(envAPISecret, "")
	f := newFake(t)
	calls := map[string]func(c *AccountClient) error{
		"GetBalance":   func(c *AccountClient) error { _, _, err := c.GetBalance(); return err },
		"TopUp":        func(c *AccountClient) error { _, _, err := c.TopUp("trx"); return err },
		"GetConfig":    func(c *AccountClient) error { _, _, err := c.GetConfig(); return err },
		"ListSecrets":  func(c *AccountClient) error { _, _, err := c.ListSecrets(); return err },
		"GetSecret":    func(c *AccountClient) error { _, _, err := c.GetSecret("id"); return err },
		"CreateSecret": func(c *AccountClient) error { _, _, err := c.CreateSecret("Abcdefg1"); return err },
		"DeleteSecret": func(c *AccountClient) error { _, _, err := c.DeleteSecret("id"); return err },
	}
	for name, call := range calls {
		for _, auth := range []*KeySecretAuth{nil, CreateAuthFromKeySecret("", testSecret), CreateAuthFromKeySecret(testKey, "")} {
			err := call(NewAccountClient(auth, WithBaseURL(f.URL)))
			var apiErr *APIError
			if !errors.As(err, &apiErr) || !errors.Is(err, ErrAuthentication) {
				t.Errorf("%s with %v: err = %v, want an *APIError matching ErrAuthentication", name, auth, err)
				continue
			}
			if resp := apiErr.Response(); resp.Title != "Missing credentials" || !strings.Contains(resp.Detail, envAPIKey) {
				t.Errorf("%s: response = %+v", name, resp)
			}
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestBaseURLs(t *testing.T) {
	t.Parallel()
	balance := `{"value": 2, "autoReload": true}`
	list := `{"_links":{"self":{"href":"/accounts/abcd1234/secrets"}},"_embedded":{"secrets":[]}}`

	t.Run("trailing slash", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, reply{status: 200, body: balance})
		if _, _, err := f.client(WithBaseURL(f.URL + "/")).GetBalance(); err != nil {
			t.Fatal(err)
		}
		if p := f.only(t).Path; p != "/account/get-balance" {
			t.Errorf("path = %q", p)
		}
	})
	t.Run("separate hosts", func(t *testing.T) {
		t.Parallel()
		rest := newFake(t, reply{status: 200, body: balance})
		api := newFake(t, reply{status: 200, body: list})
		c := NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret), WithRESTBaseURL(rest.URL), WithAPIBaseURL(api.URL))
		if _, _, err := c.GetBalance(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ListSecrets(); err != nil {
			t.Fatal(err)
		}
		if rest.only(t).Path != "/account/get-balance" || api.only(t).Path != "/accounts/abcd1234/secrets" {
			t.Errorf("requests went to the wrong hosts")
		}
	})
	for _, bad := range []string{"ftp://example.com", "example.com", "http://", "http://h/x?q=1", "http://h/%zz"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			t.Parallel()
			_, resp, err := NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret), WithBaseURL(bad)).GetBalance()
			if !errors.Is(err, ErrInvalidRequest) || resp.Title != "Invalid request" {
				t.Errorf("err = %v, resp = %+v; want ErrInvalidRequest", err, resp)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 200, body: `{"value": 2, "autoReload": true}`})
	var used atomic.Bool
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := f.client(WithHTTPClient(hc), WithUserAgent("my-app/1.0"), WithHTTPClient(nil), WithUserAgent(""), nil)
	if _, _, err := c.GetBalance(); err != nil {
		t.Fatal(err)
	}
	if !used.Load() {
		t.Error("WithHTTPClient: the given client was not used")
	}
	if ua := f.only(t).Header.Get("User-Agent"); ua != "my-app/1.0" {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestNilAndZeroClient(t *testing.T) {
	t.Parallel()
	var nilClient *AccountClient
	if _, _, err := nilClient.GetBalance(); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("nil client: err = %v", err)
	}
	if _, _, err := nilClient.ListSecrets(); err == nil {
		t.Error("nil client: no error")
	}
	var zero AccountClient
	if _, _, err := zero.GetBalance(); !errors.Is(err, ErrAuthentication) {
		t.Errorf("zero client: err = %v", err)
	}
	//lint:ignore SA1012 a nil context must not panic
	if _, _, err := NewAccountClient(CreateAuthFromKeySecret(testKey, testSecret), WithBaseURL("http://127.0.0.1:1"), WithRetries(0)).GetBalanceContext(nil); !errors.Is(err, ErrTransport) {
		t.Errorf("nil context: err = %v", err)
	}
}
