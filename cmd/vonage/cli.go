package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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

// httpTimeout bounds each request of the CLI's own HTTP clients.
const httpTimeout = 30 * time.Second

// cli is what every command writes to and reads from: run's arguments, the
// global flags, and what the command resolved (for its error messages).
type cli struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// The global flags.
	json, debug bool
	profileName string

	cfg        *configFile // the config file, read once
	realHosts  sync.Once   // the notice that no base URL was set
	key, creds setting     // the API key, and where the secret came from
	base       setting     // the base URL
}

// commonFlags are the flags of every command that calls the account API.
// Their defaults come from the environment, then the profile, after
// parsing, so -h never prints a secret as a default value.
type commonFlags struct {
	apiKey, apiSecret, baseURL string
	caFile                     string
}

func (f *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.apiKey, "api-key", "", "API key (default $"+envAPIKey+", else the profile's api-key)")
	fs.StringVar(&f.apiSecret, "api-secret", "", "API secret (default $"+envAPISecret+", else the profile's); prefer those, since flags land in shell history")
	registerServerFlags(fs, &f.baseURL, &f.caFile, "server URL for every endpoint (default $"+envBaseURL+", else the profile's base-url, else Vonage's own hosts)")
}

// registerServerFlags adds --base-url and --ca-file.
func registerServerFlags(fs *flag.FlagSet, baseURL, caFile *string, baseUsage string) {
	fs.StringVar(baseURL, "base-url", "", baseUsage)
	fs.StringVar(caFile, "ca-file", "", "PEM file of the certificates trusted for HTTPS, e.g. the one vonage serve --tls-self-signed prints (default $"+envCAFile+", else the profile's ca-file)")
}

// rootCAs returns the pool of the CA file from the flag, else the
// environment, else the profile; nil (the system's roots) when none names
// one.
func (c *cli) rootCAs(flagValue string) (*x509.CertPool, error) {
	f, err := c.lookup("ca-file", flagValue, envCAFile, keyCAFile)
	if err != nil || f.value == "" {
		return nil, err
	}
	pool, err := vonage.CertPoolFromFile(strings.TrimSpace(f.value))
	if err != nil {
		return nil, usageError{fmt.Errorf("%w (from %s)", err, f.source())}
	}
	return pool, nil
}

// httpClient is the HTTP client of the CLI's requests: it trusts pool (the
// system's roots when nil) and, with --debug, prints each exchange.
func (c *cli) httpClient(pool *x509.CertPool) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if pool != nil {
		rt = vonage.TransportWithRootCAs(pool)
	}
	if c.debug {
		rt = debugTransport{next: rt, w: c.stderr}
	}
	return &http.Client{Timeout: httpTimeout, Transport: rt}
}

// client returns an account client with the key, secret and base URL from
// the flags, else from the environment, else from the profile. Every value
// is passed explicitly, so the SDK never reads the process environment
// behind run's back.
func (c *cli) client(f *commonFlags) (*vonage.AccountClient, error) {
	var err error
	if c.key, err = c.lookup("api-key", f.apiKey, envAPIKey, keyAPIKey); err != nil {
		return nil, err
	}
	if c.key.value == "" {
		return nil, usageError{errors.New("no API key: set " + envAPIKey + ", pass --api-key or run vonage config set api-key KEY")}
	}
	c.key.value = strings.TrimSpace(c.key.value)
	if c.creds, err = c.lookup("api-secret", f.apiSecret, envAPISecret, keyAPISecret); err != nil {
		return nil, err
	}
	if c.creds.value == "" {
		return nil, usageError{errors.New("no API secret: set " + envAPISecret + " (or pass --api-secret, or store it in the profile: vonage config set api-secret -)")}
	}
	pool, err := c.rootCAs(f.caFile)
	if err != nil {
		return nil, err
	}
	return c.clientFor(c.key.value, c.creds.value, f, pool)
}

// clientFor returns a client for the given credentials, f's base URL and
// the roots of pool.
func (c *cli) clientFor(key, secret string, f *commonFlags, pool *x509.CertPool) (*vonage.AccountClient, error) {
	opts := []vonage.ClientOption{
		vonage.WithRESTBaseURL(defaultRESTBaseURL),
		vonage.WithAPIBaseURL(defaultAPIBaseURL),
		vonage.WithUserAgent("vonage-cli/" + vonage.Version),
		vonage.WithHTTPClient(c.httpClient(pool)),
	}
	base, err := c.baseURL(f.baseURL)
	if err != nil {
		return nil, err
	}
	if base != "" {
		opts = append(opts, vonage.WithBaseURL(base))
	}
	return vonage.NewAccountClient(vonage.CreateAuthFromKeySecret(key, secret), opts...), nil
}

// baseURL resolves the base URL. When nothing sets one, the commands talk
// to Vonage's own hosts: it says so, once, on stderr.
func (c *cli) baseURL(flagValue string) (string, error) {
	var err error
	if c.base, err = c.lookup("base-url", flagValue, envBaseURL, keyBaseURL); err != nil {
		return "", err
	}
	if c.base.value == "" {
		c.realHosts.Do(func() {
			fmt.Fprintf(c.stderr, "Note: no base URL set (--base-url, %s or the profile's base-url): talking to Vonage's own hosts, %s and %s.\n",
				envBaseURL, defaultRESTBaseURL, defaultAPIBaseURL)
		})
	}
	return strings.TrimSpace(c.base.value), nil
}

// baseSource names what set the base URL, for messages.
func (c *cli) baseSource() string {
	if c.base.source() == "" {
		return "nothing set it: the default is Vonage's own hosts; set it with --base-url, " + envBaseURL + " or vonage config set base-url URL"
	}
	return "set by " + c.base.source() + "; change it with --base-url, " + envBaseURL + " or vonage config set base-url URL"
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
// and detail of the server's answer (or of the client's own failure), and
// what to check: for a refused signature, the key and where the
// credentials came from; for a server that cannot be reached, its URL and
// what set it. The SDK already keeps the API secret out of them; secrets
// also scrubs any other secret the command handled, to be sure.
func (c *cli) apiFailure(err error, secrets ...string) error {
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
	switch {
	case errors.Is(err, vonage.ErrAuthentication):
		detail += fmt.Sprintf(" (API key %s from %s, secret from %s)", c.key.value, c.key.source(), c.creds.source())
	case errors.Is(err, vonage.ErrTransport):
		detail += fmt.Sprintf(" (could not reach %s: the base URL %s)", c.reachedURL(), c.baseSource())
	}
	return &cmdError{title: scrub(r.Title, secrets...), detail: scrub(detail, secrets...), err: err}
}

// reachedURL is the server the commands talk to.
func (c *cli) reachedURL() string {
	if c.base.value == "" {
		return defaultRESTBaseURL + " and " + defaultAPIBaseURL
	}
	return strings.TrimSpace(c.base.value)
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

// show prints a command's result: v as JSON with --json, else fields as a
// table.
func (c *cli) show(v any, fields ...field) error {
	if c.json {
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
