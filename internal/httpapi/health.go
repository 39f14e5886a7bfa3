package httpapi

import (
	"context"
	"net/http"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/buildinfo"
)

// statusBody is the body of a passing health check. Limits, in /readyz
// with --limits-url, says where the limits are counted: an instance whose
// Redis does not answer still serves, on its own limits, so it stays ready
// and says so here.
type statusBody struct {
	Status string `json:"status"`
	Limits string `json:"limits,omitempty"`
}

// healthz answers 200 while the process serves requests (contract section
// 7): a liveness probe that never touches the database.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, statusBody{Status: "ok"})
}

// readyz answers 200 only when the database answers a ping, else 503, so a
// load balancer stops sending traffic to an instance that cannot serve it.
// The ping asks whether a write is possible too (on SQLite: the file is
// still the one opened, the disk has room, a rolled-back write succeeds),
// and is bounded by ReadyTimeout as well as the service's database
// deadline. Its error goes to the log, not to the (unauthenticated) caller.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.readyTimeout)
	defer cancel()
	if err := s.svc.Ping(ctx); err != nil {
		st := stateOf(r)
		s.log.LogAttrs(r.Context(), slogError, "readiness check failed",
			attrRequestID(st.id), attrString("error", st.redact(err.Error())))
		s.writeError(w, r, &account.Error{Code: codeUnavailable, Message: "the database does not answer or cannot be written"})
		return
	}
	body := statusBody{Status: "ready"}
	if s.limitsState != nil {
		body.Limits = s.limitsState()
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// version answers the running build's version and commit (contract
// section 7), the values of the metrics' vonage_build_info.
func (s *server) version(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, buildinfo.Get())
}
