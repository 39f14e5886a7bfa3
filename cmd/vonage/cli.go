package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	vonage "github.com/vonage/vonage-go-sdk"
)

// Vonage's own hosts, the client's defaults. The CLI passes them explicitly
// so that the SDK never falls back to the process environment: everything the
// CLI knows comes through run's getenv.
const (
	defaultRESTBaseURL = "https://rest.nexmo.com"
	defaultAPIBaseURL  = "https://api.nexmo.com"
)

// Environment variables the CLI reads (through run's getenv only).
const (
	envAPIKey     = "VONAGE_API_KEY"
	envAPISecret  = "VONAGE_API_SECRET"
	envBaseURL    = "VONAGE_BASE_URL"
	envCAFile     = "VONAGE_CA_FILE"
	envAdminToken = "VONAGE_ADMIN_TOKEN"
)

// cli is what every command writes to and reads from: run's arguments.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command describes one command: its name, the positional arguments it
// takes and its -h text.
type command struct {
	name    string   // as typed after "vonage", e.g. "secrets get"
	args    []string // the positional arguments it takes, by name, e.g. "ID"
	usage   string   // after "usage: vonage "
	summary string   // a paragraph under the usage line
}

// parse parses args as cmd's command line: the flags that each of register
// adds, and exactly cmd.args positional arguments, none empty. Flags may
// follow positional arguments ("secrets get ID --json"); a "--" ends the
// flags. It returns the flag set (for given and misuse) and the positional
// arguments. -h prints the help to stdout and returns flag.ErrHelp (exit 0);
// a mistake prints it to stderr and returns a usageError.
func (c *cli) parse(cmd command, args []string, register ...func(*flag.FlagSet)) (*flag.FlagSet, []string, error) {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the help is printed here, once
	fs.Usage = func() {}
	for _, r := range register {
		r(fs)
	}
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(c.stdout, fs, cmd)
			return nil, nil, flag.ErrHelp
		}
		if err != nil {
			return nil, nil, c.misuse(fs, cmd, err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// The arguments are not echoed: someone may have typed a secret there.
	if len(pos) != len(cmd.args) {
		if len(cmd.args) == 0 {
			return nil, nil, c.misuse(fs, cmd, fmt.Errorf("%s takes no arguments, got %d", cmd.name, len(pos)))
		}
		return nil, nil, c.misuse(fs, cmd, fmt.Errorf("%s takes %s, got %d argument(s)", cmd.name, strings.Join(cmd.args, " "), len(pos)))
	}
	for i, p := range pos {
		if p == "" {
			return nil, nil, c.misuse(fs, cmd, fmt.Errorf("%s must not be empty", cmd.args[i]))
		}
	}
	return fs, pos, nil
}

// misuse prints cmd's help to stderr and returns err as a usageError: the
// command line is wrong.
func (c *cli) misuse(fs *flag.FlagSet, cmd command, err error) error {
	printCommandHelp(c.stderr, fs, cmd)
	return usageError{err}
}

// given reports whether the command line set any of the named flags, even
// to its default value.
func given(fs *flag.FlagSet, names ...string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || slices.Contains(names, f.Name) })
	return set
}

func printCommandHelp(w io.Writer, fs *flag.FlagSet, cmd command) {
	fmt.Fprintf(w, "usage: vonage %s\n\n%s\n", cmd.usage, cmd.summary)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// commonFlags are the flags of every command that calls the account API.
// Their defaults come from the environment after parsing, so -h never prints
// a secret as a default value.
type commonFlags struct {
	apiKey, apiSecret, baseURL string
	caFile                     string
	json                       bool
}

func (f *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.apiKey, "api-key", "", "API key (default $"+envAPIKey+")")
	fs.StringVar(&f.apiSecret, "api-secret", "", "API secret (default $"+envAPISecret+"); prefer the variable, since flags land in shell history")
	fs.StringVar(&f.baseURL, "base-url", "", "server URL for every endpoint (default $"+envBaseURL+", else Vonage's own hosts)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of the certificates trusted for HTTPS, e.g. the one vonage serve --tls-self-signed prints (default $"+envCAFile+")")
	fs.BoolVar(&f.json, "json", false, "print JSON for scripts instead of a table")
}

// rootCAs returns the pool of the CA file from the flag, else the
// environment; nil (the system's roots) when neither names one.
func (c *cli) rootCAs(flagValue string) (*x509.CertPool, error) {
	f := strings.TrimSpace(orEnv(flagValue, c.getenv, envCAFile))
	if f == "" {
		return nil, nil
	}
	pool, err := vonage.CertPoolFromFile(f)
	if err != nil {
		return nil, usageError{err}
	}
	return pool, nil
}

