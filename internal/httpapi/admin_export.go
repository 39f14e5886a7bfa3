package httpapi

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// GET /admin/export writes every account as JSON lines in the format of
// POST /admin/import, without secrets: {"api_key", "primary_api_key",
// "balance", "auto_reload", "limits"}. Primary accounts come first, then
// subaccounts, each part ordered by key, so that a subaccount's line
// follows its primary's as the import needs. To re-import, give each line
// a "secret" (or a "secret_hash") first: secrets are never exported.
// Callback URLs and the ledger's history are not part of the format; a
// re-imported balance starts as one opening credit.
//
// The export reads the accounts a page at a time, so it is not a snapshot
// (GET /admin/backup is): an account created meanwhile may or may not be
// in it. It takes a MaxInFlight slot per page, not for the whole stream,
// and each page written gives the connection another
// ImportProgressTimeout to write in. A failure after the first line cuts
// the connection, so a short export never looks complete.

// exportPage is the number of accounts read per page of an export.
const exportPage = account.MaxAccountPage

// exportAccounts implements GET /admin/export.
func (s *server) exportAccounts(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery != "" {
		s.writeError(w, r, badRequest("query", "has an unknown parameter; allowed: none"))
		return
	}
	pw := s.progressWriter(w)
	bw := bufio.NewWriterSize(pw, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	started := false
	for _, subaccounts := range []bool{false, true} {
		q := account.AccountQuery{Limit: exportPage}
		for {
			page, next, err := s.exportPage(r, q)
			if err != nil {
				if !started {
					s.writeError(w, r, err)
					return
				}
				s.abortStream(r, "export", err)
			}
			if !started {
				w.Header().Set("Content-Type", "application/x-ndjson")
				w.WriteHeader(http.StatusOK)
				started = true
			}
			for _, acct := range page {
				if (acct.PrimaryAPIKey != "") != subaccounts {
					continue
				}
				if err := enc.Encode(exportLine(acct)); err != nil {
					s.abortStream(r, "export", err)
				}
			}
			if err := bw.Flush(); err != nil {
				s.abortStream(r, "export", err)
			}
			if next == "" {
				break
			}
			q.After = next
		}
	}
}

// exportPage reads one page of accounts holding a MaxInFlight slot.
func (s *server) exportPage(r *http.Request, q account.AccountQuery) ([]account.Account, string, error) {
	release, err := s.holdSlot(r.Context())
	if err != nil {
		return nil, "", err
	}
	defer release()
	return s.svc.ListAccounts(r.Context(), q)
}

// exportLine is an account as an import line, without a secret.
func exportLine(acct account.Account) adminapi.ImportLine {
	l := acct.Limits
	line := adminapi.ImportLine{
		APIKey:        acct.APIKey,
		PrimaryAPIKey: acct.PrimaryAPIKey,
		Balance:       acct.Balance.String(),
		Limits:        &adminapi.LimitsPatch{MaxOutboundRequest: &l.MaxOutboundRequest, MaxInboundRequest: &l.MaxInboundRequest, MaxCallsPerSecond: &l.MaxCallsPerSecond},
	}
	if ar := acct.AutoReload; ar != nil {
		line.AutoReload = &adminapi.AutoReload{Threshold: ar.Threshold.String(), Amount: ar.Amount.String()}
	}
	return line
}

// backup implements GET /admin/backup: a consistent copy of the live
// SQLite database (account.Service.Backup), streamed as
// application/vnd.sqlite3; on PostgreSQL a 501 problem pointing to
// pg_dump. The copy is made before the first byte is sent, so a failure
// to make it is a problem; a failure while sending cuts the connection.
func (s *server) backup(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery != "" {
		s.writeError(w, r, badRequest("query", "has an unknown parameter; allowed: none"))
		return
	}
	out := &startOnWrite{w: s.progressWriter(w), start: func() {
		w.Header().Set("Content-Type", "application/vnd.sqlite3")
		w.Header().Set("Content-Disposition", `attachment; filename="vonage-backup.db"`)
		w.Header().Set("Cache-Control", "no-store") // it holds the secrets' hashes
		w.WriteHeader(http.StatusOK)
	}}
	err := s.svc.Backup(r.Context(), out)
	switch {
	case err == nil:
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "database backup sent", attrRequestID(stateOf(r).id), slog.Int64("bytes", out.n))
	case out.n == 0 && !out.started:
		s.writeError(w, r, err)
	default:
		s.abortStream(r, "backup", err)
	}
}

// startOnWrite calls start before its first write: the status and headers
// are sent only once there is something to send.
type startOnWrite struct {
	w       interface{ Write([]byte) (int, error) }
	start   func()
	started bool
	n       int64
}

func (s *startOnWrite) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.start()
	}
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

// progressWriter returns a writer to w that gives the connection another
// ImportProgressTimeout to write in before each write: a long stream is
// not a stuck request.
func (s *server) progressWriter(w http.ResponseWriter) *deadlineWriter {
	return &deadlineWriter{w: w, rc: http.NewResponseController(w), d: s.importProgress}
}

type deadlineWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (dw *deadlineWriter) Write(p []byte) (int, error) {
	_ = dw.rc.SetWriteDeadline(time.Now().Add(dw.d)) // not every writer has deadlines
	return dw.w.Write(p)
}

// abortStream logs why a stream stopped after its status was sent and cuts
// the connection, so the client sees a broken transfer, not a short one.
func (s *server) abortStream(r *http.Request, what string, err error) {
	st := stateOf(r)
	s.log.LogAttrs(r.Context(), slogError, what+" stopped after it started",
		attrRequestID(st.id), attrString("error", st.redact(err.Error())))
	panic(http.ErrAbortHandler)
}
