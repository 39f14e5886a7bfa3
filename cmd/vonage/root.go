package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/buildinfo"
)

// root builds the command tree on cobra: it parses the flags (GNU style,
// anywhere on the line), finds the command, suggests one for a typo, and
// writes the shell completion scripts (`vonage completion bash`).
func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "vonage",
		Short:         "the Vonage Account API: server, command line and operator commands",
		Version:       buildVersion().String(),
		SilenceErrors: true, // run reports errors, as text or JSON
		SilenceUsage:  true, // the usage is printed once, by misuse
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.unknownCommand(cmd, args, "no command given")
		},
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetIn(c.stdin)
	root.SetVersionTemplate("{{.Version}}\n")
	cobraHelp := root.HelpFunc() // for cobra's own commands: completion, help
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd != root {
			cobraHelp(cmd, args)
			return
		}
		fmt.Fprint(cmd.OutOrStdout(), rootUsage)
	})
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return c.misuse(cmd, err) })
	pf := root.PersistentFlags()
	pf.StringVar(&c.profileName, "profile", "", `the profile of the config file to use (default $`+envProfile+`, else the one "vonage config use" chose, else "default")`)
	pf.BoolVar(&c.json, "json", c.json, "print JSON for scripts instead of a table; errors become a JSON object on stderr")
	pf.BoolVar(&c.debug, "debug", false, "print each HTTP request and response on stderr (method, URL, status, time, request id), credentials redacted")
	root.Flags().BoolP("version", "v", false, "print the version and exit")
	root.Flags().BoolP("help", "h", false, "show this help")

	secrets := c.group("secrets", "manage the account's API secrets", secretsUsage,
		c.secretsListCmd(), c.secretsGetCmd(), c.secretsCreateCmd(), c.secretsRotateCmd(), c.secretsRevokeCmd())
	admin := c.group("admin", "operator commands over the server's admin API", adminUsage,
		c.group("account", "create, list, show and update accounts; reset their secrets, set their signature secret", adminUsage,
			c.adminCreateCmd(), c.adminListCmd(), c.adminShowCmd(), c.adminUpdateCmd(), c.adminResetSecretCmd(), c.adminSignatureCmd()),
		c.adminCreditCmd(), c.adminChargeCmd(), c.adminTransactionsCmd(), c.adminVerifyLedgerCmd(),
		c.adminImportCmd(), c.adminExportCmd(), c.adminBackupCmd(),
		c.group("trigger", "fire a callback at an account's URL", triggerUsage, c.adminTriggerSMSCmd(), c.adminTriggerDLRCmd()),
		c.adminWebhooksCmd())
	root.AddCommand(c.balanceCmd(), c.settingsCmd(), c.topupCmd(), secrets, admin,
		c.configCmd(), c.serveCmd(), c.versionCmd())
	root.AddCommand(c.listenCmd())
	// cobra's "completion" command, with the mistakes of a group: an
	// unknown shell is a usage error rather than its help.
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		if cmd.Name() == "completion" {
			cmd.Args = cobra.ArbitraryArgs
			cmd.RunE = func(cmd *cobra.Command, args []string) error {
				return c.unknownCommand(cmd, args, "completion needs a shell: bash, zsh, fish or powershell")
			}
		}
	}
	return root
}

// group returns a command made of commands ("secrets", "admin", "admin
// account"), whose help is usage.
func (c *cli) group(name, short, usage string, children ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && args[0] == "help" { // "vonage secrets help"
				return cmd.Help()
			}
			return c.unknownCommand(cmd, args, cmd.CommandPath()[len("vonage "):]+" needs a command")
		},
	}
	g.SetHelpFunc(func(cmd *cobra.Command, _ []string) { fmt.Fprint(cmd.OutOrStdout(), usage) })
	g.AddCommand(children...)
	return g
}

// unknownCommand is the mistake of a group called without a command
// (missing; its usage follows on stderr) or with one it does not have,
// which it names with the command it most resembles rather than the whole
// usage.
func (c *cli) unknownCommand(cmd *cobra.Command, args []string, missing string) error {
	if len(args) == 0 {
		return c.misuse(cmd, errors.New(missing))
	}
	path := strings.TrimPrefix(cmd.CommandPath()+" ", "vonage ")
	cmd.SuggestionsMinimumDistance = 2 // cobra sets it on the root only
	msg := fmt.Sprintf("unknown command %q", path+args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", path+s[0])
	}
	return usageError{fmt.Errorf("%s (run %q for the commands)", msg, strings.TrimSpace("vonage help "+path))}
}

