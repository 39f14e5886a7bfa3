package vonage

import (
	"net/url"
	"strconv"
	"strings"
)

// redacted replaces every secret the SDK keeps out of error strings.
const redacted = "REDACTED"

// sensitiveParam reports whether a query or form parameter carries a secret. The
// legacy endpoints put api_secret in the query string, so URLs in errors must be
// scrubbed before anyone sees them.
func sensitiveParam(name string) bool {
	switch strings.ToLower(name) {
	case "api_secret", "secret":
		return true
	}
	return false
}

// redactQuery replaces the values of secret-bearing parameters in an encoded query
// string or form body with REDACTED, keeping the order and encoding of the rest.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		key, _, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if sensitiveParam(name) {
			parts[i] = key + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// redactURL returns rawURL with secret query parameters and any userinfo password
// replaced by REDACTED. It never returns the input unscrubbed, even when the URL
// does not parse.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		before, query, found := strings.Cut(rawURL, "?")
		if !found {
			return before
		}
		return before + "?" + redactQuery(query)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	u.RawQuery = redactQuery(u.RawQuery)
	return u.String()
}

// scrubber replaces each literal secret, raw or URL-escaped, in a text. It is the
// belt to redactURL's braces: whatever a server or a library echoes back, the
// secret does not reach an error string.
type scrubber []string

func newScrubber(secrets ...string) scrubber {
	var s scrubber
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		s = append(s, secret, url.QueryEscape(secret), url.PathEscape(secret))
	}
	return s
}

func (s scrubber) text(t string) string {
	for _, secret := range s {
		if secret != "" {
			t = strings.ReplaceAll(t, secret, redacted)
		}
	}
	return t
}

// error returns err, or a stand-in whose text is scrubbed. A *url.Error (which is
// what net/http returns, and which quotes the full URL with its query) is rebuilt
// with a redacted URL, so errors.As still finds a *url.Error and its Timeout
// method still works. An error whose text holds a secret is replaced by one with
// the cleaned text that wraps, scrubbed the same way, what the original wrapped:
// errors.Is still finds context.Canceled or a net error below it, and nothing
// reachable by unwrapping holds the secret.
func (s scrubber) error(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		err = &url.Error{Op: ue.Op, URL: s.text(redactURL(ue.URL)), Err: s.error(ue.Err)}
	}
	msg := err.Error()
	clean := s.text(msg)
	if clean == msg {
		return err
	}
	e := &scrubbedError{msg: clean}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if next := s.error(u.Unwrap()); next != nil {
			e.next = []error{next}
		}
	case interface{ Unwrap() []error }:
		for _, inner := range u.Unwrap() {
			if next := s.error(inner); next != nil {
				e.next = append(e.next, next)
			}
		}
	}
	return e
}

// scrubbedError stands in for an error whose text held a secret.
type scrubbedError struct {
	msg  string
	next []error
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Unwrap() []error { return e.next }

// GoString keeps %#v from printing the wrapped errors' fields.
func (e *scrubbedError) GoString() string {
	return "&vonage.scrubbedError{" + strconv.Quote(e.msg) + "}"
}
