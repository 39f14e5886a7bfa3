package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

const adminUsage = `usage: vonage admin <command> [flags]

Accounts:
  account create [flags]       create an account
  account show KEY             show an account: balance, auto-reload, limits,
                               settings and secret ids
  account update KEY [flags]   change an account's auto-reload and limits

Money (every movement is a row of the account's ledger):
  credit KEY AMOUNT            add AMOUNT EUR to the balance
  charge KEY AMOUNT            take AMOUNT EUR (refused when funds are short;
                               may trigger an auto-reload)
  transactions KEY             the account's ledger, newest first
  verify-ledger                check every balance against its ledger

Operator commands over the server's admin API (/admin/). The server must run
with VONAGE_ADMIN_TOKEN set; these commands send the same token, read from the
VONAGE_ADMIN_TOKEN environment variable only (never a flag). The server's
URL comes from --base-url or VONAGE_BASE_URL.

Run "vonage admin <command> -h" for a command's flags.
`

func (c *cli) admin(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, adminUsage)
		return usageError{errors.New("admin needs a command")}
	}
	switch args[0] {
	case "account":
		return c.adminAccount(ctx, args[1:])
	case "credit":
		return c.adminMove(ctx, args[1:], false)
	case "charge":
		return c.adminMove(ctx, args[1:], true)
	case "transactions":
		return c.adminTransactions(ctx, args[1:])
	case "verify-ledger":
		return c.adminVerifyLedger(ctx, args[1:])
	}
	if isHelp(args[0]) {
		fmt.Fprint(c.stdout, adminUsage)
		return nil
	}
	fmt.Fprint(c.stderr, adminUsage)
	return usageError{fmt.Errorf("unknown admin command %q", args[0])}
}

func (c *cli) adminAccount(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "create":
			return c.adminCreate(ctx, args[1:])
		case "show":
			return c.adminShow(ctx, args[1:])
		case "update":
			return c.adminUpdate(ctx, args[1:])
		}
		if isHelp(args[0]) {
			fmt.Fprint(c.stdout, adminUsage)
			return nil
		}
	}
	fmt.Fprint(c.stderr, adminUsage)
	if len(args) == 0 {
		return usageError{errors.New("admin account needs a command")}
	}
	return usageError{fmt.Errorf("unknown admin account command %q", args[0])}
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

var adminUpdateCmd = command{
	usage: "admin account update [flags] KEY",
	summary: `Changes an account's auto-reload and limits; only what the flags name
changes. Turn auto-reload on (or change it) with both --auto-reload-threshold
and --auto-reload-amount, off with --auto-reload-off. Shows the account as
"admin account show" does.`,
}

func (c *cli) adminUpdate(ctx context.Context, args []string) error {
	var (
		af                adminFlags
		threshold, amount string
		reloadOff         bool
		limits            = make(map[string]*int)
	)
	fs := c.newFlagSet("admin account update")
	fs.StringVar(&threshold, "auto-reload-threshold", "", "turn auto-reload on: reload when the balance falls below this (with --auto-reload-amount)")
	fs.StringVar(&amount, "auto-reload-amount", "", "the amount each auto-reload adds (with --auto-reload-threshold)")
	fs.BoolVar(&reloadOff, "auto-reload-off", false, "turn auto-reload off")
	for _, name := range limitFlags {
		limits[name] = fs.Int(name, 0, "per-account limit")
	}
	af.register(fs)
	pos, err := c.parseN(fs, adminUpdateCmd, args, "KEY")
	if err != nil {
		return err
	}
	body := make(map[string]any) // only the members to change
	reloadGiven := false
	fs.Visit(func(f *flag.Flag) {
		if p, ok := limits[f.Name]; ok {
			if body["limits"] == nil {
				body["limits"] = make(map[string]int)
			}
			body["limits"].(map[string]int)[f.Name] = *p
		}
		reloadGiven = reloadGiven || f.Name == "auto-reload-threshold" || f.Name == "auto-reload-amount"
	})
	switch {
	case reloadGiven && reloadOff:
		printCommandHelp(c.stderr, fs, adminUpdateCmd)
		return usageError{errors.New("--auto-reload-off cannot be combined with --auto-reload-threshold or --auto-reload-amount")}
	case reloadGiven && (threshold == "" || amount == ""):
		printCommandHelp(c.stderr, fs, adminUpdateCmd)
		return usageError{errors.New("auto-reload needs both --auto-reload-threshold and --auto-reload-amount")}
	case reloadGiven:
		body["auto_reload"] = adminAutoReload{Threshold: threshold, Amount: amount}
	case reloadOff:
		body["auto_reload"] = nil // JSON null: off
	}
	if len(body) == 0 {
		printCommandHelp(c.stderr, fs, adminUpdateCmd)
		return usageError{errors.New("nothing to change: give an auto-reload or a limit flag")}
	}
	admin, err := c.adminClient(&af)
	if err != nil {
		return err
	}
	var acct adminAccount
	if err := admin.do(ctx, http.MethodPatch, "/admin/accounts/"+url.PathEscape(pos[0]), body, http.StatusOK, &acct); err != nil {
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
