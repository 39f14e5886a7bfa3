package vonage

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkBasic checks an E4-E7 request: Basic credentials, nothing in the query.
func checkBasic(t *testing.T, s seen, method, escapedPath string) {
	t.Helper()
	checkHeaders(t, s)
	if s.Method != method || s.EscapedPath != escapedPath {
		t.Errorf("request = %s %s, want %s %s", s.Method, s.EscapedPath, method, escapedPath)
	}
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"+testSecret)); s.Header.Get("Authorization") != want {
		t.Errorf("Authorization = %q, want %q", s.Header.Get("Authorization"), want)
	}
	if s.RawQuery != "" {
		t.Errorf("query = %q, want none", s.RawQuery)
	}
}

const secretJSON = `{"_links":{"self":{"href":"/accounts/abcd1234/secrets/01234567-aaaa-bbbb-cccc-defdefdefdef"}},"id":"01234567-aaaa-bbbb-cccc-defdefdefdef","created_at":"2018-12-03T10:07:23Z"}`

var wantSecret = AccountSecret{
	ID:        "01234567-aaaa-bbbb-cccc-defdefdefdef",
	CreatedAt: time.Date(2018, 12, 3, 10, 7, 23, 0, time.UTC),
	Href:      "/accounts/abcd1234/secrets/01234567-aaaa-bbbb-cccc-defdefdefdef",
}

func TestListSecrets(t *testing.T) {
	t.Parallel()
	second := `{"_links":{"self":{"href":"/accounts/abcd1234/secrets/ad6dc56f-07b5-46e1-a527-85530e625800"}},"id":"ad6dc56f-07b5-46e1-a527-85530e625800","created_at":"2019-01-02T03:04:05Z"}`
	tests := []struct {
		name string
		body string
		want AccountSecretCollection
	}{
		{"two", `{"_links":{"self":{"href":"/accounts/abcd1234/secrets"}},"_embedded":{"secrets":[` + secretJSON + `,` + second + `]}}`,
			AccountSecretCollection{Href: "/accounts/abcd1234/secrets", Secrets: []AccountSecret{wantSecret, {
				ID: "ad6dc56f-07b5-46e1-a527-85530e625800", CreatedAt: time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC),
				Href: "/accounts/abcd1234/secrets/ad6dc56f-07b5-46e1-a527-85530e625800",
			}}}},
		{"empty list", `{"_links":{"self":{"href":"/accounts/abcd1234/secrets"}},"_embedded":{"secrets":[]}}`,
			AccountSecretCollection{Href: "/accounts/abcd1234/secrets", Secrets: []AccountSecret{}}},
		{"no _embedded", `{"_links":{"self":{"href":"/accounts/abcd1234/secrets"}}}`,
			AccountSecretCollection{Href: "/accounts/abcd1234/secrets", Secrets: []AccountSecret{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, reply{status: 200, body: tc.body})
			got, errResp, err := f.client().ListSecrets()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) || errResp.Title != "" {
				t.Errorf("ListSecrets = %+v, %+v; want %+v", got, errResp, tc.want)
			}
			s := f.only(t)
			checkBasic(t, s, "GET", "/accounts/abcd1234/secrets")
			if s.Body != "" {
				t.Errorf("body = %q", s.Body)
			}
		})
	}
}

func TestSecretBadBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call anyCall
		body string
	}{
		{"list: empty object", callList, `{}`},
		{"list: secret without id", callList, `{"_embedded":{"secrets":[{"created_at":"2018-12-03T10:07:23Z"}]}}`},
		{"list: bad date", callList, `{"_embedded":{"secrets":[{"id":"x","created_at":"yesterday"}]}}`},
		{"list: array", callList, `[]`},
		{"get: no id", callGet, `{"created_at":"2018-12-03T10:07:23Z"}`},
		{"get: html", callGet, `<html></html>`},
		{"create: empty body", callCreate, ``},
		{"create: null", callCreate, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, reply{status: 200, body: tc.body})
			if _, err := tc.call(f.client()); !errors.Is(err, ErrDecode) {
				t.Errorf("err = %v, want ErrDecode", err)
			}
		})
	}
}

func TestGetSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, escapedPath string
	}{
		{"01234567-aaaa-bbbb-cccc-defdefdefdef", "/accounts/abcd1234/secrets/01234567-aaaa-bbbb-cccc-defdefdefdef"},
		{"a/b c?d", "/accounts/abcd1234/secrets/a%2Fb%20c%3Fd"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, reply{status: 200, body: secretJSON})
			got, errResp, err := f.client().GetSecretContext(t.Context(), tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != wantSecret || errResp.Title != "" {
				t.Errorf("GetSecret = %+v, %+v", got, errResp)
			}
			checkBasic(t, f.only(t), "GET", tc.escapedPath)
		})
	}
}

