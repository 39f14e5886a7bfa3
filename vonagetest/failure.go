package vonagetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Failure is what FailNext makes the server do instead of answering. Make one
// with Status, DropConnection or DropResponse.
type Failure struct {
	status     int
	retryAfter time.Duration
	drop       bool // break the connection instead of answering
	afterServe bool // let the server handle the request first
}

// Status answers with an error status (400-599) and the body the real server
// sends for it: a legacy body on /account/... paths, RFC 7807 problem details
// elsewhere. With retryAfter > 0 it sends Retry-After (in whole seconds,
// rounded up); with 0 it sends none. The request does not reach the server,
// so nothing changes. A 403 on a secrets POST or DELETE is the secret-limit or
// last-secret problem, so it matches vonage.ErrSecretLimit or
// vonage.ErrLastSecret.
func Status(code int, retryAfter time.Duration) Failure {
	if code < 400 || code > 599 {
		panic(fmt.Sprintf("vonagetest.Status(%d): not an error status", code))
	}
	return Failure{status: code, retryAfter: retryAfter}
}

// DropConnection breaks the connection before the request reaches the server:
// nothing changes and the client gets a transport error (vonage.ErrTransport).
// It sends a status line (503) and closes before the headers, so Go's HTTP
// transport reports the failure instead of silently resending a GET, which it
// does when a reused connection closes without a byte.
func DropConnection() Failure { return Failure{drop: true} }

// DropResponse lets the server handle the request, then breaks the
// connection after the answer's status line: the change happened but the
// client gets a transport error. It tests what a caller does when it cannot know
// whether a POST or DELETE took effect.
func DropResponse() Failure { return Failure{drop: true, afterServe: true} }

func (f Failure) String() string {
	switch {
	case f.afterServe:
		return "DropResponse()"
	case f.drop:
		return "DropConnection()"
	}
	return fmt.Sprintf("Status(%d, %s)", f.status, f.retryAfter)
}

// FailNext makes the next n requests, whatever their method and path, fail
// with f. Failures queue in the order they were asked for: a request takes the
// first one that matches it.
func (s *Server) FailNext(n int, f Failure) { s.FailNextMatching("", "", n, f) }

// FailNextMatching is FailNext for the next n requests with that method ("" for
// any) whose path starts with pathPrefix ("" for any), e.g. ("GET",
// "/account/get-balance") or ("DELETE", "/accounts/").
func (s *Server) FailNextMatching(method, pathPrefix string, n int, f Failure) {
	if n <= 0 {
		return
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = append(s.faults.rules, &rule{method: method, prefix: pathPrefix, left: n, failure: f})
}

// PendingFailures returns how many injected failures no request has taken
// yet, so a test can check its requests went where it expected.
func (s *Server) PendingFailures() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	n := 0
	for _, r := range s.faults.rules {
		n += r.left
	}
	return n
}

type rule struct {
	method, prefix string
	left           int
	failure        Failure
}

// faults is the queue of injected failures, applied by a handler wrapped
// around the real server.
type faults struct {
	mu    sync.Mutex
	rules []*rule
}

func (fs *faults) take(r *http.Request) (Failure, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, ru := range fs.rules {
		if (ru.method == "" || ru.method == r.Method) && strings.HasPrefix(r.URL.Path, ru.prefix) {
			ru.left--
			if ru.left == 0 {
				fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
			}
			return ru.failure, true
		}
	}
	return Failure{}, false
}

func (fs *faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := fs.take(r)
		switch {
		case !ok:
			next.ServeHTTP(w, r)
		case f.drop:
			status := http.StatusServiceUnavailable
			if f.afterServe {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				status = rec.Code
			}
			breakConnection(w, status)
		default:
			writeStatus(w, r, f)
		}
	})
}

// breakConnection closes the connection after the status line of an answer
// (see DropConnection for why not before).
func breakConnection(w http.ResponseWriter, status int) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // net/http aborts the response without logging
	}
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = buf.Flush()
	_ = conn.Close()
}

// errorShape is how the real server describes a status: its legacy label and
// its problem type suffix and title (internal/httpapi's error table).
type errorShape struct{ label, typ, title string }

var shapes = map[int]errorShape{
	400: {"bad request", "/account/secret-management#validation", "Bad Request"},
	401: {"authentication failed", "#unauthorized", "Invalid credentials supplied"},
	402: {"insufficient funds", "#insufficient-funds", "Insufficient Funds"},
	404: {"not found", "#invalid-api-key", "Invalid API Key"},
	409: {"conflict", "#conflict", "Conflict"},
	429: {"rate limit exceeded", "#throttled", "Rate Limit Hit"},
	500: {"internal error", "#internal-error", "Internal Server Error"},
	503: {"service unavailable", "#unavailable", "Service Unavailable"},
}

func shapeOf(code int, r *http.Request) errorShape {
	if code == http.StatusForbidden && strings.HasPrefix(r.URL.Path, "/accounts/") {
		switch r.Method {
		case http.MethodPost:
			return errorShape{"secret addition forbidden", "/account/secret-management#add-excess-secret", "Secret Addition Forbidden"}
		case http.MethodDelete:
			return errorShape{"secret deletion forbidden", "/account/secret-management#delete-last-secret", "Secret Deletion Forbidden"}
		}
	}
	if sh, ok := shapes[code]; ok {
		return sh
	}
	text := http.StatusText(code)
	if text == "" {
		text = "Error " + strconv.Itoa(code)
	}
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(text))
	return errorShape{strings.ToLower(text), "#" + slug, text}
}

// writeStatus answers as the real server would have answered with f.status.
func writeStatus(w http.ResponseWriter, r *http.Request, f Failure) {
	id := randomHex(16)
	sh := shapeOf(f.status, r)
	var body any
	if strings.HasPrefix(r.URL.Path, "/account/") { // E1-E3: legacy bodies
		body = map[string]string{"error-code": strconv.Itoa(f.status), "error-code-label": sh.label}
	} else {
		body = map[string]string{
			"type":     "https://developer.nexmo.com/api-errors" + sh.typ,
			"title":    sh.title,
			"detail":   "Failure injected by vonagetest.",
			"instance": id,
		}
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", id)
	if f.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((f.retryAfter+time.Second-1)/time.Second), 10))
	}
	w.WriteHeader(f.status)
	_, _ = w.Write(buf.Bytes())
}
