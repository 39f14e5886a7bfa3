package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

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

func (c *cli) balance(ctx context.Context, args []string) error {
	var cf commonFlags
	client, _, err := c.accountCommand(balanceCmd, args, &cf)
	if err != nil {
		return err
	}
	b, _, err := client.GetBalanceContext(ctx)
	if err != nil {
		return apiFailure(err)
	}
	return c.show(cf.json, balanceJSON{Value: b.ValueDecimal, AutoReload: b.AutoReload},
		field{"Balance", b.ValueDecimal + " EUR"},
		field{"Auto-reload", onOff(b.AutoReload)},
	)
}

var settingsCmd = command{
	name:  "settings",
	usage: "settings [--mo-url URL] [--dr-url URL] [flags]",
	summary: `Shows the account's settings. With --mo-url or --dr-url, first changes the
default callback URL of inbound SMS or of delivery receipts; an empty value
(--mo-url "") clears it. A URL must be an absolute http or https URL.`,
}

// settingsJSON is settings --json, with the keys of the API's settings object.
type settingsJSON struct {
	MoCallbackURL      string `json:"mo-callback-url"`
	DrCallbackURL      string `json:"dr-callback-url"`
	MaxOutboundRequest int    `json:"max-outbound-request"`
	MaxInboundRequest  int    `json:"max-inbound-request"`
	MaxCallsPerSecond  int    `json:"max-calls-per-second"`
}

func (c *cli) settings(ctx context.Context, args []string) error {
	var cf commonFlags
	var moURL, drURL string
	fs, _, err := c.parse(settingsCmd, args, cf.register, func(fs *flag.FlagSet) {
		fs.StringVar(&moURL, "mo-url", "", `callback URL of inbound SMS; "" clears it`)
		fs.StringVar(&drURL, "dr-url", "", `callback URL of delivery receipts; "" clears it`)
	})
	if err != nil {
		return err
	}
	// A flag given with an empty value clears the URL; a flag not given
	// leaves it alone.
	var upd vonage.AccountConfigUpdate
	if given(fs, "mo-url") {
		upd.MoCallbackUrl = &moURL
	}
	if given(fs, "dr-url") {
		upd.DrCallbackUrl = &drURL
	}
	client, err := c.client(&cf)
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
		return apiFailure(err)
	}
	asJSON := settingsJSON{
		MoCallbackURL:      s.MoCallbackUrl,
		DrCallbackURL:      s.DrCallbackUrl,
		MaxOutboundRequest: s.MaxOutboundRequest,
		MaxInboundRequest:  s.MaxInboundRequest,
		MaxCallsPerSecond:  s.MaxCallsPerSecond,
	}
	return c.show(cf.json, asJSON,
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

func (c *cli) topup(ctx context.Context, args []string) error {
	var cf commonFlags
	client, pos, err := c.accountCommand(topupCmd, args, &cf)
	if err != nil {
		return err
	}
	res, _, err := client.TopUpContext(ctx, pos[0])
	if err != nil {
		return apiFailure(err)
	}
	if cf.json {
		return writeJSON(c.stdout, topupJSON{Trx: pos[0], Status: res.ErrorCodeLabel})
	}
	_, err = fmt.Fprintf(c.stdout, "Topped up by the amount of auto-reload %s: %s.\n", pos[0], res.ErrorCodeLabel)
	return err
}
