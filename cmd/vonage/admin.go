package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	vonage "github.com/vonage/vonage-go-sdk"
)

// The admin commands call our server's own admin API (contract section 6)
// with plain net/http: it is not Vonage's API, so the SDK has no calls for it.

const adminUsage = `usage: vonage admin account <command> [flags]

Commands:
  account create [flags]   create an account
  account show KEY         show an account: balance, auto-reload, limits,
                           settings and secret ids

Operator commands over the server's admin API (/admin/). The server must run
with VONAGE_ADMIN_TOKEN set; these commands send the same token, read from the
VONAGE_ADMIN_TOKEN environment variable only (never a flag). The server's
URL comes from --base-url or VONAGE_BASE_URL.

Run "vonage admin account <command> -h" for a command's flags.
`

func (c *cli) admin(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(c.stdout, adminUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "account" {
		fmt.Fprint(c.stderr, adminUsage)
		if len(args) == 0 {
			return usageError{errors.New("admin needs a command")}
		}
		return usageError{fmt.Errorf("unknown admin command %q", args[0])}
	}
	if len(args) > 1 {
		switch args[1] {
		case "create":
			return c.adminCreate(ctx, args[2:])
		case "show":
			return c.adminShow(ctx, args[2:])
		}
		if isHelp(args[1]) {
			fmt.Fprint(c.stdout, adminUsage)
			return nil
		}
	}
	fmt.Fprint(c.stderr, adminUsage)
	if len(args) == 1 {
		return usageError{errors.New("admin account needs a command")}
	}
	return usageError{fmt.Errorf("unknown admin account command %q", args[1])}
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// adminAutoReload is the auto_reload object: decimal strings in EUR.
type adminAutoReload struct {
	Threshold string `json:"threshold"`
	Amount    string `json:"amount"`
}

// adminNewAccount is the body of POST /admin/accounts; only what was given
// is sent, so the server's defaults apply to the rest.
type adminNewAccount struct {
	APIKey        string           `json:"api_key,omitempty"`
	Secret        string           `json:"secret,omitempty"`
	PrimaryAPIKey string           `json:"primary_api_key,omitempty"`
	Balance       string           `json:"balance,omitempty"`
	AutoReload    *adminAutoReload `json:"auto_reload,omitempty"`
	Limits        map[string]int   `json:"limits,omitempty"`
}

// adminAccount is an account as the admin API shows it, and as --json
// prints it (every key always present).
type adminAccount struct {
	APIKey        string           `json:"api_key"`
	PrimaryAPIKey string           `json:"primary_api_key"`
	Balance       string           `json:"balance"`
	AutoReload    *adminAutoReload `json:"auto_reload"`
	Limits        struct {
		MaxOutboundRequest int `json:"max-outbound-request"`
		MaxInboundRequest  int `json:"max-inbound-request"`
		MaxCallsPerSecond  int `json:"max-calls-per-second"`
	} `json:"limits"`
	Settings struct {
		MoCallbackURL string `json:"mo-callback-url"`
		DrCallbackURL string `json:"dr-callback-url"`
	} `json:"settings"`
	Secrets   []secretJSON `json:"secrets"`
	CreatedAt string       `json:"created_at"`
}

// adminCreated is the 201 answer of POST /admin/accounts. APISecret is
// present only when the server generated the secret.
type adminCreated struct {
	APIKey    string       `json:"api_key"`
	APISecret string       `json:"api_secret,omitempty"`
	Account   adminAccount `json:"account"`
}

var adminCreateCmd = command{
	usage: "admin account create [flags]",
	summary: `Creates an account. Without --api-key the server generates a key; without
--secret-stdin it generates the secret and this command prints it once.
Amounts are decimal strings in EUR ("10.00"); limits left out keep the
server's defaults.`,
}

var limitFlags = []string{"max-outbound-request", "max-inbound-request", "max-calls-per-second"}

func (c *cli) adminCreate(ctx context.Context, args []string) error {
	var (
		af                       adminFlags
		body                     adminNewAccount
		threshold, amount        string
		limits                   = make(map[string]*int)
		secretStdin, reloadGiven bool
	)
	fs := c.newFlagSet("admin account create")
	fs.StringVar(&body.APIKey, "api-key", "", "the new account's key, 8-32 characters of a-z and 0-9 (default: generated)")
	fs.StringVar(&body.PrimaryAPIKey, "primary-api-key", "", "make the account a subaccount of this one")
	fs.StringVar(&body.Balance, "balance", "", `opening balance in EUR, e.g. "10.00" (default 0)`)
	fs.StringVar(&threshold, "auto-reload-threshold", "", "turn auto-reload on: reload when the balance falls below this (with --auto-reload-amount)")
	fs.StringVar(&amount, "auto-reload-amount", "", "the amount each auto-reload adds (with --auto-reload-threshold)")
	for _, name := range limitFlags {
		limits[name] = fs.Int(name, 0, "per-account limit (default: the server's, 30)")
	}
	fs.BoolVar(&secretStdin, "secret-stdin", false, "choose the secret: read it from a prompt or the first line of stdin (default: generated)")
	af.register(fs)
	if _, err := c.parseN(fs, adminCreateCmd, args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if p, ok := limits[f.Name]; ok {
			if body.Limits == nil {
				body.Limits = make(map[string]int)
			}
			body.Limits[f.Name] = *p
		}
		reloadGiven = reloadGiven || f.Name == "auto-reload-threshold" || f.Name == "auto-reload-amount"
	})
	if reloadGiven {
		if threshold == "" || amount == "" {
			printCommandHelp(c.stderr, fs, adminCreateCmd)
			return usageError{errors.New("auto-reload needs both --auto-reload-threshold and --auto-reload-amount")}
		}
		body.AutoReload = &adminAutoReload{Threshold: threshold, Amount: amount}
	}
	admin, err := c.adminClient(&af)
	if err != nil {
		return err
	}
	if secretStdin {
		if body.Secret, err = readNewSecret(ctx, c.stdin, c.stderr, "account secret"); err != nil {
			return err
		}
		admin.secrets = append(admin.secrets, body.Secret)
	}
	var created adminCreated
	if err := admin.do(ctx, http.MethodPost, "/admin/accounts", body, http.StatusCreated, &created); err != nil {
		return err
	}
	if af.json {
		err = writeJSON(c.stdout, created)
	} else {
		fields := accountFields(created.Account)
		if created.APISecret != "" {
			fields = append(fields, field{"API secret", created.APISecret})
		}
		err = writeFields(c.stdout, fields...)
	}
	if created.APISecret != "" {
		fmt.Fprintln(c.stderr, "Warning: the server generated the API secret and will not show it again; store it now.")
	}
	return err
}

var adminShowCmd = command{
	usage:   "admin account show [flags] KEY",
	summary: "Shows an account: balance, auto-reload, limits, settings and the ids of its secrets.",
}

func (c *cli) adminShow(ctx context.Context, args []string) error {
	var af adminFlags
	fs := c.newFlagSet("admin account show")
	af.register(fs)
	pos, err := c.parseN(fs, adminShowCmd, args, "KEY")
	if err != nil {
		return err
	}
	admin, err := c.adminClient(&af)
	if err != nil {
		return err
	}
	var acct adminAccount
	if err := admin.do(ctx, http.MethodGet, "/admin/accounts/"+url.PathEscape(pos[0]), nil, http.StatusOK, &acct); err != nil {
		return err
	}
	if af.json {
		return writeJSON(c.stdout, acct)
	}
	return writeFields(c.stdout, accountFields(acct)...)
}

// accountFields lays an account out for the table view.
func accountFields(a adminAccount) []field {
	reload := "off"
	if ar := a.AutoReload; ar != nil {
		reload = "below " + ar.Threshold + " EUR, add " + ar.Amount + " EUR"
	}
	fields := []field{
		{"API key", a.APIKey},
		{"Primary API key", orNone(a.PrimaryAPIKey)},
		{"Balance", a.Balance + " EUR"},
		{"Auto-reload", reload},
		{"Max outbound requests", strconv.Itoa(a.Limits.MaxOutboundRequest)},
		{"Max inbound requests", strconv.Itoa(a.Limits.MaxInboundRequest)},
		{"Max calls per second", strconv.Itoa(a.Limits.MaxCallsPerSecond)},
		{"Inbound SMS URL (mo)", orNone(a.Settings.MoCallbackURL)},
		{"Delivery receipt URL (dr)", orNone(a.Settings.DrCallbackURL)},
		{"Created", a.CreatedAt},
	}
	if len(a.Secrets) == 0 {
		return append(fields, field{"Secrets", "(none)"})
	}
	for i, s := range a.Secrets {
		name := ""
		if i == 0 {
			name = "Secrets"
		}
		fields = append(fields, field{name, s.ID + "  created " + s.CreatedAt})
	}
	return fields
}

// adminFlags are the flags of every admin command. There is deliberately no
// token flag.
type adminFlags struct {
	baseURL string
	json    bool
}

func (f *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.baseURL, "base-url", "", "the server's URL (default $"+envBaseURL+")")
	fs.BoolVar(&f.json, "json", false, "print JSON for scripts instead of a table")
}

