package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// vonage admin import FILE (issue 14 item 4): the accounts of a JSON-lines
// or CSV file, sent in batches by adminapi.ImportFile, with a progress bar
// on a terminal (periodic lines otherwise) and a summary that names every
// refused line by its number in the file.

var adminImportCmd = command{
	name:  "admin import",
	args:  []string{"FILE"},
	usage: "admin import [flags] FILE",
	summary: `Creates the accounts of FILE ("-" for stdin), JSON lines or CSV:

    {"api_key":"acme0001","secret":"Sup3rSecret1","balance":"10.00"}

    api_key,secret,primary_api_key,balance,auto_reload_threshold,auto_reload_amount
    acme0002,Sup3rSecret2,acme0001,5.00,,

Each line has api_key and either secret or secret_hash (an argon2id hash);
primary_api_key, balance, auto_reload and limits are optional (CSV columns:
auto_reload_threshold, auto_reload_amount, max_outbound_request,
max_inbound_request, max_calls_per_second). Accounts are sent in batches;
each account is created whole or not at all, and one that exists already is
skipped, so running the same file again after a failure is safe.

Progress goes to stderr: a bar on a terminal, else a line every
--progress-every. The summary counts the accounts imported, skipped and
failed, and lists each failed line by its number in FILE (never its
content); the exit status is 1 when any line failed.`,
}

// importJSON is admin import --json.
type importJSON struct {
	Imported        int                        `json:"imported"`
	Skipped         int                        `json:"skipped"`
	Failed          int                        `json:"failed"`
	Errors          []adminapi.ImportLineError `json:"errors"`
	ErrorsTruncated bool                       `json:"errors_truncated"`
	Seconds         float64                    `json:"seconds"`
}

// maxFailedShown bounds the failed lines the table lists; --json lists
// every one the server reported.
const maxFailedShown = 50

func (c *cli) adminImportCmd() *cobra.Command {
	var (
		af    adminFlags
		every time.Duration
		batch int
	)
	return c.leaf(adminImportCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		if every < 0 {
			return c.misuse(cmd, errors.New("--progress-every must not be negative"))
		}
		if given(cmd, "batch") && (batch < 1 || batch > 5000) {
			return c.misuse(cmd, errors.New("--batch must be from 1 to 5000"))
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		src, total, err := openImport(c.stdin, pos[0])
		if err != nil {
			return err
		}
		defer src.Close()
		p := startProgress(c.stderr, total, every)
		sum, err := admin.ImportFile(ctx, src, adminapi.ImportOptions{BatchLines: batch, Progress: p.update})
		last := p.finish(err == nil, sum)
		out := importJSON{Imported: sum.Imported, Skipped: sum.Skipped, Failed: sum.Failed, Errors: sum.Errors,
			ErrorsTruncated: sum.ErrorsTruncated, Seconds: time.Since(p.start).Round(time.Millisecond).Seconds()}
		if out.Errors == nil {
			out.Errors = []adminapi.ImportLineError{}
		}
		if werr := c.writeImportSummary(out); werr != nil {
			return werr
		}
		if err != nil {
			var le *adminapi.LineError
			if errors.As(err, &le) { // the file's first line: nothing was sent
				return &cmdError{title: "Import refused", detail: le.Error() + "; nothing was imported"}
			}
			err = c.adminFailure(err)
			fmt.Fprintf(c.stderr, "The import stopped after %d of the file's accounts were sent. Run the same command again: accounts already imported are skipped.\n", last.Sent)
			return err
		}
		if sum.Failed > 0 {
			return &cmdError{title: "Import incomplete", detail: fmt.Sprintf("%d line(s) failed; correct them and import the file again (accounts already imported are skipped)", sum.Failed)}
		}
		return nil
	}, af.register, func(fs *flag.FlagSet) {
		fs.DurationVar(&every, "progress-every", 5*time.Second, "when stderr is not a terminal, print a progress line this often (0: after each batch instead)")
		fs.IntVar(&batch, "batch", 0, "accounts per request, 1 to 5000 (default 500: one database transaction on the server)")
	})
}

// openImport opens FILE, or stdin for "-", and returns the number of
// accounts it holds when it can tell (-1 otherwise), for the progress bar.
func openImport(stdin io.Reader, name string) (io.ReadCloser, int, error) {
	if name == "-" {
		return io.NopCloser(stdin), -1, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, &cmdError{title: "Cannot read the import file", detail: err.Error()}
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return f, -1, nil
	}
	total, err := countImportAccounts(f)
	if errors.Is(err, bufio.ErrTooLong) {
		total, err = -1, nil // the import says which line, by its number
	}
	if _, serr := f.Seek(0, io.SeekStart); err != nil || serr != nil {
		f.Close()
		return nil, 0, &cmdError{title: "Cannot read the import file", detail: errors.Join(err, serr).Error()}
	}
	return f, total, nil
}

