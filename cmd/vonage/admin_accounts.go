package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// Listing accounts and giving one a new secret (issue 14 item 4; contract
// section 6: GET /admin/accounts, POST /admin/accounts/{api_key}/reset-secret).

var adminListCmd = command{
	name:  "admin account list",
	usage: "admin account list [flags]",
	summary: `Lists accounts, ordered by key, a page at a time (the server's default is
100): key, primary account, balance, auto-reload and the number of secrets.
--prefix keeps the keys that start with it, --primary the subaccounts of that
key. When more accounts follow, it says how to ask for the next page
(--cursor); --all follows the pages to the end.`,
}

// accountsJSON is admin account list --json.
type accountsJSON struct {
	Accounts   []accountJSON `json:"accounts"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (c *cli) adminListCmd() *cobra.Command {
	var prefix, of string
	return pagedCommand(c, adminListCmd, listing[adminapi.Account]{
		rows: "accounts", sizeFlag: "page-size", serverDefault: "100",
		fetch: func(ctx context.Context, admin *adminapi.Client, _ []string, size int, cursor string) ([]adminapi.Account, string, error) {
			page, err := admin.ListAccounts(ctx, adminapi.AccountsQuery{Prefix: prefix, PrimaryAPIKey: of, PageSize: size, Cursor: cursor})
			return page.Accounts, page.NextCursor, err
		},
		print: func(accounts []adminapi.Account, next string) error {
			if c.json {
				out := accountsJSON{Accounts: make([]accountJSON, 0, len(accounts)), NextCursor: next}
				for _, a := range accounts {
					out.Accounts = append(out.Accounts, newAccountJSON(a))
				}
				return writeJSON(c.stdout, out)
			}
			rows := make([][]string, 0, len(accounts))
			for _, a := range accounts {
				reload := "off"
				if ar := a.AutoReload; ar != nil {
					reload = money(ar.Threshold) + " / " + money(ar.Amount)
				}
				rows = append(rows, []string{a.APIKey, orDash(a.PrimaryAPIKey), money(a.Balance), reload, strconv.Itoa(len(a.Secrets)), a.CreatedAt})
			}
			return writeTable(c.stdout, []string{"API KEY", "PRIMARY", "BALANCE (EUR)", "AUTO-RELOAD", "SECRETS", "CREATED"}, rows)
		},
		cmdline: func([]string) string {
			cmdline := "vonage admin account list"
			if prefix != "" {
				cmdline += " --prefix " + prefix
			}
			if of != "" {
				cmdline += " --primary " + of
			}
			return cmdline
		},
	}, func(fs *flag.FlagSet) {
		fs.StringVar(&prefix, "prefix", "", "only the accounts whose key starts with this")
		fs.StringVar(&of, "primary", "", "only the subaccounts of this key")
	})
}

var adminResetSecretCmd = command{
	name:  "admin account reset-secret",
	args:  []string{"KEY"},
	usage: "admin account reset-secret [flags] KEY",
	summary: `Replaces every secret of the account by one new secret, for an owner who
lost them all: each old secret stops working at once. Without --secret-stdin
the server generates the new secret and this command prints it once; with it,
the new secret is typed twice at a prompt, without echo, or read from the
first line of stdin, and not printed.`,
}

// resetJSON is admin account reset-secret --json.
type resetJSON struct {
	APIKey    string `json:"api_key"`
	SecretID  string `json:"secret_id"`
	APISecret string `json:"api_secret,omitempty"`
}

func (c *cli) adminResetSecretCmd() *cobra.Command {
	var (
		af          adminFlags
		secretStdin bool
	)
	return c.leaf(adminResetSecretCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		secret := ""
		if secretStdin {
			if secret, err = readNewSecret(ctx, c.stdin, c.stderr, "account secret", validSecret); err != nil {
				return err
			}
			if err := validSecret(secret); err != nil {
				return err
			}
		}
		res, err := admin.ResetSecret(ctx, pos[0], secret)
		if err != nil {
			return c.adminFailure(err)
		}
		fields := []field{{"API key", res.APIKey}, {"Secret id", res.SecretID}}
		if res.APISecret != "" {
			fields = append(fields, field{"API secret", res.APISecret})
		}
		if err := c.show(resetJSON(res), fields...); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "Every earlier secret of %s has stopped working.\n", res.APIKey)
		if res.APISecret != "" {
			fmt.Fprintln(c.stderr, "Warning: the server generated the API secret and will not show it again; store it now.")
		}
		return nil
	}, af.register, func(fs *flag.FlagSet) {
		fs.BoolVar(&secretStdin, "secret-stdin", false, "choose the new secret: read it from a prompt or the first line of stdin (default: generated)")
	})
}
