package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
)

var secretsRotateCmd = command{
	name:  "secrets rotate",
	usage: "secrets rotate [--retire ID] [--key KEY] [flags]",
	summary: `Replaces one of the account's API secrets by a new one, read like "secrets
create" reads it (a prompt, or the first line of stdin). The secret you sign
with is revoked only after the new one has proved to work:

  1. list the secrets; an account that already holds two must name the one
     to replace with --retire ID: it is revoked first, to make room, so it
     must not be the one you sign with;
  2. create the new secret;
  3. verify it with a call signed by it (if that fails, it is revoked again
     and the old secret stays);
  4. revoke the old secret (the retired one is gone already).

Each step is shown on stderr as it starts. If one fails, the command says at
which step and which secret works now, and exits non-zero (3 only when your
own credentials were refused). After success, it says where the secret you
signed with came from (--api-secret, VONAGE_API_SECRET, the profile's
api-secret or api-secret-command) and how to update it there; update every
other place that holds the old secret too. With --key, rotates a
subaccount's secret, signing every step with your own credentials.`,
}

// rotateJSON is secrets rotate --json: the client's RotationResult, and on
// failure the step that failed and why.
type rotateJSON struct {
	APIKey          string `json:"api_key"`
	NewSecretID     string `json:"new_secret_id"`
	RevokedSecretID string `json:"revoked_secret_id"`
	WorkingSecretID string `json:"working_secret_id"`
	FailedStep      string `json:"failed_step,omitempty"`
	Error           string `json:"error,omitempty"`
}

func (c *cli) secretsRotateCmd() *cobra.Command {
	var (
		cf     secretsFlags
		retire string
	)
	return c.secretsCommand(secretsRotateCmd, &cf, func(ctx context.Context, client *vonage.AccountClient, _ []string) error {
		return c.secretsRotate(ctx, client, &cf, retire)
	}, func(fs *flag.FlagSet) {
		fs.StringVar(&retire, "retire", "", "on an account with two secrets, the id of the one to replace (revoked first: not the one you sign with)")
	})
}

func (c *cli) secretsRotate(ctx context.Context, client *vonage.AccountClient, cf *secretsFlags, retire string) error {
	scoped := cf.scope(client)
	key, own := scoped.APIKey(), scoped == client

	// RotateSecret checks all this too, but only after the new secret has
	// been typed; refusing here spares the typing, and knowing the count
	// lets the steps be numbered.
	list, _, err := scoped.ListSecretsContext(ctx)
	if err != nil {
		return c.apiFailure(err)
	}
	ids := make([]string, 0, len(list.Secrets))
	for _, s := range list.Secrets {
		ids = append(ids, s.ID)
	}
	switch {
	case retire != "" && !slices.Contains(ids, retire):
		return &cmdError{title: "cannot rotate", err: vonage.ErrNotFound,
			detail: fmt.Sprintf("--retire %s is none of the secrets of %s (%s)", retire, key, strings.Join(ids, ", "))}
	case len(ids) >= 2 && retire == "":
		return &cmdError{title: "cannot rotate", err: vonage.ErrSecretLimit,
			detail: fmt.Sprintf("%s has %d secrets (%s), the most it may hold: name the one to replace with --retire ID; it is revoked first, so it must not be the one you sign with",
				key, len(ids), strings.Join(ids, ", "))}
	}
	total := 4 // list, retire or revoke, create, verify
	if len(ids) == 0 {
		total = 3
	}

	secret, err := readNewSecret(ctx, c.stdin, c.stderr, "secret", validSecret)
	if err != nil {
		return err
	}
	n := 0
	opts := []vonage.RotateOption{vonage.OnStep(func(step, detail string) {
		if step == vonage.StepRollback {
			fmt.Fprintf(c.stderr, "[!] %s: %s\n", step, detail)
			return
		}
		n++
		fmt.Fprintf(c.stderr, "[%d/%d] %s: %s\n", n, total, step, detail)
	})}
	if retire != "" {
		opts = append(opts, vonage.RetireSecret(retire))
	}
	res, err := scoped.RotateSecret(ctx, secret, opts...)
	out := rotateJSON{APIKey: res.APIKey, NewSecretID: res.NewSecretID, RevokedSecretID: res.RevokedSecretID, WorkingSecretID: res.WorkingSecretID}

	var re *vonage.RotationError
	if errors.As(err, &re) {
		msg := scrub(strings.TrimPrefix(re.Error(), "vonage: "), secret, c.creds.value)
		c.explainRotationFailure(re, own, key)
		if c.json {
			out.FailedStep, out.Error = re.Step, msg
			if jerr := writeJSON(c.stdout, out); jerr != nil {
				return jerr
			}
		}
		cause := err
		if re.Step == vonage.StepVerify || re.Step == vonage.StepRollback {
			// What was refused there is the new secret, not the caller's
			// credentials: exit 1, never 3.
			cause = errors.New("the new secret failed verification")
		}
		return &cmdError{title: msg, err: cause}
	}
	if err != nil {
		return c.apiFailure(err, secret)
	}

	update := rotateInstructions(res, own, retire != "", c.creds)
	if c.json {
		if err := writeJSON(c.stdout, out); err != nil {
			return err
		}
		fmt.Fprintln(c.stderr, update)
		return nil
	}
	if err := writeFields(c.stdout,
		field{"API key", res.APIKey},
		field{"New secret", res.NewSecretID},
		field{"Revoked secret", orNone(res.RevokedSecretID)},
	); err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, update)
	return err
}