// countImportAccounts counts the lines of an import file that are not blank,
// less the header row of a CSV file: its accounts, but for a CSV field
// that spans lines.
func countImportAccounts(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n, csv := 0, false
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if n == 0 {
			csv = line[0] != '{'
		}
		n++
	}
	if csv {
		n--
	}
	return n, sc.Err()
}
func (c *cli) writeImportSummary(out importJSON) error {
	if c.json {
		return writeJSON(c.stdout, out)
	}
	err := writeFields(c.stdout,
		field{"Imported", strconv.Itoa(out.Imported)},
		field{"Skipped (key exists)", strconv.Itoa(out.Skipped)},
		field{"Failed", strconv.Itoa(out.Failed)},
		field{"Time", fmt.Sprintf("%.1fs", out.Seconds)},
	)
	if err != nil || len(out.Errors) == 0 {
		return err
	}
	fmt.Fprintln(c.stdout, "\nFailed lines:")
	for i, e := range out.Errors {
		if i == maxFailedShown {
			fmt.Fprintf(c.stdout, "  ... and %d more (--json lists every one)\n", len(out.Errors)-i)
			break
		}
		fmt.Fprintf(c.stdout, "  line %d: %s\n", e.Line, e.Message)
	}
	if out.ErrorsTruncated {
		fmt.Fprintln(c.stdout, "  (the server reported only the first thousand of a batch's failures)")
	}
	return nil
}

// progressMeter shows an import's progress on w: on a terminal one bar
// line redrawn in place, ten times a second; otherwise a line every
// interval (after each batch when interval is 0); and a last one at the
// end. The ticks go on while a batch is on its way, so a slow batch (clear
// secrets are hashed by the server) still shows the time passing.
type progressMeter struct {
	w     io.Writer
	tty   bool
	total int // the file's accounts; -1 when unknown
	start time.Time
	stop  chan struct{}
	done  chan struct{}

	mu    sync.Mutex
	last  adminapi.ImportProgress
	drawn bool // a bar is on the terminal's last line
	each  bool // print after each batch
}

func startProgress(w io.Writer, total int, interval time.Duration) *progressMeter {
	p := &progressMeter{w: w, tty: isTerminalWriter(w), total: total, start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	if p.tty {
		interval = 100 * time.Millisecond
	}
	p.each = interval == 0
	go func() {
		defer close(p.done)
		if p.each {
			<-p.stop
			return
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				p.print(false)
				p.mu.Unlock()
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// isTerminalWriter reports whether w is a terminal, or stands in for one
// in a test (a writer with IsTerminal() true).
func isTerminalWriter(w io.Writer) bool {
	switch w := w.(type) {
	case interface{ IsTerminal() bool }:
		return w.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(w.Fd()))
	}
	return false
}

// update is the import's callback after each batch.
func (p *progressMeter) update(pr adminapi.ImportProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = pr
	if p.each {
		p.print(false)
	}
}

// finish stops the ticks, prints the final state with the summary's
// counts (100% when complete), ends the bar's line, and returns the final
// state.
func (p *progressMeter) finish(complete bool, sum adminapi.ImportSummary) adminapi.ImportProgress {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last.Imported, p.last.Skipped, p.last.Failed = sum.Imported, sum.Skipped, sum.Failed
	p.print(complete)
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
	return p.last
}

// print writes the state; p.mu is held.
func (p *progressMeter) print(complete bool) {
	pr := p.last
	elapsed := time.Since(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(pr.Sent) / s
	}
	pct := -1
	switch {
	case complete:
		pct = 100
	case p.total > 0:
		pct = min(99, pr.Read*100/p.total) // 100 only once every batch is answered
	}
	counts := fmt.Sprintf("%d sent: %d imported, %d skipped, %d failed; %.0f accounts/s, %s",
		pr.Sent, pr.Imported, pr.Skipped, pr.Failed, rate, elapsed.Round(100*time.Millisecond))
	if !p.tty {
		where := ""
		if pct >= 0 {
			where = fmt.Sprintf(" %3d%%", pct)
		}
		fmt.Fprintf(p.w, "import:%s %s\n", where, counts)
		return
	}
	const width = 30
	bar := ""
	if pct >= 0 {
		done := pct * width / 100
		bar = fmt.Sprintf("[%s%s] %3d%% ", strings.Repeat("=", done), strings.Repeat(" ", width-done), pct)
	}
	fmt.Fprintf(p.w, "\r\033[K%s%s", bar, counts) // \033[K: clear the rest of the line
	p.drawn = true
}
