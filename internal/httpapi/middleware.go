package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// family is the error body shape of a route.
type family int

const (
	problemFamily family = iota // RFC 7807: E4–E7, admin, health, unknown paths
	legacyFamily                // {"error-code", "error-code-label"}: E1–E3
)

// requestState is what the middleware and handlers of one request share. It
// is only touched by the goroutine serving the request.
type requestState struct {
	id     string // X-Request-Id, also the problem "instance"
	family family // set by the matched route
	// xml is set on E1–E3 when the client prefers XML answers; xmlRoot is
	// then the root element of the endpoint's (xml.go).
	xml     bool
	xmlRoot string
	route   string // the matched route's path pattern; "" for none
	apiKey  string // the API key the request claimed, when loggable (loggableKey)
	client  string // the client's address, once resolved (server.clientAddr)
	// secrets are the credentials this request carried, so that a logged
	// error quoting one is scrubbed (see redact).
	secrets []string
	// secretsBuf holds the first credentials (a request carries one or
	// two), so noting them allocates nothing.
	secretsBuf [2]string
}

type stateKey struct{}

// stateOf returns the request's state. Requests that did not pass through
// withRequestState (handlers called directly) get a fresh one.
func stateOf(r *http.Request) *requestState {
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{id: newRequestID()}
}

// clientAddr is the request's client address (clientAddrResolver.addr),
// resolved once per request: the limiters, the security events and the
// request line all name it.
func (s *server) clientAddr(r *http.Request) string {
	st := stateOf(r)
	if st.client == "" {
		st.client = s.clients.addr(r)
	}
	return st.client
}

// noteSecret remembers a credential of this request for redact.
func (st *requestState) noteSecret(secret string) {
	if secret != "" {
		if st.secrets == nil {
			st.secrets = st.secretsBuf[:0]
		}
		st.secrets = append(st.secrets, secret)
	}
}

// redact replaces every credential the request carried in s. Logs never
// receive request text on purpose; this catches an error that quotes one by
// accident (a driver error, a panic message).
func (st *requestState) redact(s string) string {
	for _, secret := range st.secrets {
		s = strings.ReplaceAll(s, secret, "REDACTED")
	}
	return s
}

// newRequestID returns 32 random hexadecimal characters, like the trace ids
// the real service puts in "instance".
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// withRequestState gives every request a fresh id, sent back as
// X-Request-Id whatever the outcome. A client-supplied id is ignored: the
// id is ours to trace.
func (s *server) withRequestState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{id: newRequestID()}
		w.Header().Set("X-Request-Id", st.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
	})
}

// statusWriter records the status and size of a response for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request, at Info (health probes at
// Debug), and tells Config.Metrics of it. The line names the client
// address, the API key the request claimed (when it has a key's shape),
// the method, the route's pattern (the path itself, bounded, only when no
// route matched), the status, the duration in milliseconds, the bytes
// sent, the request id and the user agent (bounded). Never a query
// string, a header but the user agent, a form or a body: Vonage clients
// put api_secret in query strings and bodies.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			elapsed := time.Since(start)
			status := sw.status
			if status == 0 {
				status = http.StatusOK // the handler wrote nothing
			}
			st := stateOf(r)
			if s.metrics != nil {
				s.metrics.Request(st.route, r.Method, status, elapsed)
			}
			level := slog.LevelInfo
			if st.route == "/healthz" || st.route == "/readyz" {
				level = slog.LevelDebug
			}
			if !s.log.Enabled(r.Context(), level) {
				return
			}
			attrs := make([]slog.Attr, 0, 10)
			attrs = append(attrs, attrString("client", s.clientAddr(r)))
			if st.apiKey != "" {
				attrs = append(attrs, attrString("api_key", st.apiKey))
			}
			attrs = append(attrs, attrMethod(r))
			if st.route != "" {
				attrs = append(attrs, attrString("route", st.route))
			} else {
				attrs = append(attrs, attrPath(r))
			}
			attrs = append(attrs, slog.Int("status", status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.Int64("bytes", sw.bytes),
				attrRequestID(st.id),
				attrString("user_agent", bounded(r.UserAgent(), maxLoggedUserAgent)))
			s.log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// RequestObserver is told of every request answered, for metrics: the
// matched route's path pattern ("" when none matched), the method, the
// status and the time taken. internal/metrics implements it.
type RequestObserver interface {
	Request(route, method string, status int, d time.Duration)
}

// recoverPanics turns a handler panic into a logged 500 so one bad request
// cannot take the server down or leave the client without an answer.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http's deliberate abort
				panic(v)
			}
			st := stateOf(r)
			s.log.LogAttrs(r.Context(), slogError, "panic serving request",
				attrRequestID(st.id), attrMethod(r), attrPath(r),
				attrString("panic", st.redact(fmt.Sprint(v))),
				attrString("stack", st.redact(string(debug.Stack()))))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				return // the response has started; nothing sane can follow
			}
			writeInternal(w, st)
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBodies caps every request body at Config.MaxBodyBytes; readers then
// fail with *http.MaxBytesError, answered as 413.
func (s *server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next.ServeHTTP(w, r)
	})
}