func TestKeyIsEscaped(t *testing.T) {
	t.Parallel()
	f := newFake(t, okList)
	c := NewAccountClient(CreateAuthFromKeySecret("ab/cd", testSecret), WithBaseURL(f.URL))
	if _, _, err := c.ListSecrets(); err != nil {
		t.Fatal(err)
	}
	if p := f.only(t).EscapedPath; p != "/accounts/ab%2Fcd/secrets" {
		t.Errorf("path = %q", p)
	}
}

func TestCreateSecret(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 201, body: secretJSON})
	got, errResp, err := f.client().CreateSecret(`T0pS3cr3t!"\`)
	if err != nil {
		t.Fatal(err)
	}
	if got != wantSecret || errResp.Title != "" {
		t.Errorf("CreateSecret = %+v, %+v", got, errResp)
	}
	s := f.only(t)
	checkBasic(t, s, "POST", "/accounts/abcd1234/secrets")
	if ct := s.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(s.Body), &body); err != nil || !reflect.DeepEqual(body, map[string]any{"secret": `T0pS3cr3t!"\`}) {
		t.Errorf("body = %s (%v)", s.Body, err)
	}
}

func TestDeleteSecret(t *testing.T) {
	t.Parallel()
	for _, rep := range []reply{{status: 204}, {status: 200}} {
		f := newFake(t, rep)
		ok, errResp, err := f.client().DeleteSecret("01234567-aaaa-bbbb-cccc-defdefdefdef")
		if err != nil || !ok || !reflect.DeepEqual(errResp, ErrorResponse{}) {
			t.Errorf("status %d: DeleteSecret = %v, %+v, %v", rep.status, ok, errResp, err)
		}
		s := f.only(t)
		checkBasic(t, s, "DELETE", "/accounts/abcd1234/secrets/01234567-aaaa-bbbb-cccc-defdefdefdef")
		if s.Body != "" || s.Header.Get("Content-Type") != "" {
			t.Errorf("body = %q, Content-Type = %q", s.Body, s.Header.Get("Content-Type"))
		}
	}
}

func TestUnusableSecretIDs(t *testing.T) {
	t.Parallel()
	f := newFake(t, okSecret)
	c := f.client()
	for _, id := range []string{"", ".", ".."} {
		_, getResp, getErr := c.GetSecret(id)
		ok, delResp, delErr := c.DeleteSecret(id)
		for _, err := range []error{getErr, delErr} {
			var apiErr *APIError
			if !errors.Is(err, ErrInvalidRequest) || !errors.As(err, &apiErr) || apiErr.StatusCode != 0 {
				t.Errorf("id %q: err = %v, want a local ErrInvalidRequest", id, err)
			}
		}
		if ok || getResp.Title != "Invalid request" || delResp.Detail == "" {
			t.Errorf("id %q: ok = %v, responses = %+v, %+v", id, ok, getResp, delResp)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

// TestForKeyOnTheWire: a scoped client sends each secret call to the scoped
// key's path, signed with the client's own credentials, through the same HTTP
// client and settings.
func TestForKeyOnTheWire(t *testing.T) {
	t.Parallel()
	f := newFake(t, reply{status: 200, body: secretJSON})
	c := f.client(WithRetries(5), WithUserAgent("ua/1"))
	s := c.ForKey("sub/key1")
	if s.httpClient != c.httpClient || s.maxRetries != 5 || s.userAgent != "ua/1" || s.apiBaseURL != c.apiBaseURL || s.creds != c.creds {
		t.Errorf("ForKey copy does not share the client's settings: %+v", s)
	}
	if _, _, err := s.GetSecret("id1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSecret("Abcdefg1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.DeleteSecret("id1"); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"+testSecret))
	for i, want := range []string{"GET /accounts/sub%2Fkey1/secrets/id1", "POST /accounts/sub%2Fkey1/secrets", "DELETE /accounts/sub%2Fkey1/secrets/id1"} {
		if got := reqs[i].Method + " " + reqs[i].EscapedPath; got != want || reqs[i].Header.Get("Authorization") != auth || reqs[i].Header.Get("User-Agent") != "ua/1" {
			t.Errorf("request %d = %s (Authorization %q), want %s signed by the client's own key", i, got, reqs[i].Header.Get("Authorization"), want)
		}
	}

	// A failure names the scoped key's URL.
	nf := newFake(t, reply{status: 404, body: `{"type":"https://developer.nexmo.com/api-errors#invalid-api-key","title":"Invalid API Key","detail":"API key 'subkey01' does not exist, or you do not have access"}`})
	_, _, err := nf.client().ForKey("subkey01").ListSecrets()
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrNotFound) || !strings.HasSuffix(apiErr.URL, "/accounts/subkey01/secrets") {
		t.Errorf("err = %#v, want ErrNotFound on /accounts/subkey01/secrets", err)
	}
}