// explainRotationFailure tells on stderr which secret to sign with after a
// failed rotation, and what is left to clean up.
func (c *cli) explainRotationFailure(re *vonage.RotationError, own bool, key string) {
	w := c.stderr
	fmt.Fprintf(w, "Rotation stopped at step %q.\n", re.Step)
	owner := "the account's"
	if !own {
		owner = key + "'s"
	}
	switch {
	case re.WorkingSecretID == "":
		fmt.Fprintln(w, "Nothing changed.")
	case re.WorkingSecretID == re.NewSecretID:
		fmt.Fprintf(w, "Working secret: %s, the new one. Sign with the new secret from now on", re.WorkingSecretID)
		if !own {
			fmt.Fprintln(w, ".")
			break
		}
		where, how := secretPlace(c.creds)
		fmt.Fprintf(w, ": update %s to it.\n", where)
		if how != "" {
			fmt.Fprintln(w, how)
		}
	default:
		fmt.Fprintf(w, "Working secret: %s, %s secret from before the rotation; keep using it.\n", re.WorkingSecretID, owner)
	}
	if re.Step == vonage.StepRollback && re.NewSecretID != "" {
		revoke := "vonage secrets revoke " + re.NewSecretID
		if !own {
			revoke += " --key " + key
		}
		fmt.Fprintf(w, "The new secret %s did not work and is still on the account: revoke it with %q.\n", re.NewSecretID, revoke)
	}
}

// rotateInstructions says what the caller must update after a rotation:
// with own, where the secret they signed with came from (creds), and the
// command that changes it there.
func rotateInstructions(res vonage.RotationResult, own, retired bool, creds setting) string {
	var s, how string
	switch {
	case retired:
		// The secret replaced was the one the caller does not sign with.
		s = "Update every place that holds the retired secret to the new secret now"
	case own:
		var where string
		where, how = secretPlace(creds)
		s = "Update " + where + " (and every place that holds the old secret) to the new secret now"
	default:
		s = "Update every place that holds the old secret of " + res.APIKey + " to the new secret now"
	}
	if res.RevokedSecretID != "" {
		s += "; secret " + res.RevokedSecretID + " was revoked"
		if retired && own {
			s += " (the secret you signed with still works)"
		}
	}
	s += "."
	if how != "" {
		s += "\n" + how
	}
	return s
}

// secretPlace names where the API secret in use came from, as the object
// of "update … to the new secret", and how to change it there: a line of
// its own, empty when naming the place says it all. Neither ever holds
// the secret, nor the profile's api-secret-command (it may hold one).
func secretPlace(creds setting) (where, how string) {
	profile := "--profile " + shellWord(creds.profile)
	switch {
	case creds.flag != "":
		return "the --" + creds.flag + " you pass",
			"Better, keep it out of shell history: export " + envAPISecret + ", or store it in the profile (the command asks for it twice, or reads it from stdin): vonage config set api-secret -"
	case creds.profileKey == keySecretCommand:
		return fmt.Sprintf("what the %s of profile %q prints", keySecretCommand, creds.profile),
			"See that command with: vonage config get " + profile + " " + keySecretCommand
	case creds.profile != "":
		return fmt.Sprintf("the %s of profile %q", creds.profileKey, creds.profile),
			"Store it there (the command asks for it twice, or reads it from stdin): vonage config set " + profile + " " + creds.profileKey + " -"
	case creds.env != "":
		return creds.env, ""
	}
	return "the API secret you use", ""
}

// shellWord quotes s for a POSIX shell when it holds anything but the
// characters that never need it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@%+=:,/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
