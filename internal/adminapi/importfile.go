package adminapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Reading an import file and sending it in batches: what `vonage admin
// import FILE` does, so that the command only prints.
//
// A file is JSON lines (one ImportLine object per line) or CSV whose first
// row names the columns (see csvColumns); the first byte that is not white
// space tells which: '{' is JSON lines. Lines are numbered from 1 as an
// editor numbers them, the CSV header included, so a refused line is
// reported by the number the operator sees.

// LineError is a line of the file that could not be read, or that the
// server refused. Message never quotes the line (it may hold a secret).
type LineError struct {
	Line    int
	Message string
}

func (e *LineError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Message }

// csvColumns are the CSV header names: ImportLine's members, with
// auto_reload and limits spread over one column each. An empty cell is an
// absent member.
var csvColumns = []string{
	"api_key", "secret", "secret_hash", "primary_api_key", "balance",
	"auto_reload_threshold", "auto_reload_amount",
	"max_outbound_request", "max_inbound_request", "max_calls_per_second",
}

// ImportReader reads the accounts of an import file one line at a time.
type ImportReader struct {
	next func() (ImportLine, int, error)
}

// NewImportReader returns a reader of r, JSON lines or CSV. A CSV header
// naming an unknown column, or none at all, is a *LineError for line 1.
func NewImportReader(r io.Reader) (*ImportReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err == io.EOF {
		return &ImportReader{next: func() (ImportLine, int, error) { return ImportLine{}, 0, io.EOF }}, nil
	}
	if err != nil {
		return nil, err
	}
	if first == '{' {
		return &ImportReader{next: jsonLines(br)}, nil
	}
	next, err := csvLines(br)
	if err != nil {
		return nil, err
	}
	return &ImportReader{next: next}, nil
}

// Next returns the next account and its line number; io.EOF after the
// last. A line that cannot be read is a *LineError, and Next can be
// called again for the lines after it; any other error ends the file.
func (ir *ImportReader) Next() (ImportLine, int, error) { return ir.next() }

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
			if n == br.Size() {
				return 0, errors.New("import file: no data in its first 64 KiB")
			}
		default:
			return c, nil
		}
	}
}

// maxLine is the longest JSON line read, as the server's limit (16 KiB).
const maxLine = 16 << 10

func jsonLines(br *bufio.Reader) func() (ImportLine, int, error) {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	line := 0
	return func() (ImportLine, int, error) {
		for sc.Scan() {
			line++
			data := bytes.TrimSpace(sc.Bytes())
			if len(data) == 0 {
				continue
			}
			l, err := decodeLine(data)
			if err != nil {
				return ImportLine{}, line, &LineError{Line: line, Message: err.Error()}
			}
			return l, line, nil
		}
		if errors.Is(sc.Err(), bufio.ErrTooLong) {
			return ImportLine{}, line + 1, fmt.Errorf("import file: line %d is longer than 16 KiB", line+1)
		}
		if err := sc.Err(); err != nil {
			return ImportLine{}, line, err
		}
		return ImportLine{}, line, io.EOF
	}
}

// decodeLine reads one JSON line strictly. Its errors name a member at
// most, never a value.
func decodeLine(data []byte) (ImportLine, error) {
	var l ImportLine
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&l)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return l, fmt.Errorf("%s: has the wrong type", te.Field)
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field"):
		return l, errors.New("has an unknown member; allowed: api_key, secret, secret_hash, primary_api_key, balance, auto_reload, limits")
	case err != nil || dec.More():
		return l, errors.New("is not one JSON object")
	}
	return l, checkLine(l)
}

// checkLine refuses what the server would refuse for any account, so the
// operator hears of it before anything is sent.
func checkLine(l ImportLine) error {
	switch {
	case l.APIKey == "":
		return errors.New("api_key: is required")
	case l.Secret == "" && l.SecretHash == "":
		return errors.New("secret: is required (or secret_hash); an export has none: give each line one")
	case l.Secret != "" && l.SecretHash != "":
		return errors.New("secret_hash: give either secret or secret_hash, not both")
	}
	return nil
}