// adminClient calls the admin API with the bearer token.
type adminClient struct {
	base    string
	token   string
	hc      *http.Client
	secrets []string // kept out of every error text
}

func (c *cli) adminClient(f *adminFlags) (*adminClient, error) {
	token := c.getenv(envAdminToken)
	if token == "" {
		return nil, usageError{errors.New(envAdminToken + " is not set: the admin commands send the server's admin token from it")}
	}
	base := strings.TrimRight(strings.TrimSpace(orEnv(f.baseURL, c.getenv, envBaseURL)), "/")
	if base == "" {
		return nil, usageError{errors.New("no server URL: set " + envBaseURL + " or pass --base-url")}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, usageError{errors.New("the server URL must be an http or https URL without credentials, query or fragment")}
	}
	return &adminClient{
		base:    base,
		token:   token,
		hc:      &http.Client{Timeout: 30 * time.Second},
		secrets: []string{token},
	}, nil
}

// problem is an RFC 7807 problem details body.
type problem struct {
	Type              string                    `json:"type"`
	Title             string                    `json:"title"`
	Detail            string                    `json:"detail"`
	Instance          string                    `json:"instance"`
	InvalidParameters []vonage.InvalidParameter `json:"invalid_parameters"`
}

// do sends one request and decodes a response with status want into out.
// Any other answer becomes a cmdError with the problem's title and detail;
// 401 matches vonage.ErrAuthentication and 404 vonage.ErrNotFound, for the
// exit code.
func (a *adminClient) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, reader)
	if err != nil {
		return &cmdError{title: "Invalid request", detail: a.scrub(err.Error())}
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vonage-cli/"+vonage.Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return &cmdError{title: "Request failed", detail: a.scrub(err.Error()), err: vonage.ErrTransport}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &cmdError{title: "Request failed", detail: a.scrub(err.Error()), err: vonage.ErrTransport}
	}
	if resp.StatusCode == want {
		if err := json.Unmarshal(data, out); err != nil {
			return &cmdError{title: "Invalid response", detail: "the server's answer is not the documented JSON", err: vonage.ErrDecode}
		}
		return nil
	}
	return a.failure(resp, data)
}

func (a *adminClient) failure(resp *http.Response, data []byte) error {
	e := &cmdError{title: resp.Status, err: fmt.Errorf("admin API answered %s", resp.Status)}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.err = vonage.ErrAuthentication
	case http.StatusNotFound:
		e.err = vonage.ErrNotFound
	}
	var p problem
	if json.Unmarshal(data, &p) != nil || p.Title == "" {
		e.detail = "the server's answer is not a problem details body"
		if resp.StatusCode == http.StatusNotFound {
			e.detail = "not found; is the admin API on (VONAGE_ADMIN_TOKEN set on the server)?"
		}
		return e
	}
	e.title, e.detail = a.scrub(p.Title), a.scrub(p.Detail)
	for _, ip := range p.InvalidParameters {
		if !strings.Contains(e.detail, ip.Reason) {
			e.detail += a.scrub(" (" + ip.Name + ": " + ip.Reason + ")")
		}
	}
	return e
}

func (a *adminClient) scrub(text string) string { return scrub(text, a.secrets...) }
