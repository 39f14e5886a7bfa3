// Command vonage is the Account API server (`vonage serve`), a command line
// for the API built on the Go client, and the operator commands
// (`vonage admin ...`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	vonage "github.com/vonage/vonage-go-sdk"
)

func main() {
	ctx, stop := interruptible(context.Background())
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err))
}

// errInterrupted is the cause of the context's end after Ctrl-C (SIGINT):
// a command it stops exits 130, the shell's convention. SIGTERM ends the
// context too (serve drains and exits 0) but is not an interrupt.
var errInterrupted = errors.New("interrupted")

// interruptible returns a context cancelled with errInterrupted on SIGINT
// and with context.Canceled on SIGTERM.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sig:
			if s == os.Interrupt {
				cancel(errInterrupted)
			}
			cancel(context.Canceled)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(sig); cancel(context.Canceled) }
}

// run is the whole program; main only wires it to the process. Tests call it
// directly. It prints the error, if any, on stderr (a JSON object with
// --json) and returns it for the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	// --json is also looked for before parsing, so that a command line
	// that does not parse is reported as JSON too.
	end := len(args)
	if i := slices.Index(args, "--"); i >= 0 {
		end = i
	}
	c.json = slices.Contains(args[:end], "--json") || slices.Contains(args[:end], "--json=true")
	root := c.root()
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	err := root.ExecuteContext(ctx)
	var ie interruptedError
	if err != nil && errors.Is(context.Cause(ctx), errInterrupted) && !errors.As(err, &ie) {
		err = interruptedError{err: err}
	}
	c.report(err)
	return err
}

// report prints err on stderr: "vonage: <err>", or with --json an object
// {"error": ..., "exit_code": ...}.
func (c *cli) report(err error) {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	if !c.json {
		fmt.Fprintln(c.stderr, "vonage:", err)
		return
	}
	out := errorJSON{Error: err.Error(), Kind: errorKind(err), ExitCode: exitCode(err)}
	var ce *cmdError
	if errors.As(err, &ce) {
		out.Title, out.Detail = ce.title, ce.detail
	}
	_ = writeJSON(c.stderr, out)
}

// errorJSON is an error as --json prints it on stderr.
type errorJSON struct {
	Error    string `json:"error"`
	Kind     string `json:"kind"` // usage, authentication, not_found, interrupted or error
	Title    string `json:"title,omitempty"`
	Detail   string `json:"detail,omitempty"`
	ExitCode int    `json:"exit_code"`
}

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// interruptedError is a command stopped by Ctrl-C. msg, when set, is the
// line to print instead of "interrupted" (vonage listen's "listen
// stopped …").
type interruptedError struct {
	err error
	msg string
}

func (e interruptedError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return "interrupted"
}

func (e interruptedError) Unwrap() error { return e.err }

// Exit codes, so scripts can tell failures apart.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitAuth        = 3
	exitNotFound    = 4
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ie interruptedError
	switch {
	case errors.Is(err, flag.ErrHelp): // -h asked for help: not a failure
		return exitOK
	case errors.As(err, &ie):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, vonage.ErrAuthentication):
		return exitAuth
	case errors.Is(err, vonage.ErrNotFound):
		return exitNotFound
	}
	return exitError
}

// errorKind names an exit code's class for --json errors.
func errorKind(err error) string {
	switch exitCode(err) {
	case exitUsage:
		return "usage"
	case exitAuth:
		return "authentication"
	case exitNotFound:
		return "not_found"
	case exitInterrupted:
		return "interrupted"
	}
	return "error"
}
