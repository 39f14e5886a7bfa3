package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

const adminUsage = `usage: vonage admin <command> [flags]

Accounts:
  account create [flags]       create an account
  account list [flags]         list accounts, by key (--prefix P, --primary
                               KEY, --page-size N, --cursor C, --all)
  account show KEY             show an account: balance, auto-reload, limits,
                               settings and secret ids
  account update KEY [flags]   change an account's auto-reload, limits and
                               webhook method (--webhook-method GET|POST|POST-JSON)
  account reset-secret KEY     replace every secret of the account by one new
                               secret (generated and printed once, or typed
                               with --secret-stdin)
  account signature KEY --method M | --off
                               set (secret typed or piped) or remove the
                               secret of the account's signed requests

Money (every movement is a row of the account's ledger):
  credit KEY AMOUNT            add AMOUNT EUR to the balance
  charge KEY AMOUNT            take AMOUNT EUR (refused when funds are short;
                               may trigger an auto-reload)
  transactions KEY             the account's ledger, newest first
  verify-ledger                check every balance against its ledger

Callbacks (to the account's mo-callback-url and dr-callback-url):
  trigger inbound-sms KEY      queue an inbound SMS (--to, --msisdn, --text)
  trigger delivery-receipt KEY queue a delivery receipt (--message-id, --to,
                               --msisdn, --status; also "trigger dlr")
  webhooks KEY                 the deliveries, their attempts and next retry

Files:
  import FILE                  create the accounts of a JSON-lines or CSV file,
                               with progress and a summary of failed lines
  export [FILE]                every account as JSON lines, without secrets
  backup FILE                  a consistent copy of the live SQLite database
                               (created 0600; --force to replace FILE)

Operator commands over the server's admin API (/admin/). The server must run
with VONAGE_ADMIN_TOKEN set; these commands send the same token, read from the
VONAGE_ADMIN_TOKEN environment variable only (never a flag). The server's
URL comes from --base-url or VONAGE_BASE_URL.

Run "vonage admin <command> -h" for a command's flags.
`

// The admin commands call our server's own admin API (contract section 6)
// through internal/adminapi: it is not Vonage's API, so the SDK has no
// calls for it.

// adminFlags are the flags of every admin command. There is deliberately no
// token flag.
type adminFlags struct {
	baseURL string
	caFile  string
}

func (f *adminFlags) register(fs *flag.FlagSet) {
	registerServerFlags(fs, &f.baseURL, &f.caFile, "the server's URL (default $"+envBaseURL+", else the profile's base-url)")
}

// adminClient returns a client of the admin API with the token from the
// environment. The client keeps the token, and any secret a call sends,
// out of its errors.
func (c *cli) adminClient(f *adminFlags) (*adminapi.Client, error) {
	token := c.getenv(envAdminToken)
	if token == "" {
		return nil, usageError{errors.New(envAdminToken + " is not set: the admin commands send the server's admin token from it")}
	}
	var err error
	if c.base, err = c.lookup("base-url", f.baseURL, envBaseURL, keyBaseURL); err != nil {
		return nil, err
	}
	base := strings.TrimRight(strings.TrimSpace(c.base.value), "/")
	if base == "" {
		return nil, usageError{errors.New("no server URL: set " + envBaseURL + ", pass --base-url or run vonage config set base-url URL")}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, usageError{errors.New("the server URL must be an http or https URL without credentials, query or fragment")}
	}
	pool, err := c.rootCAs(f.caFile)
	if err != nil {
		return nil, err
	}
	return adminapi.New(base, token, adminapi.WithUserAgent("vonage-cli/"+vonage.Version), adminapi.WithHTTPClient(c.httpClient(pool))), nil
}