// command describes one command: its name, the positional arguments it
// takes and its -h text.
type command struct {
	name    string   // as typed after "vonage", e.g. "secrets get"
	args    []string // the positional arguments it takes, by name, e.g. "ID"; "[FILE]" at the end: optional
	usage   string   // after "usage: vonage "
	summary string   // a paragraph under the usage line
}

// leaf returns the command spec describes: its flags are the ones the
// register functions add, it takes spec.args positional arguments (those
// in brackets may be left out),
// none empty (flags may come before, between or after them; "--" ends the
// flags), and run does the work. -h prints the help on stdout; a mistake
// prints it on stderr and is a usageError.
func (c *cli) leaf(spec command, run func(ctx context.Context, cmd *cobra.Command, pos []string) error, register ...func(*flag.FlagSet)) *cobra.Command {
	fs := flag.NewFlagSet(spec.name, flag.ContinueOnError)
	for _, r := range register {
		r(fs)
	}
	short, _, _ := strings.Cut(spec.summary, ".")
	cmd := &cobra.Command{
		Use:   spec.name[strings.LastIndexByte(spec.name, ' ')+1:],
		Short: strings.Join(strings.Fields(short), " "),
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := checkArgs(spec, pos); err != nil {
				return c.misuse(cmd, err)
			}
			return run(cmd.Context(), cmd, pos)
		},
	}
	cmd.Flags().AddGoFlagSet(fs)
	cmd.SetHelpFunc(func(cmd *cobra.Command, _ []string) { printCommandHelp(cmd.OutOrStdout(), cmd, spec) })
	return cmd
}

// checkArgs checks the positional arguments against spec. They are not
// echoed: someone may have typed a secret there.
func checkArgs(spec command, pos []string) error {
	required := len(spec.args)
	for required > 0 && strings.HasPrefix(spec.args[required-1], "[") {
		required-- // "[FILE]": optional, at the end
	}
	if len(pos) < required || len(pos) > len(spec.args) {
		if len(spec.args) == 0 {
			return fmt.Errorf("%s takes no arguments, got %d", spec.name, len(pos))
		}
		return fmt.Errorf("%s takes %s, got %d argument(s)", spec.name, strings.Join(spec.args, " "), len(pos))
	}
	for i, p := range pos {
		if p == "" {
			return fmt.Errorf("%s must not be empty", spec.args[i])
		}
	}
	return nil
}

// misuse prints cmd's help to stderr (not with --json: the error object is
// all a script reads) and returns err as a usageError.
func (c *cli) misuse(cmd *cobra.Command, err error) error {
	if !c.json {
		cmd.SetOut(c.stderr)
		cmd.HelpFunc()(cmd, nil)
		cmd.SetOut(c.stdout)
	}
	return usageError{err}
}

// given reports whether the command line set any of the named flags, even
// to its default value.
func given(cmd *cobra.Command, names ...string) bool {
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

func printCommandHelp(w io.Writer, cmd *cobra.Command, spec command) {
	fmt.Fprintf(w, "usage: vonage %s\n\n%s\n", spec.usage, spec.summary)
	if local := cmd.LocalNonPersistentFlags(); local.HasAvailableFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", withoutHelp(local).FlagUsages())
	}
	fmt.Fprintf(w, "\nGlobal flags:\n%s", cmd.InheritedFlags().FlagUsages())
}

// withoutHelp is fs without cobra's -h, which every command has.
func withoutHelp(fs *pflag.FlagSet) *pflag.FlagSet {
	out := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			out.AddFlag(f)
		}
	})
	return out
}

// version is what `vonage version` prints: the module version and the
// commit it was built from, as the Go toolchain recorded them.
type version struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Modified bool   `json:"modified"`
	Go       string `json:"go"`
	Client   string `json:"client"` // vonage.Version, the client package's own
}