// client returns an account client with the key, secret and base URL from
// the flags, else from the environment. Every value is passed explicitly, so
// the SDK never reads the process environment behind run's back.
func (c *cli) client(f *commonFlags) (*vonage.AccountClient, error) {
	key := strings.TrimSpace(orEnv(f.apiKey, c.getenv, envAPIKey))
	secret := orEnv(f.apiSecret, c.getenv, envAPISecret)
	if key == "" {
		return nil, usageError{errors.New("no API key: set " + envAPIKey + " or pass --api-key")}
	}
	if secret == "" {
		return nil, usageError{errors.New("no API secret: set " + envAPISecret + " (or pass --api-secret)")}
	}
	pool, err := c.rootCAs(f.caFile)
	if err != nil {
		return nil, err
	}
	return c.clientFor(key, secret, f, vonage.WithRootCAs(pool)), nil
}

// accountCommand parses args as cmd's command line (see parse), with the
// common flags into cf, and returns a client of the account API for them
// and the positional arguments.
func (c *cli) accountCommand(cmd command, args []string, cf *commonFlags, register ...func(*flag.FlagSet)) (*vonage.AccountClient, []string, error) {
	_, pos, err := c.parse(cmd, args, append(register, cf.register)...)
	if err != nil {
		return nil, nil, err
	}
	client, err := c.client(cf)
	return client, pos, err
}

// clientFor returns a client for the given credentials and f's base URL.
func (c *cli) clientFor(key, secret string, f *commonFlags, extra ...vonage.ClientOption) *vonage.AccountClient {
	opts := []vonage.ClientOption{
		vonage.WithRESTBaseURL(defaultRESTBaseURL),
		vonage.WithAPIBaseURL(defaultAPIBaseURL),
		vonage.WithUserAgent("vonage-cli/" + vonage.Version),
	}
	if base := strings.TrimSpace(orEnv(f.baseURL, c.getenv, envBaseURL)); base != "" {
		opts = append(opts, vonage.WithBaseURL(base))
	}
	return vonage.NewAccountClient(vonage.CreateAuthFromKeySecret(key, secret), append(opts, extra...)...)
}

// orEnv returns v, or the environment variable name when v is empty.
func orEnv(v string, getenv func(string) string, name string) string {
	if v != "" {
		return v
	}
	return getenv(name)
}

// cmdError is a failure printed as "vonage: <title>: <detail>". It wraps the
// cause so exitCode can classify it with errors.Is.
type cmdError struct {
	title, detail string
	err           error
}

func (e *cmdError) Error() string {
	if e.detail == "" || e.detail == e.title {
		return e.title
	}
	return e.title + ": " + e.detail
}

func (e *cmdError) Unwrap() error { return e.err }

// apiFailure turns an SDK error into the one line the CLI prints: the title
// and detail of the server's answer (or of the client's own failure). The SDK
// already keeps the API secret out of them; secrets also scrubs any other
// secret the command handled, to be sure.
func apiFailure(err error, secrets ...string) error {
	var ae *vonage.APIError
	if !errors.As(err, &ae) {
		return err
	}
	r := ae.Response()
	detail := r.Detail
	for _, p := range r.InvalidParameters {
		if !strings.Contains(detail, p.Reason) {
			detail += " (" + p.Name + ": " + p.Reason + ")"
		}
	}
	return &cmdError{title: scrub(r.Title, secrets...), detail: scrub(detail, secrets...), err: err}
}

// scrub replaces every non-empty secret in text with REDACTED.
func scrub(text string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "REDACTED")
		}
	}
	return text
}

// writeJSON prints v indented, with '&' and '<' left readable in URLs.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// show prints a command's result: v as JSON with --json (asJSON), else
// fields as a table.
func (c *cli) show(asJSON bool, v any, fields ...field) error {
	if asJSON {
		return writeJSON(c.stdout, v)
	}
	return writeFields(c.stdout, fields...)
}

// field is one "Name:  value" line of a single object's table.
type field struct{ name, value string }

// writeFields prints one object as aligned "Name:  value" lines; a field
// without a name continues the one above (a list of values).
func writeFields(w io.Writer, fields ...field) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		if f.name == "" {
			fmt.Fprintf(tw, "\t%s\n", f.value)
			continue
		}
		fmt.Fprintf(tw, "%s:\t%s\n", f.name, f.value)
	}
	return tw.Flush()
}

// writeTable prints rows under a header as aligned columns.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// timestamp renders a time as the API does: RFC 3339 in UTC.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// orNone shows an empty value as "(none)" in tables.
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
