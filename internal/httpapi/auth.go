package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// authenticate checks credentials through the domain, which counts
// failures under the request's client address (clientaddr.go) and
// enforces the account's call rate. The key is kept for the request's log
// line when it has the shape of an API key (loggableKey). A refusal by a
// limiter is logged at Warn with the client address, the key and the
// limit hit, never the secret; the 429 and its Retry-After are written by
// writeError.
func (s *server) authenticate(r *http.Request, key, secret string) (account.Account, error) {
	st := stateOf(r)
	st.apiKey = loggableKey(key)
	acct, err := s.svc.Authenticate(r.Context(), key, secret, s.clientAddr(r))
	s.logThrottled(r, err)
	return acct, err
}

// authenticateSigned is authenticate for a signed request: its key and all
// its parameters (sig and timestamp among them).
func (s *server) authenticateSigned(r *http.Request, key string, params []account.Param) (account.Account, error) {
	stateOf(r).apiKey = loggableKey(key)
	acct, err := s.svc.AuthenticateSigned(r.Context(), key, params, s.clientAddr(r))
	s.logThrottled(r, err)
	return acct, err
}

// logThrottled logs a limiter's refusal, a security event, as often as
// throttleLog lets it.
func (s *server) logThrottled(r *http.Request, err error) {
	if err == nil {
		return
	}
	var le *account.LimitError
	if !errors.As(err, &le) {
		return
	}
	key := stateOf(r).apiKey
	write, repeats, others := s.throttled.note(throttleKey{apiKey: key, client: s.clientAddr(r), limit: le.Reason})
	if !write {
		return
	}
	attrs := []slog.Attr{attrString("api_key", key), attrString("limit", le.Reason), slog.Float64("retry_after_s", le.After.Seconds())}
	if repeats > 0 {
		attrs = append(attrs, slog.Int("repeats", repeats))
	}
	if others > 0 {
		attrs = append(attrs, slog.Int("unlogged_others", others))
	}
	s.securityEvent(r, slog.LevelWarn, "request throttled", attrs...)
}

// securityEvent logs what happened to which key (in attrs) with the
// request's id and client address.
func (s *server) securityEvent(r *http.Request, level slog.Level, msg string, attrs ...slog.Attr) {
	attrs = append([]slog.Attr{attrRequestID(stateOf(r).id), attrString("client", s.clientAddr(r))}, attrs...)
	s.log.LogAttrs(r.Context(), level, msg, attrs...)
}

// loggableKey returns key if it can be logged: 1 to 64 characters of
// a-z and 0-9. A secret needs an upper-case letter (account.ValidateSecret),
// so a client that swapped key and secret never gets its secret logged.
func loggableKey(key string) string {
	if key == "" || len(key) > 64 {
		return ""
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return key
}

// requireAdmin lets a request through only with Authorization: Bearer and
// the configured token. The SHA-256 digests of the two tokens are compared
// in constant time, so neither the token's content nor its length leaks
// through timing. Failed attempts count against the client address in the
// domain's failure limits (account.Service.AuthorizeAdmin): past them the
// address gets 429 with Retry-After, even with the right token. Each wrong
// token is logged at Warn with the client address, never the token.
func (s *server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		stateOf(r).noteSecret(token)
		got := sha256.Sum256([]byte(token))
		match := subtle.ConstantTimeCompare(got[:], s.adminDigest[:]) == 1
		valid := strings.EqualFold(scheme, "Bearer") && token != "" && match
		err := s.svc.AuthorizeAdmin(s.clientAddr(r), valid)
		switch {
		case err == nil:
			next.ServeHTTP(w, r)
			return
		case errors.As(err, new(*account.LimitError)):
			s.logThrottled(r, err)
		default:
			s.securityEvent(r, slog.LevelWarn, "admin authentication failed", attrString("route", stateOf(r).route))
			w.Header().Set("WWW-Authenticate", `Bearer realm="vonage-admin"`)
			err = account.Errorf(account.EUNAUTHORIZED, `a valid "Authorization: Bearer <token>" header is required`)
		}
		s.writeError(w, r, err)
	})
}
