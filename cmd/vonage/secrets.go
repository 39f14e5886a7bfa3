package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	vonage "github.com/vonage/vonage-go-sdk"
)

// The secrets commands manage the account's API secrets
// (https://developer.vonage.com/en/api/account#secret-management). No
// command ever prints a secret: the API returns only ids and times, and a new
// secret is read from a prompt or stdin, never from an argument.

const secretsUsage = `usage: vonage secrets <command> [flags]

Commands:
  list         list the account's API secrets (ids and creation times)
  get ID       show one secret
  create       add a secret (at most two), read from a prompt or stdin
  rotate       replace the account's only secret by a new one
  revoke ID    revoke a secret; the last one cannot be revoked

Run "vonage secrets <command> -h" for a command's flags.
`

func (c *cli) secrets(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, secretsUsage)
		return usageError{errors.New("secrets needs a command")}
	}
	switch args[0] {
	case "list":
		return c.secretsList(ctx, args[1:])
	case "get":
		return c.secretsGet(ctx, args[1:])
	case "create":
		return c.secretsCreate(ctx, args[1:])
	case "rotate":
		return c.secretsRotate(ctx, args[1:])
	case "revoke":
		return c.secretsRevoke(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, secretsUsage)
		return nil
	}
	fmt.Fprint(c.stderr, secretsUsage)
	return usageError{fmt.Errorf("unknown secrets command %q", args[0])}
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
	usage:   "secrets list [flags]",
	summary: "Lists the account's API secrets, oldest first: ids and creation times only.",
}

func (c *cli) secretsList(ctx context.Context, args []string) error {
	var cf commonFlags
	fs := c.newFlagSet("secrets list")
	cf.register(fs)
	if _, err := c.parseN(fs, secretsListCmd, args); err != nil {
		return err
	}
	client, err := c.client(&cf)
	if err != nil {
		return err
	}
	list, _, err := client.ListSecretsContext(ctx)
	if err != nil {
		return apiFailure(err)
	}
	return writeSecrets(c.stdout, cf.json, list.Secrets)
}

var secretsGetCmd = command{
	usage:   "secrets get [flags] ID",
	summary: "Shows one of the account's API secrets: its id and creation time.",
}

func (c *cli) secretsGet(ctx context.Context, args []string) error {
	var cf commonFlags
	fs := c.newFlagSet("secrets get")
	cf.register(fs)
	pos, err := c.parseN(fs, secretsGetCmd, args, "ID")
	if err != nil {
		return err
	}
	client, err := c.client(&cf)
	if err != nil {
		return err
	}
	s, _, err := client.GetSecretContext(ctx, pos[0])
	if err != nil {
		return apiFailure(err)
	}
	if cf.json {
		return writeJSON(c.stdout, toSecretJSON(s))
	}
	return writeFields(c.stdout, field{"ID", s.ID}, field{"Created", timestamp(s.CreatedAt)})
}

var secretsCreateCmd = command{
	usage: "secrets create [flags]",
	summary: `Adds an API secret to the account (an account holds at most two). The new
secret is typed twice at a prompt, without echo, or, when stdin is not a
terminal, read from its first line:

    printf '%s\n' "$NEW_SECRET" | vonage secrets create

It is never taken from a flag or an argument, and never printed. A secret has
8 to 25 characters with at least one lower-case letter, one upper-case letter
and one digit.`,
}

func (c *cli) secretsCreate(ctx context.Context, args []string) error {
	var cf commonFlags
	fs := c.newFlagSet("secrets create")
	cf.register(fs)
	if _, err := c.parseN(fs, secretsCreateCmd, args); err != nil {
		return err
	}
	client, err := c.client(&cf)
	if err != nil {
		return err
	}
	secret, err := readNewSecret(ctx, c.stdin, c.stderr, "secret")
	if err != nil {
		return err
	}
	s, _, err := client.CreateSecretContext(ctx, secret)
	if err != nil {
		return apiFailure(err, secret)
	}
	if cf.json {
		return writeJSON(c.stdout, toSecretJSON(s))
	}
	return writeFields(c.stdout, field{"Created secret", s.ID}, field{"Created", timestamp(s.CreatedAt)})
}

var secretsRotateCmd = command{
	usage: "secrets rotate [flags]",
	summary: `Replaces the account's only API secret: adds the new secret (read like
"secrets create" reads it), checks that it works, then revokes the old one
with it. When the account already has two secrets, revoke the one no longer
in use with "secrets revoke" instead. Afterwards, update VONAGE_API_SECRET.`,
}

// rotateJSON is secrets rotate --json.
type rotateJSON struct {
	Created secretJSON `json:"created"`
	Revoked string     `json:"revoked"`
}

func (c *cli) secretsRotate(ctx context.Context, args []string) error {
	var cf commonFlags
	fs := c.newFlagSet("secrets rotate")
	cf.register(fs)
	if _, err := c.parseN(fs, secretsRotateCmd, args); err != nil {
		return err
	}
	client, err := c.client(&cf)
	if err != nil {
		return err
	}
	// Rotation is unambiguous only with one secret: the API does not say
	// which of two secrets the caller is using.
	list, _, err := client.ListSecretsContext(ctx)
	if err != nil {
		return apiFailure(err)
	}
	if len(list.Secrets) != 1 {
		return &cmdError{
			title:  "cannot rotate",
			detail: fmt.Sprintf("the account has %d secrets; revoke the one no longer in use with \"vonage secrets revoke ID\"", len(list.Secrets)),
		}
	}
	old := list.Secrets[0].ID
	secret, err := readNewSecret(ctx, c.stdin, c.stderr, "secret")
	if err != nil {
		return err
	}
	created, _, err := client.CreateSecretContext(ctx, secret)
	if err != nil {
		return apiFailure(err, secret)
	}
	// Revoking with the new secret proves it works before the old one goes.
	if _, _, err := c.clientFor(client.APIKey(), secret, &cf).DeleteSecretContext(ctx, old); err != nil {
		err = apiFailure(err, secret)
		return fmt.Errorf("the new secret %s was added, but revoking the old secret %s failed: %w", created.ID, old, err)
	}
	if cf.json {
		return writeJSON(c.stdout, rotateJSON{Created: toSecretJSON(created), Revoked: old})
	}
	if err := writeFields(c.stdout,
		field{"Created secret", created.ID},
		field{"Created", timestamp(created.CreatedAt)},
		field{"Revoked secret", old},
	); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "The old secret no longer works: update "+envAPISecret+".")
	return nil
}

var secretsRevokeCmd = command{
	usage: "secrets revoke [flags] ID",
	summary: `Revokes one of the account's API secrets: from then on it is refused. The
account's last secret cannot be revoked.`,
}

// revokeJSON is secrets revoke --json.
type revokeJSON struct {
	ID      string `json:"id"`
	Revoked bool   `json:"revoked"`
}

func (c *cli) secretsRevoke(ctx context.Context, args []string) error {
	var cf commonFlags
	fs := c.newFlagSet("secrets revoke")
	cf.register(fs)
	pos, err := c.parseN(fs, secretsRevokeCmd, args, "ID")
	if err != nil {
		return err
	}
	client, err := c.client(&cf)
	if err != nil {
		return err
	}
	if _, _, err := client.DeleteSecretContext(ctx, pos[0]); err != nil {
		return apiFailure(err)
	}
	if cf.json {
		return writeJSON(c.stdout, revokeJSON{ID: pos[0], Revoked: true})
	}
	return writeFields(c.stdout, field{"Revoked secret", pos[0]})
}
