package main

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// serveCmd is `vonage serve`. Its flags are the table in runServe, on the
// standard library's flag package: each is also an environment variable,
// read first through the flag's own parser so that a bad value is refused
// the same way from either, and the flag wins. That order is runServe's, so
// cobra hands it the arguments unparsed; it takes the global flags out
// first.
func (c *cli) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "serve",
		Short:              "start the Account API server",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			args, err := c.globalFlags(args)
			if err != nil {
				return usageError{err}
			}
			return runServe(cmd.Context(), args, c.getenv, c.stdout, c.stderr)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return serveFlagNames(), cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// globalFlags takes --json, --debug and --profile out of serve's arguments
// (up to a "--").
func (c *cli) globalFlags(args []string) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(rest, args[i:]...), nil
		case a == "--json" || a == "--json=true":
			c.json = true
		case a == "--debug" || a == "--debug=true":
			c.debug = true
		case strings.HasPrefix(a, "--profile="):
			c.profileName = strings.TrimPrefix(a, "--profile=")
		case a == "--profile":
			if i+1 == len(args) {
				return nil, errors.New("flag needs an argument: --profile")
			}
			i++
			c.profileName = args[i]
		default:
			rest = append(rest, a)
		}
	}
	return rest, nil
}

// serveFlagNames lists serve's flags for shell completion: runServe's
// table, read by running it with -h into nothing.
func serveFlagNames() []string {
	var names []string
	out := &strings.Builder{}
	_ = runServe(context.Background(), []string{"-h"}, func(string) string { return "" }, out, out)
	for _, m := range flagNameRE.FindAllStringSubmatch(out.String(), -1) {
		names = append(names, "--"+m[1])
	}
	return names
}

var flagNameRE = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// passwordRE finds the password of a key=value PostgreSQL connection string.
var passwordRE = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// maskDBURL hides the password of a database URL (or key=value connection
// string) wherever one is shown: postgres://user:xxxxx@host/db.
func maskDBURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return passwordRE.ReplaceAllString(s, "${1}xxxxx")
}

// maskDBPassword keeps the password of the database URL db out of err's
// text, whatever a driver put there.
func maskDBPassword(err error, db string) error {
	if err == nil {
		return nil
	}
	var pw string
	if u, perr := url.Parse(db); perr == nil && u.User != nil {
		pw, _ = u.User.Password()
	} else if m := passwordRE.FindStringSubmatch(db); m != nil {
		pw = strings.Trim(m[2], "'")
	}
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return maskedError{msg: strings.ReplaceAll(err.Error(), pw, "xxxxx"), err: err}
}

// maskedError is err with another text, for exitCode's errors.Is.
type maskedError struct {
	msg string
	err error
}

func (e maskedError) Error() string { return e.msg }
func (e maskedError) Unwrap() error { return e.err }