// adminFailure turns an admin API failure into the line the CLI prints: the
// problem's title and detail, and what to check. 401 matches
// vonage.ErrAuthentication and 404 vonage.ErrNotFound, for the exit code.
func (c *cli) adminFailure(err error) error {
	var e *adminapi.Error
	switch {
	case errors.As(err, &e):
		status := strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
		ce := &cmdError{title: status, err: fmt.Errorf("admin API answered %s", status)}
		switch {
		case e.Status == http.StatusUnauthorized:
			ce.err = vonage.ErrAuthentication
		case e.Status == http.StatusNotFound:
			ce.err = vonage.ErrNotFound
		case e.Status >= 500:
			ce.err = vonage.ErrServer
		}
		// A 404 that is not about an account (no problem body, or the
		// router's "no such resource") means there is no admin API.
		if e.Status == http.StatusNotFound && (e.Title == "" || strings.HasSuffix(e.Type, "#not-found")) {
			ce.title, ce.detail = "No admin API", "the server at "+c.reachedURL()+" does not serve /admin/: start it with VONAGE_ADMIN_TOKEN set (the same token as here)"
			return ce
		}
		if e.Title == "" {
			ce.detail = "the server's answer is not a problem details body"
			return ce
		}
		ce.title, ce.detail = e.Title, e.Detail
		for _, ip := range e.InvalidParameters {
			if !strings.Contains(ce.detail, ip.Reason) {
				ce.detail += " (" + ip.Name + ": " + ip.Reason + ")"
			}
		}
		if e.Status == http.StatusUnauthorized {
			ce.detail += " (the admin token from " + envAdminToken + " was refused: it must be the one the server runs with)"
		}
		return ce
	case errors.Is(err, adminapi.ErrDecode):
		return &cmdError{title: "Invalid response", detail: "the server's answer is not the documented JSON", err: vonage.ErrDecode}
	case errors.Is(err, adminapi.ErrTransport):
		return &cmdError{title: "Request failed", err: vonage.ErrTransport,
			detail: fmt.Sprintf("%v (could not reach %s: the base URL %s)", err, c.reachedURL(), c.baseSource())}
	}
	return err
}

// limitFlags registers a flag per account limit. The function it returns
// gives the limits the command line named, or nil when it named none.
func limitFlags(fs *flag.FlagSet, usage string) func(*cobra.Command) *adminapi.LimitsPatch {
	var p adminapi.LimitsPatch
	fields := map[string]**int{
		"max-outbound-request": &p.MaxOutboundRequest,
		"max-inbound-request":  &p.MaxInboundRequest,
		"max-calls-per-second": &p.MaxCallsPerSecond,
	}
	values := make(map[string]*int, len(fields))
	for name := range fields {
		values[name] = fs.Int(name, 0, usage)
	}
	return func(cmd *cobra.Command) *adminapi.LimitsPatch {
		named := false
		for name, dst := range fields {
			if given(cmd, name) {
				*dst, named = values[name], true
			}
		}
		if !named {
			return nil
		}
		return &p
	}
}

var adminCreateCmd = command{
	name:  "admin account create",
	usage: "admin account create [flags]",
	summary: `Creates an account. Without --api-key the server generates a key; without
--secret-stdin it generates the secret and this command prints it once.
Amounts are decimal strings in EUR ("10.00"); limits left out keep the
server's defaults.`,
}

func (c *cli) adminCreateCmd() *cobra.Command {
	var (
		af                adminFlags
		body              adminapi.NewAccount
		threshold, amount string
		secretStdin       bool
		limits            func(*cobra.Command) *adminapi.LimitsPatch
	)
	return c.leaf(adminCreateCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		body.Limits = limits(cmd)
		if given(cmd, "auto-reload-threshold", "auto-reload-amount") {
			if threshold == "" || amount == "" {
				return c.misuse(cmd, errors.New("auto-reload needs both --auto-reload-threshold and --auto-reload-amount"))
			}
			body.AutoReload = &adminapi.AutoReload{Threshold: threshold, Amount: amount}
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		if secretStdin {
			if body.Secret, err = readNewSecret(ctx, c.stdin, c.stderr, "account secret", validSecret); err != nil {
				return err
			}
		}
		created, err := admin.CreateAccount(ctx, body)
		if err != nil {
			return c.adminFailure(err)
		}
		fields := accountFields(created.Account)
		if created.APISecret != "" {
			fields = append(fields, field{"API secret", created.APISecret})
		}
		err = c.show(newCreatedJSON(created), fields...)
		if created.APISecret != "" {
			fmt.Fprintln(c.stderr, "Warning: the server generated the API secret and will not show it again; store it now.")
		}
		return err
	}, af.register, func(fs *flag.FlagSet) {
		fs.StringVar(&body.APIKey, "api-key", "", "the new account's key, 8-32 characters of a-z and 0-9 (default: generated)")
		fs.StringVar(&body.PrimaryAPIKey, "primary-api-key", "", "make the account a subaccount of this one")
		fs.StringVar(&body.Balance, "balance", "", `opening balance in EUR, e.g. "10.00" (default 0)`)
		fs.StringVar(&threshold, "auto-reload-threshold", "", "turn auto-reload on: reload when the balance falls below this (with --auto-reload-amount)")
		fs.StringVar(&amount, "auto-reload-amount", "", "the amount each auto-reload adds (with --auto-reload-threshold)")
		limits = limitFlags(fs, "per-account limit (default: the server's, 30)")
		fs.BoolVar(&secretStdin, "secret-stdin", false, "choose the secret: read it from a prompt or the first line of stdin (default: generated)")
	})
}

