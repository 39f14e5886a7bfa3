package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Config holds every dependency of the HTTP handler. internal/server fills
// it from its own Config, which holds the defaults.
type Config struct {
	// Service is the account domain; required.
	Service *account.Service
	// Logger receives one line per request and the causes of internal
	// errors; nil means slog.Default().
	Logger *slog.Logger
	// AdminToken is the bearer token of the /admin API (contract section
	// 6). Empty turns the admin routes off: they answer 404 like any
	// unknown path.
	AdminToken string
	// MaxBodyBytes bounds request bodies; larger ones get a 413. Required.
	MaxBodyBytes int64
	// TrustedProxies are the proxies whose forwarding header names the
	// client address failed authentications are counted under (see
	// clientaddr.go). Empty: the connection's peer address is the client.
	TrustedProxies []netip.Prefix
	// ClientIPHeader is the forwarding header the trusted proxies write:
	// HeaderXForwardedFor (the default when empty) or HeaderForwarded.
	ClientIPHeader string
	// MaxInFlight bounds the API requests served at once; one more is
	// answered 503 at once. Zero means no bound. /healthz is never
	// refused.
	MaxInFlight int
	// ReadyTimeout bounds the database ping of /readyz, so a hung database
	// makes the probe fail rather than hang. Required.
	ReadyTimeout time.Duration
	// ImportProgressTimeout is how long a bulk import waits for the next
	// batch's lines and for its answer, counted from the last batch
	// written. Required.
	ImportProgressTimeout time.Duration
	// BodyReadTimeout bounds reading a request body, which every route but
	// the bulk import reads whole before taking a MaxInFlight slot.
	// Required.
	BodyReadTimeout time.Duration
	// Dashboard, when set, serves everything under /dashboard/ (the web
	// dashboard, internal/dashboard), behind the same middleware and
	// MaxInFlight as the API.
	Dashboard http.Handler
	// LimitsState, when set, says where the limits are counted
	// ("redis", or "local-fallback" while Redis does not answer); /readyz
	// shows it as "limits". Nil (limits counted in this instance) shows
	// nothing.
	LimitsState func() string
	// Metrics is told of every request answered; nil: nobody.
	Metrics RequestObserver
	// MetricsHandler serves GET /metrics (behind the admin token when
	// AdminToken is set); nil: no such route.
	MetricsHandler http.Handler
	// Clock, when set, replaces time.Now for the pacing of the "request
	// throttled" log lines (throttlelog.go); a test seam.
	Clock func() time.Time
}

// server carries the dependencies the handlers share.
type server struct {
	svc            *account.Service
	log            *slog.Logger
	adminDigest    *[sha256.Size]byte // nil when the admin API is off
	maxBody        int64
	readyTimeout   time.Duration
	importProgress time.Duration
	bodyTimeout    time.Duration
	clients        clientAddrResolver
	inFlight       chan struct{}   // nil: no bound
	dashboard      http.Handler    // nil: no dashboard
	limitsState    func() string   // nil: no "limits" in /readyz
	metrics        RequestObserver // nil: none
	metricsHandler http.Handler    // nil: no /metrics
	throttled      *throttleLog
}

// NewServer returns the HTTP handler serving the whole API: the legacy
// account endpoints, secret management, health checks and, when
// cfg.AdminToken is set, the admin API. It panics if cfg.Service is nil or
// a bound is not positive, which is a wiring mistake rather than a runtime
// condition.
func NewServer(cfg Config) http.Handler {
	if cfg.Service == nil {
		panic("httpapi.NewServer: Config.Service is nil")
	}
	if cfg.MaxBodyBytes <= 0 || cfg.ReadyTimeout <= 0 || cfg.ImportProgressTimeout <= 0 || cfg.BodyReadTimeout <= 0 {
		panic("httpapi.NewServer: Config.MaxBodyBytes, ReadyTimeout, ImportProgressTimeout and BodyReadTimeout must be positive")
	}
	s := &server{svc: cfg.Service, log: cfg.Logger, maxBody: cfg.MaxBodyBytes,
		readyTimeout: cfg.ReadyTimeout, importProgress: cfg.ImportProgressTimeout, bodyTimeout: cfg.BodyReadTimeout,
		dashboard: cfg.Dashboard, limitsState: cfg.LimitsState,
		metrics: cfg.Metrics, metricsHandler: cfg.MetricsHandler, throttled: newThrottleLog(cfg.Clock)}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.clients = clientAddrResolver{trusted: cfg.TrustedProxies, header: HeaderXForwardedFor}
	switch cfg.ClientIPHeader {
	case "", HeaderXForwardedFor:
	case HeaderForwarded:
		s.clients.header = HeaderForwarded
	default:
		panic("httpapi.NewServer: Config.ClientIPHeader must be X-Forwarded-For or Forwarded")
	}
	if cfg.MaxInFlight > 0 {
		s.inFlight = make(chan struct{}, cfg.MaxInFlight)
	}
	if cfg.AdminToken != "" {
		// Only the digest is kept: comparing fixed-length digests keeps the
		// comparison constant-time whatever the length of either token.
		d := sha256.Sum256([]byte(cfg.AdminToken))
		s.adminDigest = &d
	}
	// Outermost first: every response gets a request id, is logged, is
	// protected from panics, and reads a bounded body.
	return s.withRequestState(s.logRequests(s.recoverPanics(s.limitBodies(s.routes()))))
}

// writeJSON sends v as a JSON response. HTML escaping is off so callback
// URLs keep their '&' readable; the output is still valid JSON.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeRaw(w, status, buf.Bytes())
}

// writeRaw sends an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}

// readBody reads the whole (already size-limited) request body. The error
// is either tooLarge() or a read failure; neither carries request text.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		return nil, badRequest("body", "could not be read")
	}
	return data, nil
}

// errNotObject and errTrailing are the only errors readJSONObject returns,
// so no decoder message (which may quote the input) ever reaches a client
// or a log.
var (
	errNotObject = errors.New("not a JSON object")
	errTrailing  = errors.New("data after the JSON object")
)

// readJSONObject parses data as exactly one JSON object and returns its
// members undecoded. Keys match exactly (encoding/json would also accept
// "SECRET" for "secret"); of duplicate keys the first wins, as for query
// and form parameters; anything but white space after the object is
// refused.
func readJSONObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	obj := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errNotObject
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errNotObject
		}
		if _, dup := obj[key]; !dup {
			obj[key] = v
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailing
	}
	return obj, nil
}

// readBodyObject reads an admin request's body, which must be exactly one
// JSON object, and returns its members undecoded.
func readBodyObject(r *http.Request) (map[string]json.RawMessage, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	obj, err := readJSONObject(data)
	if err != nil {
		return nil, badRequest("body", "must be one JSON object")
	}
	return obj, nil
}

// jsonString decodes member key of obj as a string. present is false when
// the member is absent; a member of another type (null included) is an
// EINVALID naming field.
func jsonString(obj map[string]json.RawMessage, key, field string) (v string, present bool, err error) {
	raw, ok := obj[key]
	if !ok {
		return "", false, nil
	}
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
		return "", true, account.Invalid(field, "must be a string")
	}
	return v, true, nil
}

// unknownMember reports whether obj has a member not in allowed. Which one
// is never echoed: a client may have put a secret in a key.
func unknownMember(obj map[string]json.RawMessage, allowed ...string) bool {
	for k := range obj {
		known := false
		for _, a := range allowed {
			if k == a {
				known = true
				break
			}
		}
		if !known {
			return true
		}
	}
	return false
}

// timestamp renders t as the API does: RFC 3339, UTC, whole seconds, "Z".
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}