// The log attributes, built in one place so every line names them alike.

const slogError = slog.LevelError

// maxLoggedPath bounds the path in a log line; a hostile client can send
// paths of many kilobytes.
const maxLoggedPath = 512

func attrRequestID(id string) slog.Attr { return slog.String("request_id", id) }
func attrMethod(r *http.Request) slog.Attr {
	return slog.String("method", r.Method)
}
func attrString(key, v string) slog.Attr { return slog.String(key, v) }

// maxLoggedUserAgent bounds the user agent in a log line.
const maxLoggedUserAgent = 128

// attrPath is the request path only: r.URL.Path never holds the query.
func attrPath(r *http.Request) slog.Attr {
	return slog.String("path", bounded(r.URL.Path, maxLoggedPath))
}

// bounded cuts s to max bytes, marking the cut with "...".
func bounded(s string, max int) string {
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// limitInFlight answers 503, with Retry-After and in the route's body
// shape, when Config.MaxInFlight requests are already being served: under
// a flood, the requests past the bound cost a few allocations instead of
// queueing for the database or the hasher.
func (s *server) limitInFlight(next http.Handler) http.Handler {
	if s.inFlight == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.inFlight <- struct{}{}:
		default:
			w.Header().Set("Retry-After", "1")
			s.writeError(w, r, &account.Error{Code: codeUnavailable, Message: "the server is at its limit of requests in flight; retry later"})
			return
		}
		defer func() { <-s.inFlight }()
		next.ServeHTTP(w, r)
	})
}

// readBodyFirst reads the request's whole body, within
// Config.BodyReadTimeout, before next runs; next then reads it from
// memory. It goes in front of limitInFlight: a body still arriving holds
// no request slot, no database connection and no hash, so slow bodies cost
// their sender a connection each and nobody else anything. A body not there
// in time is a 400 naming "body", and the connection is closed. Any other
// read failure (a body over Config.MaxBodyBytes, a client gone) is left
// for next to meet where it meets it today, after what it read before.
//
// Bodies are small here (a few hundred bytes), except the bulk import's,
// which streams instead and takes a slot only per batch (holdSlot).
func (s *server) readBodyFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		// The connection's read deadline is the http.Server's, set for the
		// whole request: it is only moved to the past when the time is up,
		// which ends the read at once, so a body that arrives in time leaves
		// it as it was.
		rc := http.NewResponseController(w)
		timer := time.AfterFunc(s.bodyTimeout, func() { _ = rc.SetReadDeadline(time.Unix(1, 0)) })
		data, err := io.ReadAll(r.Body)
		if !timer.Stop() {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, badRequest("body", "did not arrive within "+s.bodyTimeout.String()))
			return
		}
		r.Body = &earlyBody{data: data, err: err}
		next.ServeHTTP(w, r)
	})
}

// earlyBody is a request body already read: its bytes, then the error that
// ended the read (io.EOF when it ended well).
type earlyBody struct {
	data []byte
	err  error
}

func (b *earlyBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		if b.err == nil {
			return 0, io.EOF
		}
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func (b *earlyBody) Close() error { return nil }

// holdSlot waits, until ctx ends or for at most Config.ImportProgressTimeout,
// for one of Config.MaxInFlight's slots, for work that is better delayed
// than refused half-way: each batch of a bulk import, whose lines are read
// without a slot. release gives the slot back.
func (s *server) holdSlot(ctx context.Context) (release func(), err error) {
	if s.inFlight == nil {
		return func() {}, nil
	}
	t := time.NewTimer(s.importProgress)
	defer t.Stop()
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, &account.Error{Code: codeUnavailable, Message: "the server is at its limit of requests in flight; retry later"}
	}
}
