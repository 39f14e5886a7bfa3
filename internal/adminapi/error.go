package adminapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Error is an answer of the admin API other than the call's success: its
// status and, when the body is an RFC 7807 problem, the problem's members
// (Title is empty otherwise). Match it with errors.As. The client scrubs
// the admin token and any secret it sent from every member.
type Error struct {
	Status            int
	Type              string
	Title             string
	Detail            string
	Instance          string // the request id
	InvalidParameters []InvalidParameter

	// Replayed is true when the server answered a repeated
	// Idempotency-Key with the first answer: no money moved now.
	Replayed bool
}

// InvalidParameter names one refused request member and why.
type InvalidParameter struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Error reads "admin API: 402 Payment Required: <detail> (<name>: <reason>)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("admin API: " + strconv.Itoa(e.Status) + " ")
	if e.Title != "" {
		b.WriteString(e.Title)
	} else {
		b.WriteString(http.StatusText(e.Status))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, p := range e.InvalidParameters {
		if !strings.Contains(e.Detail, p.Reason) {
			b.WriteString(" (" + p.Name + ": " + p.Reason + ")")
		}
	}
	return b.String()
}

func newError(resp *http.Response, data []byte, secrets []string) *Error {
	e := &Error{Status: resp.StatusCode}
	var p struct {
		Type              string             `json:"type"`
		Title             string             `json:"title"`
		Detail            string             `json:"detail"`
		Instance          string             `json:"instance"`
		InvalidParameters []InvalidParameter `json:"invalid_parameters"`
	}
	if json.Unmarshal(data, &p) != nil || p.Title == "" {
		return e
	}
	e.Type, e.Title, e.Detail, e.Instance = scrub(p.Type, secrets), scrub(p.Title, secrets), scrub(p.Detail, secrets), scrub(p.Instance, secrets)
	for _, ip := range p.InvalidParameters {
		e.InvalidParameters = append(e.InvalidParameters, InvalidParameter{Name: scrub(ip.Name, secrets), Reason: scrub(ip.Reason, secrets)})
	}
	return e
}

// ErrTransport matches (errors.Is) a call that got no complete answer: a
// money movement may or may not have happened, and retrying it with the
// same idempotency key is safe.
var ErrTransport = errors.New("adminapi: no answer")

// ErrDecode matches a success answer whose body is not the documented JSON.
var ErrDecode = errors.New("adminapi: the server's answer is not the documented JSON")

// transportError is a failure to send or to read an answer. Its text is
// the cause's, scrubbed.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string   { return e.msg }
func (e *transportError) Unwrap() []error { return []error{ErrTransport, e.err} }

// scrub replaces every non-empty secret in text with REDACTED.
func scrub(text string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "REDACTED")
		}
	}
	return text
}