func csvLines(br *bufio.Reader) (func() (ImportLine, int, error), error) {
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked below, to report the line
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, &LineError{Line: 1, Message: "is not a CSV header row"}
	}
	col := make(map[string]int, len(header))
	for i, name := range header {
		name = strings.TrimSpace(strings.ReplaceAll(name, "-", "_"))
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's byte order mark
		}
		if !slices.Contains(csvColumns, name) {
			return nil, &LineError{Line: 1, Message: fmt.Sprintf("column %d: unknown; allowed: %s", i+1, strings.Join(csvColumns, ", "))}
		}
		if _, dup := col[name]; dup {
			return nil, &LineError{Line: 1, Message: fmt.Sprintf("column %d: %s named twice", i+1, name)}
		}
		col[name] = i
	}
	if _, ok := col["api_key"]; !ok {
		return nil, &LineError{Line: 1, Message: "has no api_key column"}
	}
	return func() (ImportLine, int, error) {
		for {
			rec, err := cr.Read()
			var pe *csv.ParseError
			switch {
			case err == io.EOF:
				return ImportLine{}, 0, io.EOF
			case errors.As(err, &pe):
				return ImportLine{}, pe.StartLine, &LineError{Line: pe.StartLine, Message: "is not valid CSV"}
			case err != nil:
				return ImportLine{}, 0, err
			}
			line, _ := cr.FieldPos(0) // only valid after a record was read
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			if len(rec) != len(header) {
				return ImportLine{}, line, &LineError{Line: line, Message: fmt.Sprintf("has %d fields, the header %d", len(rec), len(header))}
			}
			l, err := csvLine(rec, col)
			if err == nil {
				err = checkLine(l)
			}
			if err != nil {
				return ImportLine{}, line, &LineError{Line: line, Message: err.Error()}
			}
			return l, line, nil
		}
	}, nil
}

