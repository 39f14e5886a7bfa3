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
	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// The signature command sets the secret an account's signed requests are
// checked with (issue 12 item 4, contract sections 1 and 6). The secret is
// read like a new API secret, from a prompt typed twice or stdin's first
// line, and never shown again: the admin API shows only the method.

var adminSignatureCmd = command{
	name:  "admin account signature",
	args:  []string{"KEY"},
	usage: "admin account signature [flags] KEY (--method METHOD | --off)",
	summary: `Sets the signature secret and method of an account, so that its clients
may sign requests (api_key, timestamp and sig) instead of sending the API
secret; --off removes them, and signed requests are refused from then on.
METHOD is one of ` + strings.Join(account.SignatureMethods, ", ") + `. The secret is typed twice
at a prompt, without echo, or, when stdin is not a terminal, read from its
first line:

    printf '%s\n' "$SIGNATURE_SECRET" | vonage admin account signature KEY --method sha256

It is never taken from a flag, and never shown again: "admin account show"
shows the method only. A signature secret has 8 to 128 printable ASCII
characters without spaces. The server refuses to set one unless it runs
with a data key (VONAGE_DATA_KEY or --data-key-file), which encrypts it.`,
}

func (c *cli) adminSignatureCmd() *cobra.Command {
	var (
		af     adminFlags
		method string
		off    bool
	)
	return c.leaf(adminSignatureCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		switch {
		case off && given(cmd, "method"):
			return c.misuse(cmd, errors.New("--off cannot be combined with --method"))
		case !off && !given(cmd, "method"):
			return c.misuse(cmd, errors.New("give --method METHOD to set a signature secret, or --off to remove it"))
		case !off && !slices.Contains(account.SignatureMethods, method):
			return c.misuse(cmd, fmt.Errorf("--method must be one of %s", strings.Join(account.SignatureMethods, ", ")))
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		var sig *adminapi.SignatureSecret
		if !off {
			secret, err := readNewSecret(ctx, c.stdin, c.stderr, "signature secret", validSignatureSecret)
			if err != nil {
				return err
			}
			if err := validSignatureSecret(secret); err != nil {
				return err
			}
			sig = &adminapi.SignatureSecret{Secret: secret, Method: method}
		}
		acct, err := admin.SetSignature(ctx, pos[0], sig)
		if err != nil {
			return c.adminFailure(err)
		}
		return c.show(newAccountJSON(acct), accountFields(acct)...)
	}, af.register, func(fs *flag.FlagSet) {
		fs.StringVar(&method, "method", "", "the signature method: "+strings.Join(account.SignatureMethods, ", "))
		fs.BoolVar(&off, "off", false, "remove the account's signature secret")
	})
}

// validSignatureSecret applies the server's bounds of a signature secret
// at the prompt (and to stdin's line) before anything is sent; the message
// never repeats the secret.
func validSignatureSecret(s string) error {
	reason := ""
	switch {
	case len(s) < account.MinSignatureSecretLen || len(s) > account.MaxSignatureSecretLen:
		reason = fmt.Sprintf("must be %d to %d characters long", account.MinSignatureSecretLen, account.MaxSignatureSecretLen)
	case strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0:
		reason = "must contain only printable ASCII characters, without spaces"
	default:
		return nil
	}
	return &cmdError{title: "Invalid signature secret", detail: "the signature secret " + reason + "; nothing was changed", err: vonage.ErrInvalidRequest}
}

// signatureText is the signature line of the account table.
func signatureText(s *adminapi.SignatureInfo) string {
	if s == nil {
		return "(none)"
	}
	return s.Method + " (secret set, never shown)"
}