var adminShowCmd = command{
	name:    "admin account show",
	args:    []string{"KEY"},
	usage:   "admin account show [flags] KEY",
	summary: "Shows an account: balance, auto-reload, limits, callback URLs, webhook method, signature\nmethod (never its secret) and the ids of its secrets.",
}

func (c *cli) adminShowCmd() *cobra.Command {
	var af adminFlags
	return c.leaf(adminShowCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		acct, err := admin.Account(ctx, pos[0])
		if err != nil {
			return c.adminFailure(err)
		}
		return c.show(newAccountJSON(acct), accountFields(acct)...)
	}, af.register)
}

var adminUpdateCmd = command{
	name:  "admin account update",
	args:  []string{"KEY"},
	usage: "admin account update [flags] KEY",
	summary: `Changes an account's auto-reload, limits and webhook method; only what the
flags name changes. Turn auto-reload on (or change it) with both
--auto-reload-threshold and --auto-reload-amount, off with --auto-reload-off.
--webhook-method sets how callbacks are sent to the account: GET (query
parameters), POST (a form) or POST-JSON (the default). Shows the account as
"admin account show" does.`,
}

func (c *cli) adminUpdateCmd() *cobra.Command {
	var (
		af                adminFlags
		upd               adminapi.AccountUpdate
		threshold, amount string
		limits            func(*cobra.Command) *adminapi.LimitsPatch
	)
	return c.leaf(adminUpdateCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		upd.Limits = limits(cmd) // only the limits to change
		reloadGiven := given(cmd, "auto-reload-threshold", "auto-reload-amount")
		switch {
		case reloadGiven && upd.AutoReloadOff:
			return c.misuse(cmd, errors.New("--auto-reload-off cannot be combined with --auto-reload-threshold or --auto-reload-amount"))
		case reloadGiven && (threshold == "" || amount == ""):
			return c.misuse(cmd, errors.New("auto-reload needs both --auto-reload-threshold and --auto-reload-amount"))
		case reloadGiven:
			upd.AutoReload = &adminapi.AutoReload{Threshold: threshold, Amount: amount}
		}
		if given(cmd, "webhook-method") && !slices.Contains(webhookMethods, upd.WebhookMethod) {
			return c.misuse(cmd, errors.New("--webhook-method must be GET, POST or POST-JSON"))
		}
		if upd.AutoReload == nil && !upd.AutoReloadOff && upd.Limits == nil && upd.WebhookMethod == "" {
			return c.misuse(cmd, errors.New("nothing to change: give an auto-reload, a limit or the webhook method flag"))
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		acct, err := admin.UpdateAccount(ctx, pos[0], upd)
		if err != nil {
			return c.adminFailure(err)
		}
		return c.show(newAccountJSON(acct), accountFields(acct)...)
	}, af.register, func(fs *flag.FlagSet) {
		fs.StringVar(&threshold, "auto-reload-threshold", "", "turn auto-reload on: reload when the balance falls below this (with --auto-reload-amount)")
		fs.StringVar(&amount, "auto-reload-amount", "", "the amount each auto-reload adds (with --auto-reload-threshold)")
		fs.BoolVar(&upd.AutoReloadOff, "auto-reload-off", false, "turn auto-reload off")
		limits = limitFlags(fs, "per-account limit")
		fs.StringVar(&upd.WebhookMethod, "webhook-method", "", "how callbacks are sent: GET, POST (a form) or POST-JSON")
	})
}

// accountFields lays an account out for the table view.
func accountFields(a adminapi.Account) []field {
	reload := "off"
	if ar := a.AutoReload; ar != nil {
		reload = "below " + eur(ar.Threshold) + ", add " + eur(ar.Amount)
	}
	fields := []field{
		{"API key", a.APIKey},
		{"Primary API key", orNone(a.PrimaryAPIKey)},
		{"Balance", eur(a.Balance)},
		{"Auto-reload", reload},
		{"Max outbound requests", strconv.Itoa(a.Limits.MaxOutboundRequest)},
		{"Max inbound requests", strconv.Itoa(a.Limits.MaxInboundRequest)},
		{"Max calls per second", strconv.Itoa(a.Limits.MaxCallsPerSecond)},
		{"Inbound SMS URL (mo)", orNone(a.Settings.MoCallbackURL)},
		{"Delivery receipt URL (dr)", orNone(a.Settings.DrCallbackURL)},
		{"Webhook method", orNone(a.WebhookMethod)},
		{"Signature", signatureText(a.Signature)},
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
