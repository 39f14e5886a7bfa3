package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

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
	var le *account.LimitError
	if errors.As(err, &le) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request throttled",
			attrRequestID(stateOf(r).id), attrString("client", client),
			attrString("limit", le.Reason), slog.Duration("retry_after", le.After))
	}
	return acct, err
}