func (v version) String() string {
	s := "vonage " + v.Version
	if v.Commit != "" {
		s += " (commit " + v.Commit
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + ", " + v.Go + ", client " + v.Client
}

// buildVersion is this build's version and commit as the server's GET
// /version and vonage_build_info report them (internal/buildinfo: "devel"
// and no commit for a `go run` or a build without version control
// stamping), with the Go and client versions.
func buildVersion() version {
	b := buildinfo.Get()
	v := version{Version: b.Version, Go: runtime.Version(), Client: vonage.Version}
	if b.Commit != buildinfo.Unknown {
		v.Commit, v.Modified = strings.CutSuffix(b.Commit, "-dirty")
	}
	return v
}

var versionSpec = command{
	name:    "version",
	usage:   "version [--json]",
	summary: "Prints the version of this build: the module version and the commit it was built\nfrom (also `vonage --version`).",
}

func (c *cli) versionCmd() *cobra.Command {
	return c.leaf(versionSpec, func(context.Context, *cobra.Command, []string) error {
		v := buildVersion()
		if c.json {
			return writeJSON(c.stdout, v)
		}
		_, err := fmt.Fprintln(c.stdout, v)
		return err
	})
}

const rootUsage = `usage: vonage <command> [flags]

Account (the Vonage Account API):
  balance                    show the balance and whether auto-reload is on
  settings                   show the settings; --mo-url/--dr-url change the
                             callback URLs (an empty value clears one)
  topup TRX                  top up again by the amount of auto-reload TRX
  listen                     print the callbacks that arrive (--set-callbacks)

API secrets (--key KEY: a subaccount's instead of your own):
  secrets list               list the secrets' ids and creation times
  secrets get ID             show one secret
  secrets create             add a secret, typed at a prompt or piped on stdin
  secrets rotate             replace a secret by a new one: create, verify,
                             then revoke the old (--retire ID with two)
  secrets revoke ID          revoke a secret (never the last one)

Operators (the server's admin API, with VONAGE_ADMIN_TOKEN):
  admin account create       create an account
  admin account list         list accounts (--prefix, --primary, --all)
  admin account show KEY     show an account
  admin account update KEY   change auto-reload, limits, webhook method
  admin account reset-secret KEY
                             replace every secret by one new secret
  admin account signature KEY --method M | --off
                             set or remove the secret of signed requests
  admin credit KEY AMOUNT    add money (idempotent: --idempotency-key)
  admin charge KEY AMOUNT    take money; may trigger an auto-reload
  admin transactions KEY     the ledger, newest first (--all, --cursor)
  admin verify-ledger        check every balance against its ledger
  admin trigger inbound-sms KEY | delivery-receipt KEY
                             fire a callback at the account's URL
  admin webhooks KEY         callback deliveries, attempts, next retry
  admin import FILE          create the accounts of a JSON-lines or CSV file
  admin export [FILE]        every account as JSON lines, without secrets
  admin backup FILE          a consistent copy of the live SQLite database

This command line:
  config set KEY VALUE       set base-url, api-key, api-secret,
                             api-secret-command or ca-file in a profile
  config get KEY | list      show the profile's settings (never a secret)
  config use NAME            make NAME the profile used by default
  completion SHELL           print the completion script of bash, zsh, fish
                             or powershell
  version                    print the version (also --version)

Server:
  serve                      start the Account API server

Flags of the account and secrets commands (each: flag, else environment,
else profile):
  --api-key KEY              $VONAGE_API_KEY, profile api-key
  --api-secret SECRET        $VONAGE_API_SECRET, profile api-secret or
                             api-secret-command (prefer those: flags land in
                             shell history)
  --base-url URL             $VONAGE_BASE_URL, profile base-url, else
                             Vonage's own hosts
  --ca-file FILE             PEM file trusted for HTTPS: $VONAGE_CA_FILE,
                             profile ca-file

Global flags:
  --profile NAME             the profile to use ($VONAGE_PROFILE, else the
                             one "config use" chose, else "default")
  --json                     print JSON for scripts; errors too, on stderr
  --debug                    print each HTTP request and response on stderr

Exit status: 0 success, 1 error, 2 usage, 3 authentication failed,
4 not found, 130 interrupted (Ctrl-C, also how listen stops; serve exits 0).

Run "vonage help <command>" or "vonage <command> -h" for a command's flags.
`
