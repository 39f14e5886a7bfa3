package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
)

// The account commands: balance, settings and top-up
// (https://developer.vonage.com/en/api/account).

var balanceCmd = command{
	name:    "balance",
	usage:   "balance [flags]",
	summary: "Shows the account's balance in EUR, exactly as the server keeps it, and whether\nauto-reload is on.",
}

// balanceJSON is balance --json. The value is a decimal string so no script
// parses money into a float.
type balanceJSON struct {
	Value      string `json:"value"`
	AutoReload bool   `json:"auto_reload"`
}

func (c *cli) balanceCmd() *cobra.Command {
	var cf commonFlags
	return c.leaf(balanceCmd, func(ctx context.Context, _ *cobra.Command, _ []string) error {
		client, err := c.client(&cf)
		if err != nil {
			return err
		}
		b, _, err := client.GetBalanceContext(ctx)
		if err != nil {
			return c.apiFailure(err)
		}
		return c.show(balanceJSON{Value: money(b.ValueDecimal), AutoReload: b.AutoReload},
			field{"Balance", eur(b.ValueDecimal)},
			field{"Auto-reload", onOff(b.AutoReload)},
		)
	}, cf.register)
}

var settingsCmd = command{
	name:  "settings",
	usage: "settings [--mo-url URL] [--dr-url URL] [flags]",
	summary: `Shows the account's settings. With --mo-url or --dr-url, first changes the
default callback URL of inbound SMS or of delivery receipts; an empty value
(--mo-url "") clears it. A URL must be an absolute http or https URL.`,
}

// settingsJSON is settings --json: the API's settings object in the CLI's
// one key style, snake_case.
type settingsJSON struct {
	MoCallbackURL      string `json:"mo_callback_url"`
	DrCallbackURL      string `json:"dr_callback_url"`
	MaxOutboundRequest int    `json:"max_outbound_request"`
	MaxInboundRequest  int    `json:"max_inbound_request"`
	MaxCallsPerSecond  int    `json:"max_calls_per_second"`
}

func (c *cli) settingsCmd() *cobra.Command {
	var cf commonFlags
	var moURL, drURL string
	return c.leaf(settingsCmd, func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		return c.settings(ctx, cmd, &cf, moURL, drURL)
	}, cf.register, func(fs *flag.FlagSet) {
		fs.StringVar(&moURL, "mo-url", "", `callback URL of inbound SMS; "" clears it`)
		fs.StringVar(&drURL, "dr-url", "", `callback URL of delivery receipts; "" clears it`)
	})
}

func (c *cli) settings(ctx context.Context, cmd *cobra.Command, cf *commonFlags, moURL, drURL string) error {
	// A flag given with an empty value clears the URL; a flag not given
	// leaves it alone.
	var upd vonage.AccountConfigUpdate
	if given(cmd, "mo-url") {
		upd.MoCallbackUrl = &moURL
	}
	if given(cmd, "dr-url") {
		upd.DrCallbackUrl = &drURL
	}
	client, err := c.client(cf)
	if err != nil {
		return err
	}
	var s vonage.AccountConfigResponse
	if upd.MoCallbackUrl == nil && upd.DrCallbackUrl == nil {
		s, _, err = client.GetConfigContext(ctx)
	} else {
		s, _, err = client.UpdateConfigContext(ctx, upd)
	}
	if err != nil {
		return c.apiFailure(err)
	}
	asJSON := settingsJSON{
		MoCallbackURL:      s.MoCallbackUrl,
		DrCallbackURL:      s.DrCallbackUrl,
		MaxOutboundRequest: s.MaxOutboundRequest,
		MaxInboundRequest:  s.MaxInboundRequest,
		MaxCallsPerSecond:  s.MaxCallsPerSecond,
	}
	return c.show(asJSON,
		field{"Inbound SMS URL (mo)", orNone(s.MoCallbackUrl)},
		field{"Delivery receipt URL (dr)", orNone(s.DrCallbackUrl)},
		field{"Max outbound requests", strconv.Itoa(s.MaxOutboundRequest)},
		field{"Max inbound requests", strconv.Itoa(s.MaxInboundRequest)},
		field{"Max calls per second", strconv.Itoa(s.MaxCallsPerSecond)},
	)
}

var topupCmd = command{
	name:  "topup",
	args:  []string{"TRX"},
	usage: "topup [flags] TRX",
	summary: `Tops the balance up again by the amount of an earlier auto-reload, named by
its transaction reference TRX. Only accounts with auto-reload can top up.`,
}

type topupJSON struct {
	Trx    string `json:"trx"`
	Status string `json:"status"`
}

func (c *cli) topupCmd() *cobra.Command {
	var cf commonFlags
	return c.leaf(topupCmd, func(ctx context.Context, _ *cobra.Command, pos []string) error {
		client, err := c.client(&cf)
		if err != nil {
			return err
		}
		res, _, err := client.TopUpContext(ctx, pos[0])
		if err != nil {
			return c.apiFailure(err)
		}
		if c.json {
			return writeJSON(c.stdout, topupJSON{Trx: pos[0], Status: res.ErrorCodeLabel})
		}
		_, err = fmt.Fprintf(c.stdout, "Topped up by the amount of auto-reload %s: %s.\n", pos[0], res.ErrorCodeLabel)
		return err
	}, cf.register)
}
