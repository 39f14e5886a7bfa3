package httpapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// POST /admin/import provisions accounts in bulk. The body is JSON
// lines: one object per line, with the members of POST /admin/accounts
// (api_key required here, primary_api_key, balance, auto_reload, limits)
// and the first secret either in clear ("secret", hashed by the server at
// the server's cost, tens of milliseconds each) or already hashed
// ("secret_hash", an argon2id hash in the encoding the server writes,
// $argon2id$v=19$m=...,t=...,p=...$salt$hash, made offline), never both.
// Blank lines are ignored; line numbers count every line from 1.
//
// The body is read as a stream and written in batches of importBatch
// lines, each batch in one database transaction; the answer is a summary:
//
//	{"imported":n,"skipped":n,"failed":n,"errors":[{"line":n,"message":"..."}]}
//
// skipped counts lines whose API key already exists: those accounts are
// left as they are, so an interrupted import can simply be sent again.
// failed counts the other refused lines, each listed in errors (in line
// order, at most maxImportErrors) with a message that never quotes a
// secret. The answer is 200 whatever the number of refused lines.
//
// Each batch written extends the connection's deadlines, so a large body
// streams for as long as it keeps coming. When the body is cut short
// (larger than the server's body limit, or a read failure), the complete
// lines read so far are imported and the answer is the problem for that
// failure (413 or 400) with the summary members added and last_line, the
// last line processed: send the rest in another request. An unexpected
// failure is a 500 after which some batches may have been written: sending
// the import again is safe.

// importBatch is the number of lines written per database transaction.
const importBatch = 500

// maxImportErrors bounds the errors listed in the summary.
const maxImportErrors = 1000

// importLineBuffer is the longest line read; a longer one is refused.
const importLineBuffer = 16 << 10

// failLine counts a refused line and lists it while the list has room.
func failLine(sum *adminapi.ImportSummary, line int, message string) {
	sum.Failed++
	if len(sum.Errors) < maxImportErrors {
		sum.Errors = append(sum.Errors, adminapi.ImportLineError{Line: line, Message: message})
	} else {
		sum.ErrorsTruncated = true
	}
}

// sortErrors puts the errors in line order: a line refused when read comes
// before the refusals of its batch, which are known only when it is
// written.
func sortErrors(sum *adminapi.ImportSummary) {
	slices.SortStableFunc(sum.Errors, func(a, b adminapi.ImportLineError) int { return a.Line - b.Line })
}

// importCut is the answer when the body ends early: the problem and the
// summary of what was done before, with its LastLine.
type importCut struct {
	problem
	adminapi.ImportSummary
}

// importAccounts implements POST /admin/import.
func (s *server) importAccounts(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	sum := adminapi.ImportSummary{Errors: []adminapi.ImportLineError{}}
	batch := make([]account.ImportAccount, 0, importBatch)
	lines := make([]int, 0, importBatch)
	rc := http.NewResponseController(w)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		release, err := s.holdSlot(r.Context()) // none is held while lines arrive
		if err != nil {
			return err
		}
		errs, err := s.svc.ImportAccounts(r.Context(), batch)
		release()
		if err != nil {
			return err
		}
		// A long import is not a stuck request: each batch written
		// gives the connection's read and write deadlines another
		// Config.ImportProgressTimeout (where the server has them at all).
		_ = rc.SetReadDeadline(time.Now().Add(s.importProgress))
		_ = rc.SetWriteDeadline(time.Now().Add(s.importProgress))
		for j, err := range errs {
			switch e := account.AsError(err); {
			case err == nil:
				sum.Imported++
			case e != nil && e.Code == account.ECONFLICT && e.Field == "api_key":
				sum.Skipped++
			default:
				failLine(&sum, lines[j], lineMessage(err))
			}
		}
		batch, lines = batch[:0], lines[:0]
		return nil
	}

	lineNo := 0
	line := func(data []byte) error {
		lineNo++
		if len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		ia, err := parseImportLine(data)
		st.noteSecret(ia.Secret)
		if err != nil {
			failLine(&sum, lineNo, lineMessage(err))
			return nil
		}
		batch = append(batch, ia)
		lines = append(lines, lineNo)
		if len(batch) < importBatch {
			return nil
		}
		return flush()
	}

	br := bufio.NewReaderSize(r.Body, importLineBuffer)
	for {
		data, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			lineNo++
			failLine(&sum, lineNo, "line: longer than 16 KiB")
			err = skipLine(br)
		case err == nil || (err == io.EOF && len(data) > 0):
			// A complete line, or the last one without its newline. A
			// piece of line before any other error is left out: it may
			// have been cut.
			if ferr := line(data); ferr != nil {
				s.writeError(w, r, ferr)
				return
			}
		}
		if err == nil {
			continue
		}
		if ferr := flush(); ferr != nil {
			s.writeError(w, r, ferr)
			return
		}
		if err == io.EOF {
			break
		}
		// The body was cut: over the size limit, or the client went away.
		cause := badRequest("body", "could not be read to the end")
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			cause = tooLarge()
			cause.Message = "the request body is too large: send the lines after last_line in another request"
		}
		sortErrors(&sum)
		sum.LastLine = &lineNo
		kind := errorTable[cause.Code]
		s.writeJSON(w, r, kind.status, importCut{
			problem:       problem{Type: problemPrefix + kind.typ, Title: kind.title, Detail: cause.Message, Instance: st.id},
			ImportSummary: sum,
		})
		return
	}
	sortErrors(&sum)
	s.writeJSON(w, r, http.StatusOK, sum)
}

// skipLine discards the rest of an over-long line.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// lineMessage is the text of a refused line: an *account.Error's message
// (safe to show), and a generic one otherwise.
func lineMessage(err error) string {
	e := account.AsError(err)
	if e == nil {
		return "could not be imported"
	}
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// parseImportLine reads one line of an import. Errors are EINVALIDs naming
// the member at fault and never quote the line.
func parseImportLine(data []byte) (account.ImportAccount, error) {
	var ia account.ImportAccount
	obj, err := readJSONObject(data)
	if err != nil {
		return ia, badRequest("line", "must be one JSON object")
	}
	if ia.Secret, _, err = jsonString(obj, "secret", "secret"); err != nil {
		return ia, err
	}
	if unknownMember(obj, "api_key", "secret", "secret_hash", "primary_api_key", "balance", "auto_reload", "limits") {
		return ia, badRequest("line", "has an unknown member; allowed: api_key, secret, secret_hash, primary_api_key, balance, auto_reload, limits")
	}
	if ia.SecretHash, _, err = jsonString(obj, "secret_hash", "secret_hash"); err != nil {
		return ia, err
	}
	err = readAccountMembers(obj, &ia.NewAccount)
	return ia, err
}
