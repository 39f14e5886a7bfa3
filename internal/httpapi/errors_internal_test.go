package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// allCodes lists every code account declares; the table must cover each.
var allCodes = []account.Code{
	account.EINVALID, account.EUNAUTHORIZED, account.ENOTFOUND, account.ESECRETNOTFOUND,
	account.ESECRETLIMIT, account.ELASTSECRET, account.EAUTORELOADOFF, account.ECONFLICT,
	account.EFUNDS, account.ERATELIMIT, account.EINTERNAL,
}

func TestErrorTableCoversEveryCode(t *testing.T) {
	t.Parallel()
	for _, c := range allCodes {
		k, ok := errorTable[c]
		if !ok {
			t.Errorf("code %q has no entry", c)
			continue
		}
		if k.status < 400 || k.typ == "" || k.title == "" || (k.label == "" && c != account.EINVALID) {
			t.Errorf("code %q: incomplete entry %+v", c, k)
		}
	}
}

// testServer returns a server without a service, for driving the
// middleware and error writer directly, and its log.
func testServer() (*server, *bytes.Buffer) {
	var logs bytes.Buffer
	return &server{log: slog.New(slog.NewJSONHandler(&logs, nil)), maxBody: 64 << 10}, &logs
}

// serve runs h behind the server's middleware, with the given body family.
func serve(s *server, fam family, h http.HandlerFunc) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stateOf(r).family = fam
		h(w, r)
	})
	s.withRequestState(s.logRequests(s.recoverPanics(s.limitBodies(inner)))).
		ServeHTTP(rec, httptest.NewRequest("GET", "/x?api_secret=Hidden1Secret", nil))
	return rec
}

// retryErr is a rate-limit error that says how long to wait.
type retryErr struct{ err *account.Error }

func (e retryErr) Error() string           { return e.err.Error() }
func (e retryErr) Unwrap() error           { return e.err }
func (retryErr) RetryAfter() time.Duration { return 2500 * time.Millisecond }

func TestWriteError(t *testing.T) {
	t.Parallel()
	rate := account.Errorf(account.ERATELIMIT, "too many requests")
	tests := []struct {
		name       string
		fam        family
		err        error
		status     int
		body       string // exact, for legacy; the problem type for problems
		retryAfter string
	}{
		{"legacy rate", legacyFamily, rate, 429, `{"error-code":"429","error-code-label":"rate limit exceeded"}`, "1"},
		{"problem rate", problemFamily, rate, 429, problemPrefix + "#throttled", "1"},
		{"rate with hint", problemFamily, retryErr{rate}, 429, problemPrefix + "#throttled", "3"},
		{"wrapped rate", legacyFamily, fmt.Errorf("limiter: %w", rate), 429, `{"error-code":"429","error-code-label":"rate limit exceeded"}`, "1"},
		{"legacy invalid without field", legacyFamily, account.Errorf(account.EINVALID, "bad"), 400, `{"error-code":"400","error-code-label":"bad"}`, ""},
		{"legacy invalid", legacyFamily, account.Invalid("trx", "is required"), 400, `{"error-code":"400","error-code-label":"trx: is required"}`, ""},
		{"legacy auto-reload", legacyFamily, account.Errorf(account.EAUTORELOADOFF, "x"), 401, `{"error-code":"401","error-code-label":"not auto-reload enabled"}`, ""},
		{"funds", problemFamily, account.Errorf(account.EFUNDS, "short"), 402, problemPrefix + "#insufficient-funds", ""},
		{"conflict", problemFamily, account.Errorf(account.ECONFLICT, "taken"), 409, problemPrefix + "#conflict", ""},
		{"legacy funds", legacyFamily, account.Errorf(account.EFUNDS, "short"), 402, `{"error-code":"402","error-code-label":"insufficient funds"}`, ""},
		{"unknown code", problemFamily, &account.Error{Code: "made_up", Message: "x"}, 500, problemPrefix + "#internal-error", ""},
		{"plain error", legacyFamily, errors.New("disk on fire"), 500, "", ""},
		{"domain internal", problemFamily, account.Errorf(account.EINTERNAL, "db down"), 500, problemPrefix + "#internal-error", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, logs := testServer()
			rec := serve(s, tc.fam, func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, tc.err) })
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			body := strings.TrimSpace(rec.Body.String())
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if tc.fam == legacyFamily {
				if tc.status == 500 {
					tc.body = `{"error-code":"500","error-code-label":"internal error (request id ` + rec.Header().Get("X-Request-Id") + `)"}`
				}
				if body != tc.body {
					t.Errorf("body %s, want %s", body, tc.body)
				}
			} else {
				if m["type"] != tc.body || m["instance"] != rec.Header().Get("X-Request-Id") {
					t.Errorf("problem %s", body)
				}
			}
			if tc.status == 500 {
				if strings.Contains(body, "disk") || strings.Contains(body, "db down") {
					t.Errorf("500 body leaks its cause: %s", body)
				}
				if !strings.Contains(logs.String(), `"msg":"internal error"`) {
					t.Errorf("cause not logged: %s", logs.String())
				}
			}
		})
	}
}

func TestRecoverPanics(t *testing.T) {
	t.Parallel()
	for _, fam := range []family{legacyFamily, problemFamily} {
		s, logs := testServer()
		rec := serve(s, fam, func(w http.ResponseWriter, r *http.Request) {
			stateOf(r).noteSecret("Hidden1Secret")
			panic("handler failed on Hidden1Secret")
		})
		if rec.Code != 500 {
			t.Fatalf("status %d", rec.Code)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("body %q: %v", rec.Body, err)
		}
		if fam == legacyFamily && m["error-code"] != "500" || fam == problemFamily && m["instance"] != rec.Header().Get("X-Request-Id") {
			t.Errorf("body %s", rec.Body)
		}
		out := logs.String()
		if strings.Contains(out, "Hidden1Secret") || strings.Contains(rec.Body.String(), "Hidden1Secret") {
			t.Errorf("secret in log or body:\n%s", out)
		}
		if !strings.Contains(out, "handler failed on REDACTED") || !strings.Contains(out, "goroutine") || !strings.Contains(out, `"status":500`) {
			t.Errorf("panic not logged with its stack and status:\n%s", out)
		}
	}

	// A panic after the response started cannot change it; it is logged.
	s, logs := testServer()
	rec := serve(s, problemFamily, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	})
	if rec.Code != http.StatusAccepted || rec.Body.Len() != 0 {
		t.Errorf("late panic rewrote the response: %d %q", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "panic serving request") {
		t.Errorf("late panic not logged")
	}
}

func TestReadJSONObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // the "a" member, or "ERR"
	}{
		{`{"a":1}`, "1"},
		{` {"a" : "x"} `, `"x"`},
		{`{"a":1,"a":2}`, "1"},
		{`{"A":1}`, ""},
		{`{"a":{"b":[1,2]}}`, `{"b":[1,2]}`},
		{`{"a":1}{}`, "ERR"},
		{`{"a":1} 2`, "ERR"},
		{`{"a":1`, "ERR"},
		{`{"a"}`, "ERR"},
		{`[1]`, "ERR"},
		{`"a"`, "ERR"},
		{``, "ERR"},
		{`{"a":1,}`, "ERR"},
	} {
		obj, err := readJSONObject([]byte(tc.in))
		got := "ERR"
		if err == nil {
			got = string(obj["a"])
		}
		if got != tc.want {
			t.Errorf("readJSONObject(%s) a = %s, want %s (err %v)", tc.in, got, tc.want, err)
		}
	}
}