// csvLine builds an ImportLine from one CSV record.
func csvLine(rec []string, col map[string]int) (ImportLine, error) {
	cell := func(name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	l := ImportLine{
		APIKey: cell("api_key"), Secret: cell("secret"), SecretHash: cell("secret_hash"),
		PrimaryAPIKey: cell("primary_api_key"), Balance: cell("balance"),
	}
	if t, a := cell("auto_reload_threshold"), cell("auto_reload_amount"); t != "" || a != "" {
		if t == "" || a == "" {
			return l, errors.New("auto_reload: give both auto_reload_threshold and auto_reload_amount, or neither")
		}
		l.AutoReload = &AutoReload{Threshold: t, Amount: a}
	}
	var limits LimitsPatch
	for _, m := range []struct {
		name string
		dst  **int
	}{
		{"max_outbound_request", &limits.MaxOutboundRequest},
		{"max_inbound_request", &limits.MaxInboundRequest},
		{"max_calls_per_second", &limits.MaxCallsPerSecond},
	} {
		v := cell(m.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return l, errors.New(m.name + ": must be an integer")
		}
		*m.dst = &n
		l.Limits = &limits
	}
	return l, nil
}

// ImportProgress is where an import stands: the lines read from the file
// and sent to the server, and the server's verdicts so far.
type ImportProgress struct {
	Read     int // accounts read from the file, refused lines included
	Sent     int // accounts sent to the server
	Imported int
	Skipped  int // the key exists already: left alone
	Failed   int // refused, by the reader or the server; each in the summary's Errors
}

// ImportOptions tune ImportFile.
type ImportOptions struct {
	// BatchLines is the number of accounts sent per request (500 when 0):
	// the server writes each request's accounts in one transaction per
	// 500, so a request is never half applied by an unexpected failure.
	BatchLines int
	// BatchBytes bounds a request's body (48 KiB when 0), below the
	// server's default body limit (64 KiB; a longer body is cut with a
	// 413): a batch is sent early when the next account would not fit.
	BatchBytes int
	// Progress, when set, is called after each request with the totals.
	Progress func(ImportProgress)
}

// defaultImportBatch matches the server's batch (internal/httpapi
// importBatch): one request, one database transaction.
const defaultImportBatch = 500

// defaultImportBytes keeps a request under the server's default
// MaxBodyBytes (64 KiB) with room to spare; a line is at most 16 KiB, so a
// batch always holds at least one.
const defaultImportBytes = 48 << 10

// ImportFile reads accounts from src (JSON lines or CSV) and imports them
// in requests of opt.BatchLines accounts, calling opt.Progress after each.
// The summary counts every line: refused lines are listed in Errors by
// their line number in the file (the reader's refusals were never sent).
// Each account is written whole or not at all: its secret, its opening
// credit and the account itself go in one transaction, and a refused line
// leaves nothing behind. Sending the same file again is safe: accounts that
// exist are skipped. An error that is not a line's stops the import; the
// summary then says what was done before it.
func (c *Client) ImportFile(ctx context.Context, src io.Reader, opt ImportOptions) (ImportSummary, error) {
	sum := ImportSummary{Errors: []ImportLineError{}}
	var prog ImportProgress
	ir, err := NewImportReader(src)
	if err != nil {
		var le *LineError
		if errors.As(err, &le) {
			sum.Failed++
			sum.Errors = append(sum.Errors, ImportLineError{Line: le.Line, Message: le.Message})
		}
		return sum, err
	}
	size := opt.BatchLines
	if size <= 0 {
		size = defaultImportBatch
	}
	maxBytes := opt.BatchBytes
	if maxBytes <= 0 {
		maxBytes = defaultImportBytes
	}
	var (
		body  bytes.Buffer
		lines []int // the file's line number of each line of body
		enc   = json.NewEncoder(&body)
	)
	enc.SetEscapeHTML(false)
	send := func() error {
		if len(lines) == 0 {
			return nil
		}
		got, err := c.Import(ctx, bytes.NewReader(body.Bytes()))
		prog.Sent += len(lines)
		sum.Imported += got.Imported
		sum.Skipped += got.Skipped
		sum.Failed += got.Failed
		for _, e := range got.Errors {
			if e.Line >= 1 && e.Line <= len(lines) {
				e.Line = lines[e.Line-1] // the request's line number to the file's
			}
			sum.Errors = append(sum.Errors, e)
		}
		sum.ErrorsTruncated = sum.ErrorsTruncated || got.ErrorsTruncated
		prog.Imported, prog.Skipped, prog.Failed = sum.Imported, sum.Skipped, sum.Failed
		body.Reset()
		lines = lines[:0]
		if opt.Progress != nil {
			opt.Progress(prog)
		}
		return err
	}
	for {
		l, line, err := ir.Next()
		if err == io.EOF {
			break
		}
		var le *LineError
		switch {
		case errors.As(err, &le):
			prog.Read++
			sum.Failed++
			sum.Errors = append(sum.Errors, ImportLineError{Line: le.Line, Message: le.Message})
			continue
		case err != nil:
			_ = send()
			return sum, err
		}
		prog.Read++
		mark := body.Len()
		if err := enc.Encode(l); err != nil {
			return sum, err
		}
		if mark > 0 && body.Len() > maxBytes { // send what was there, then this line
			next := append([]byte(nil), body.Bytes()[mark:]...)
			body.Truncate(mark)
			if err := send(); err != nil {
				return sum, err
			}
			body.Write(next)
		}
		lines = append(lines, line)
		if len(lines) == size {
			if err := send(); err != nil {
				return sum, err
			}
		}
	}
	if err := send(); err != nil {
		return sum, err
	}
	// The reader's and the server's refusals of a batch arrive apart.
	slices.SortStableFunc(sum.Errors, func(a, b ImportLineError) int { return a.Line - b.Line })
	return sum, nil
}
