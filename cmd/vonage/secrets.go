package main

import (
	"context"
	"flag"
	"io"
	"strings"
	"time"

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

func (c *cli) secrets(ctx context.Context, args []string) error {
	return c.dispatch(ctx, group{name: "secrets", usage: secretsUsage, commands: map[string]func(context.Context, []string) error{
		"list":   c.secretsList,
		"get":    c.secretsGet,
		"create": c.secretsCreate,
		"rotate": c.secretsRotate,
		"revoke": c.secretsRevoke,
	}}, args)
}

// secretsFlags are the flags of every secrets command: the common ones and
// --key, the account whose secrets to manage.
type secretsFlags struct {
	commonFlags
	key string
}

// secretsCommand is accountCommand for a secrets command: it adds --key
// (see scope) to the flags.
func (c *cli) secretsCommand(cmd command, args []string, f *secretsFlags, register ...func(*flag.FlagSet)) (*vonage.AccountClient, []string, error) {
	return c.accountCommand(cmd, args, &f.commonFlags, append(register, func(fs *flag.FlagSet) {
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

func (c *cli) secretsList(ctx context.Context, args []string) error {
	var cf secretsFlags
	client, _, err := c.secretsCommand(secretsListCmd, args, &cf)
	if err != nil {
		return err
	}
	list, _, err := cf.scope(client).ListSecretsContext(ctx)
	if err != nil {
		return apiFailure(err)
	}
	return writeSecrets(c.stdout, cf.json, list.Secrets)
}

var secretsGetCmd = command{
	name:    "secrets get",
	args:    []string{"ID"},
	usage:   "secrets get [--key KEY] [flags] ID",
	summary: "Shows one of the account's API secrets: its id and creation time. With\n--key, one of a subaccount's.",
}

func (c *cli) secretsGet(ctx context.Context, args []string) error {
	var cf secretsFlags
	client, pos, err := c.secretsCommand(secretsGetCmd, args, &cf)
	if err != nil {
		return err
	}
	s, _, err := cf.scope(client).GetSecretContext(ctx, pos[0])
	if err != nil {
		return apiFailure(err)
	}
	return c.show(cf.json, toSecretJSON(s), field{"ID", s.ID}, field{"Created", timestamp(s.CreatedAt)})
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

func (c *cli) secretsCreate(ctx context.Context, args []string) error {
	var cf secretsFlags
	client, _, err := c.secretsCommand(secretsCreateCmd, args, &cf)
	if err != nil {
		return err
	}
	secret, err := readNewSecret(ctx, c.stdin, c.stderr, "secret")
	if err != nil {
		return err
	}
	s, _, err := cf.scope(client).CreateSecretContext(ctx, secret)
	if err != nil {
		return apiFailure(err, secret)
	}
	return c.show(cf.json, toSecretJSON(s), field{"Created secret", s.ID}, field{"Created", timestamp(s.CreatedAt)})
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

func (c *cli) secretsRevoke(ctx context.Context, args []string) error {
	var cf secretsFlags
	client, pos, err := c.secretsCommand(secretsRevokeCmd, args, &cf)
	if err != nil {
		return err
	}
	if _, _, err := cf.scope(client).DeleteSecretContext(ctx, pos[0]); err != nil {
		return apiFailure(err)
	}
	return c.show(cf.json, revokeJSON{ID: pos[0], Revoked: true}, field{"Revoked secret", pos[0]})
}
