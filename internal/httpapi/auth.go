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
// enforces the account's call rate. A refusal by a limiter is logged at
// Debug with the client address and the limit hit, never the credentials;
// the 429 and its Retry-After are written by writeError.
func (s *server) authenticate(r *http.Request, key, secret string) (account.Account, error) {
	client := s.clients.addr(r)
	acct, err := s.svc.Authenticate(r.Context(), key, secret, client)
	s.logThrottled(r, client, err)
	return acct, err
}

// authenticateSigned is authenticate for a signed request: its key and all
// its parameters (sig and timestamp among them).
func (s *server) authenticateSigned(r *http.Request, key string, params []account.Param) (account.Account, error) {
	client := s.clients.addr(r)
	acct, err := s.svc.AuthenticateSigned(r.Context(), key, params, client)
	s.logThrottled(r, client, err)
	return acct, err
}

// logThrottled logs a limiter's refusal of client's credentials.
func (s *server) logThrottled(r *http.Request, client string, err error) {
	var le *account.LimitError
	if errors.As(err, &le) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request throttled",
			attrRequestID(stateOf(r).id), attrString("client", client),
			attrString("limit", le.Reason), slog.Duration("retry_after", le.After))
	}
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
		client := s.clients.addr(r)
		err := s.svc.AuthorizeAdmin(client, valid)
		var le *account.LimitError
		switch {
		case err == nil:
			next.ServeHTTP(w, r)
			return
		case errors.As(err, &le):
			s.logThrottled(r, client, err)
		default:
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "admin authentication failed",
				attrRequestID(stateOf(r).id), attrString("client", client))
			w.Header().Set("WWW-Authenticate", `Bearer realm="vonage-admin"`)
			err = account.Errorf(account.EUNAUTHORIZED, `a valid "Authorization: Bearer <token>" header is required`)
		}
		s.writeError(w, r, err)
	})
}
