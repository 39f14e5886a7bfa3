package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// problemPrefix starts every problem "type" URL (contract section 3).
const problemPrefix = "https://developer.nexmo.com/api-errors"

// Codes for failures the HTTP layer detects itself, before the domain is
// asked. They share the table below so every status is decided there.
const (
	codeNoRoute     account.Code = "no_route"
	codeMethod      account.Code = "method_not_allowed"
	codeTooLarge    account.Code = "body_too_large"
	codeUnavailable              = account.EUNAVAILABLE
)

// errorKind is how one error code looks on the wire.
type errorKind struct {
	status int
	// label is the legacy "error-code-label". Empty means "<field>:
	// <message>" from the error itself (validation errors).
	label string
	typ   string // problem "type", appended to problemPrefix
	title string // problem "title"
}

// errorTable is the one place that turns a domain error code into an HTTP
// status and a body, for both body shapes: legacy E1–E3 and RFC 7807 problem
// details everywhere else (contract section 3). A code missing here is
// answered as an internal error.
var errorTable = map[account.Code]errorKind{
	account.EINVALID:        {http.StatusBadRequest, "", "/account/secret-management#validation", "Bad Request"},
	account.EUNAUTHORIZED:   {http.StatusUnauthorized, "authentication failed", "#unauthorized", "Invalid credentials supplied"},
	account.ENOTFOUND:       {http.StatusNotFound, "not found", "#invalid-api-key", "Invalid API Key"},
	account.ESECRETNOTFOUND: {http.StatusNotFound, "not found", "#invalid-id", "Invalid ID"},
	account.ESECRETLIMIT:    {http.StatusForbidden, "secret addition forbidden", "/account/secret-management#add-excess-secret", "Secret Addition Forbidden"},
	account.ELASTSECRET:     {http.StatusForbidden, "secret deletion forbidden", "/account/secret-management#delete-last-secret", "Secret Deletion Forbidden"},
	account.EAUTORELOADOFF:  {http.StatusUnauthorized, "not auto-reload enabled", "#auto-reload-disabled", "Auto-Reload Not Enabled"},
	account.ECONFLICT:       {http.StatusConflict, "conflict", "#conflict", "Conflict"},
	account.EFUNDS:          {http.StatusPaymentRequired, "insufficient funds", "#insufficient-funds", "Insufficient Funds"},
	account.ERATELIMIT:      {http.StatusTooManyRequests, "rate limit exceeded", "#throttled", "Rate Limit Hit"},
	account.EINTERNAL:       {http.StatusInternalServerError, "internal error", "#internal-error", "Internal Server Error"},
	codeNoRoute:             {http.StatusNotFound, "not found", "#not-found", "Not Found"},
	codeMethod:              {http.StatusMethodNotAllowed, "method not allowed", "#method-not-allowed", "Method Not Allowed"},
	codeTooLarge:            {http.StatusRequestEntityTooLarge, "request body too large", "#payload-too-large", "Payload Too Large"},
	codeUnavailable:         {http.StatusServiceUnavailable, "service unavailable", "#unavailable", "Service Unavailable"},
}

// defaultRetryAfter is sent with a 429 when the error does not say how long
// to wait.
const defaultRetryAfter = time.Second

// legacyError is the body of an error on E1–E3; the code is a string.
type legacyError struct {
	Code  string `json:"error-code"`
	Label string `json:"error-code-label"`
}

// problem is an RFC 7807 problem details body.
type problem struct {
	Type              string             `json:"type"`
	Title             string             `json:"title"`
	Detail            string             `json:"detail"`
	Instance          string             `json:"instance"`
	InvalidParameters []invalidParameter `json:"invalid_parameters,omitempty"`
}

// invalidParameter names one rejected request field and why.
type invalidParameter struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// badRequest is an EINVALID raised by the HTTP layer (unparseable bodies,
// wrong types). message must not quote the request.
func badRequest(field, message string) *account.Error {
	return &account.Error{Code: account.EINVALID, Field: field, Message: message}
}

// tooLarge is the error for a body over Config.MaxBodyBytes.
func tooLarge() *account.Error {
	return &account.Error{Code: codeTooLarge, Message: "the request body is too large"}
}

// writeError answers err in the body shape of the route that failed. Only
// *account.Error messages reach the client (the domain guarantees they are
// safe); anything else is an internal error whose cause is only logged.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := account.AsError(err)
	if e == nil || e.Code == account.EINTERNAL {
		s.internalError(w, r, err)
		return
	}
	kind, ok := errorTable[e.Code]
	if !ok {
		s.internalError(w, r, err)
		return
	}
	if e.Code == account.ERATELIMIT || e.Code == codeUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(err)))
	}
	detail := e.Message
	if e.Field != "" {
		detail = e.Field + ": " + e.Message
	}
	st := stateOf(r)
	if st.family == legacyFamily {
		label := kind.label
		if label == "" {
			label = detail
		}
		s.writeLegacy(w, r, kind.status, legacyError{Code: strconv.Itoa(kind.status), Label: label})
		return
	}
	p := problem{Type: problemPrefix + kind.typ, Title: kind.title, Detail: detail, Instance: st.id}
	if e.Code == account.EINVALID && e.Field != "" {
		// The real service's words; what is wrong is in invalid_parameters.
		p.Detail = account.MsgValidation
		p.InvalidParameters = []invalidParameter{{Name: e.Field, Reason: e.Message}}
	}
	s.writeJSON(w, r, kind.status, p)
}

// internalError logs the cause of an unexpected failure and answers a
// generic 500 carrying only the request id. The logged text is scrubbed of
// every credential the request carried, in case a wrapped error quotes one.
func (s *server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r)
	cause := "<nil>"
	if err != nil {
		cause = st.redact(err.Error())
	}
	level, msg := slogError, "internal error"
	if ctxErr := r.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		// The client went away and the store gave up with it: nobody reads
		// this answer, and a flood of abandoned requests must not fill the
		// log with errors.
		level, msg = slog.LevelDebug, "request abandoned by the client"
	}
	s.log.LogAttrs(r.Context(), level, msg,
		attrRequestID(st.id), attrMethod(r), attrPath(r), attrString("error", cause))
	writeInternal(w, st)
}

// writeInternal writes the generic 500 body; it never fails, so panics can
// use it too.
func writeInternal(w http.ResponseWriter, st *requestState) {
	kind := errorTable[account.EINTERNAL]
	if st.family == legacyFamily {
		label := "internal error (request id " + st.id + ")"
		if st.xml {
			writeXML(w, kind.status, st.xmlRootOrDefault(), legacyError{Code: "500", Label: label}.xmlFields())
			return
		}
		body := `{"error-code":"500","error-code-label":"` + label + `"}` + "\n"
		writeRaw(w, kind.status, []byte(body))
		return
	}
	body := `{"type":"` + problemPrefix + kind.typ + `","title":"` + kind.title +
		`","detail":"An unexpected error occurred; quote the request id when reporting it.","instance":"` + st.id + `"}` + "\n"
	writeRaw(w, kind.status, []byte(body))
}

// retryAfterSeconds asks err how long the client should wait, through an
// optional RetryAfter method anywhere in its chain, so the domain can say
// it without this package changing.
func retryAfterSeconds(err error) int {
	d := defaultRetryAfter
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		d = ra.RetryAfter()
	}
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return secs
}
