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
	"syscall"

	vonage "github.com/vonage/vonage-go-sdk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "vonage:", err)
	}
	os.Exit(exitCode(err))
}

// run is the whole program; main only wires it to the process. Tests call it
// directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return usageError{errors.New("no command given")}
	}
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "balance":
		return c.balance(ctx, args[1:])
	case "settings":
		return c.settings(ctx, args[1:])
	case "topup":
		return c.topup(ctx, args[1:])
	case "secrets":
		return c.secrets(ctx, args[1:])
	case "admin":
		return c.admin(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			// "vonage help secrets create" is "vonage secrets create -h".
			return run(ctx, append(args[1:len(args):len(args)], "-h"), getenv, stdin, stdout, stderr)
		}
		printUsage(stdout)
		return nil
	}
	printUsage(stderr)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}

// group is a command made of commands ("secrets", "admin", "admin account"):
// its first argument names the command to run with the rest.
type group struct {
	name     string
	usage    string // printed for help on stdout, for a mistake on stderr
	commands map[string]func(context.Context, []string) error
}

// dispatch runs the command of g that args name.
func (c *cli) dispatch(ctx context.Context, g group, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, g.usage)
		return usageError{errors.New(g.name + " needs a command")}
	}
	if run, ok := g.commands[args[0]]; ok {
		return run(ctx, args[1:])
	}
	if isHelp(args[0]) {
		fmt.Fprint(c.stdout, g.usage)
		return nil
	}
	fmt.Fprint(c.stderr, g.usage)
	return usageError{fmt.Errorf("unknown %s command %q", g.name, args[0])}
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `usage: vonage <command> [flags]

Account (the Vonage Account API):
  balance                    show the balance and whether auto-reload is on
  settings                   show the settings; --mo-url/--dr-url change the
                             callback URLs (an empty value clears one)
  topup TRX                  top up again by the amount of auto-reload TRX

API secrets (--key KEY: a subaccount's instead of your own):
  secrets list               list the secrets' ids and creation times
  secrets get ID             show one secret
  secrets create             add a secret, typed at a prompt or piped on stdin
  secrets rotate             replace a secret by a new one: create, verify,
                             then revoke the old (--retire ID with two)
  secrets revoke ID          revoke a secret (never the last one)

Operators (the server's admin API, with VONAGE_ADMIN_TOKEN):
  admin account create       create an account
  admin account show KEY     show an account
  admin account update KEY   change auto-reload and limits
  admin credit KEY AMOUNT    add money (idempotent: --idempotency-key)
  admin charge KEY AMOUNT    take money; may trigger an auto-reload
  admin transactions KEY     the ledger, newest first (--all, --cursor)
  admin verify-ledger        check every balance against its ledger

Server:
  serve                      start the Account API server

Flags of the account and secrets commands:
  --api-key KEY              default $VONAGE_API_KEY
  --api-secret SECRET        default $VONAGE_API_SECRET (prefer the variable:
                             flags land in shell history)
  --base-url URL             default $VONAGE_BASE_URL, else Vonage's own hosts
  --ca-file FILE             PEM file trusted for HTTPS, default $VONAGE_CA_FILE
  --json                     print JSON for scripts instead of a table

Exit status: 0 success, 1 error, 2 usage, 3 authentication failed,
4 not found.

Run "vonage help <command>" or "vonage <command> -h" for a command's flags.
`)
}

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Exit codes, so scripts can tell failures apart.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitAuth     = 3
	exitNotFound = 4
)

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp): // -h asked for help: not a failure
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, vonage.ErrAuthentication):
		return exitAuth
	case errors.Is(err, vonage.ErrNotFound):
		return exitNotFound
	}
	return exitError
}
