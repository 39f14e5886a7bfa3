package main

import (
	"context"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
)

// The secrets commands manage the account's API secrets, or with --key a
// subaccount's (https://developer.vonage.com/en/api/account#secret-management).
// No command ever prints a secret: the API returns only ids and times, and a new
// secret is read from a prompt or stdin, never from an argument.

const secretsUsage = `usage: vonage secrets <command> [flags]

Commands:
  list         list the account's API secrets (ids and creation times)
  get ID       show one secret
  create       add a secret (at most two), read from a prompt or stdin
  rotate       replace a secret by a new one, proving the new one works
               before the old one is revoked
  revoke ID    revoke a secret; the last one cannot be revoked

Each command takes --key KEY to manage the secrets of a subaccount of the
account it signs in as (default: that account's own key).

Run "vonage secrets <command> -h" for a command's flags.
`

// secretsFlags are the flags of every secrets command: the common ones and
// --key, the account whose secrets to manage.
type secretsFlags struct {
	commonFlags
	key string
}

// secretsCommand is the command spec describes with the secrets flags:
// run gets a client for the signing account and the positional arguments.
func (c *cli) secretsCommand(spec command, f *secretsFlags, run func(ctx context.Context, client *vonage.AccountClient, pos []string) error, register ...func(*flag.FlagSet)) *cobra.Command {
	return c.leaf(spec, func(ctx context.Context, _ *cobra.Command, pos []string) error {
		client, err := c.client(&f.commonFlags)
		if err != nil {
			return err
		}
		return run(ctx, client, pos)
	}, append(register, f.commonFlags.register, func(fs *flag.FlagSet) {
		fs.StringVar(&f.key, "key", "", "manage the secrets of this API key, the signing account's own or one of its subaccounts' (default: the signing account's)")
	})...)
}

// scope returns the client to manage the secrets with: scoped with ForKey to
// --key when that names another account than the signing one, else client
// itself. Its APIKey() is the key whose secrets the command manages.
func (f *secretsFlags) scope(client *vonage.AccountClient) *vonage.AccountClient {
	if k := strings.TrimSpace(f.key); k != "" && k != client.APIKey() {
		return client.ForKey(k)
	}
	return client
}

// secretJSON is one secret in --json output.
type secretJSON struct {
	ID        string `json:"id"`
	CreatedAt string `json:"created_at"`
}

func toSecretJSON(s vonage.AccountSecret) secretJSON {
	return secretJSON{ID: s.ID, CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339)}
}

func writeSecrets(w io.Writer, asJSON bool, secrets []vonage.AccountSecret) error {
	if asJSON {
		out := make([]secretJSON, 0, len(secrets))
		for _, s := range secrets {
			out = append(out, toSecretJSON(s))
		}
		return writeJSON(w, out)
	}
	rows := make([][]string, 0, len(secrets))
	for _, s := range secrets {
		rows = append(rows, []string{s.ID, timestamp(s.CreatedAt)})
	}
	return writeTable(w, []string{"ID", "CREATED"}, rows)
}

var secretsListCmd = command{
	name:    "secrets list",
	usage:   "secrets list [--key KEY] [flags]",
	summary: "Lists the account's API secrets, oldest first: ids and creation times only.\nWith --key, those of a subaccount.",
}

func (c *cli) secretsListCmd() *cobra.Command {
	var cf secretsFlags
	return c.secretsCommand(secretsListCmd, &cf, func(ctx context.Context, client *vonage.AccountClient, _ []string) error {
		list, _, err := cf.scope(client).ListSecretsContext(ctx)
		if err != nil {
			return c.apiFailure(err)
		}
		return writeSecrets(c.stdout, c.json, list.Secrets)
	})
}

var secretsGetCmd = command{
	name:    "secrets get",
	args:    []string{"ID"},
	usage:   "secrets get [--key KEY] [flags] ID",
	summary: "Shows one of the account's API secrets: its id and creation time. With\n--key, one of a subaccount's.",
}

func (c *cli) secretsGetCmd() *cobra.Command {
	var cf secretsFlags
	return c.secretsCommand(secretsGetCmd, &cf, func(ctx context.Context, client *vonage.AccountClient, pos []string) error {
		s, _, err := cf.scope(client).GetSecretContext(ctx, pos[0])
		if err != nil {
			return c.apiFailure(err)
		}
		return c.show(toSecretJSON(s), field{"ID", s.ID}, field{"Created", timestamp(s.CreatedAt)})
	})
}

var secretsCreateCmd = command{
	name:  "secrets create",
	usage: "secrets create [--key KEY] [flags]",
	summary: `Adds an API secret to the account (an account holds at most two). The new
secret is typed twice at a prompt, without echo, or, when stdin is not a
terminal, read from its first line:

    printf '%s\n' "$NEW_SECRET" | vonage secrets create

It is never taken from a flag or an argument, and never printed. A secret has
8 to 25 characters with at least one lower-case letter, one upper-case letter
and one digit. With --key, adds it to a subaccount.`,
}

func (c *cli) secretsCreateCmd() *cobra.Command {
	var cf secretsFlags
	return c.secretsCommand(secretsCreateCmd, &cf, func(ctx context.Context, client *vonage.AccountClient, _ []string) error {
		secret, err := readNewSecret(ctx, c.stdin, c.stderr, "secret", validSecret)
		if err != nil {
			return err
		}
		s, _, err := cf.scope(client).CreateSecretContext(ctx, secret)
		if err != nil {
			return c.apiFailure(err, secret)
		}
		return c.show(toSecretJSON(s), field{"Created secret", s.ID}, field{"Created", timestamp(s.CreatedAt)})
	})
}

var secretsRevokeCmd = command{
	name:  "secrets revoke",
	args:  []string{"ID"},
	usage: "secrets revoke [--key KEY] [flags] ID",
	summary: `Revokes one of the account's API secrets: from then on it is refused. The
account's last secret cannot be revoked. With --key, revokes a subaccount's.`,
}

// revokeJSON is secrets revoke --json.
type revokeJSON struct {
	ID      string `json:"id"`
	Revoked bool   `json:"revoked"`
}

func (c *cli) secretsRevokeCmd() *cobra.Command {
	var cf secretsFlags
	return c.secretsCommand(secretsRevokeCmd, &cf, func(ctx context.Context, client *vonage.AccountClient, pos []string) error {
		if _, _, err := cf.scope(client).DeleteSecretContext(ctx, pos[0]); err != nil {
			return c.apiFailure(err)
		}
		return c.show(revokeJSON{ID: pos[0], Revoked: true}, field{"Revoked secret", pos[0]})
	})
}
