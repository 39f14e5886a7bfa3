package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// Callbacks (issue 18; contract section 6): an operator or a tester fires
// an inbound SMS or a delivery receipt at the account's callback URL, and
// sees what became of each delivery.

// webhookMethods are the ways callbacks are sent (webhook_method).
var webhookMethods = []string{"GET", "POST", "POST-JSON"}

// receiptStatuses are the statuses of a delivery receipt.
var receiptStatuses = []string{"delivered", "expired", "failed", "rejected", "accepted", "buffered", "unknown"}

const triggerUsage = `usage: vonage admin trigger <command> [flags] KEY

Commands:
  inbound-sms KEY        queue an inbound SMS for the account's mo-callback-url
                         (--to, --msisdn, --text; --type text|unicode)
  delivery-receipt KEY   queue a delivery receipt for its dr-callback-url
                         (--message-id, --to, --msisdn, --status; also "dlr")

The server delivers it in the background, by the account's webhook method,
and retries until the endpoint answers 2xx; "vonage admin webhooks KEY"
shows each delivery, its attempts and the next retry.

Run "vonage admin trigger <command> -h" for a command's flags.
`

// triggeredJSON is what a trigger prints with --json.
type triggeredJSON struct {
	APIKey     string   `json:"api_key"`
	MessageID  string   `json:"message_id"`
	MessageIDs []string `json:"message_ids"`
}

// showTriggered prints a trigger's answer: the message id, and the parts'
// ids when a long text was split.
func (c *cli) showTriggered(key, what string, t adminapi.Triggered) error {
	if t.MessageIDs == nil {
		t.MessageIDs = []string{t.MessageID}
	}
	fields := []field{{"Queued", what + " for " + key}, {"Message id", t.MessageID}}
	if len(t.MessageIDs) > 1 {
		fields = append(fields, field{"Parts", strconv.Itoa(len(t.MessageIDs)) + ": " + strings.Join(t.MessageIDs, ", ")})
	}
	err := c.show(triggeredJSON{APIKey: key, MessageID: t.MessageID, MessageIDs: t.MessageIDs}, fields...)
	if err == nil && !c.json {
		fmt.Fprintf(c.stderr, "Follow its delivery with: vonage admin webhooks %s\n", key)
	}
	return err
}

var adminTriggerSMSCmd = command{
	name:  "admin trigger inbound-sms",
	args:  []string{"KEY"},
	usage: "admin trigger inbound-sms [flags] KEY --to NUMBER --msisdn NUMBER --text TEXT",
	summary: `Queues an inbound SMS, as if MSISDN had texted TEXT to the account's number TO,
for delivery to the account's mo-callback-url (refused when it is not set).
A text too long for one SMS is split into parts, each delivered with the
concatenation fields. --type is text or unicode (default: by the text).`,
}

func (c *cli) adminTriggerSMSCmd() *cobra.Command {
	var (
		af adminFlags
		in adminapi.InboundSMS
	)
	return c.leaf(adminTriggerSMSCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		if err := required(cmd, "to", "msisdn", "text"); err != nil {
			return c.misuse(cmd, err)
		}
		if in.Type != "" && in.Type != "text" && in.Type != "unicode" {
			return c.misuse(cmd, errors.New("--type must be text or unicode"))
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		t, err := admin.TriggerInboundSMS(ctx, pos[0], in)
		if err != nil {
			return c.adminFailure(err)
		}
		return c.showTriggered(pos[0], "inbound SMS", t)
	}, af.register, func(fs *flag.FlagSet) {
		fs.StringVar(&in.To, "to", "", "the account's number the SMS was sent to")
		fs.StringVar(&in.MSISDN, "msisdn", "", "the number of the phone that sent it")
		fs.StringVar(&in.Text, "text", "", "the message")
		fs.StringVar(&in.Type, "type", "", "text or unicode (default: by the text)")
	})
}

var adminTriggerDLRCmd = command{
	name:  "admin trigger delivery-receipt",
	args:  []string{"KEY"},
	usage: "admin trigger delivery-receipt [flags] KEY --message-id ID --to NUMBER --msisdn NUMBER --status STATUS",
	summary: `Queues a delivery receipt for the message ID, sent from TO to MSISDN, for
delivery to the account's dr-callback-url (refused when it is not set).
STATUS is one of ` + strings.Join(receiptStatuses, ", ") + `. Also "vonage admin trigger dlr".`,
}

func (c *cli) adminTriggerDLRCmd() *cobra.Command {
	var (
		af adminFlags
		r  adminapi.DeliveryReceipt
	)
	cmd := c.leaf(adminTriggerDLRCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		if err := required(cmd, "message-id", "to", "msisdn", "status"); err != nil {
			return c.misuse(cmd, err)
		}
		if !slices.Contains(receiptStatuses, r.Status) {
			return c.misuse(cmd, errors.New("--status must be one of "+strings.Join(receiptStatuses, ", ")))
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		t, err := admin.TriggerDeliveryReceipt(ctx, pos[0], r)
		if err != nil {
			return c.adminFailure(err)
		}
		return c.showTriggered(pos[0], "delivery receipt", t)
	}, af.register, func(fs *flag.FlagSet) {
		fs.StringVar(&r.MessageID, "message-id", "", "the id of the message the receipt is about")
		fs.StringVar(&r.To, "to", "", "the number or sender id the message was sent from")
		fs.StringVar(&r.MSISDN, "msisdn", "", "the number the message was sent to")
		fs.StringVar(&r.Status, "status", "", "one of "+strings.Join(receiptStatuses, ", "))
		fs.StringVar(&r.ErrCode, "err-code", "", "the receipt's err-code (default: the server's for the status)")
		fs.StringVar(&r.Price, "price", "", "the message's price in EUR")
		fs.StringVar(&r.NetworkCode, "network-code", "", "the recipient's network code")
	})
	cmd.Aliases = []string{"dlr"}
	return cmd
}

// required refuses a command line that leaves out one of the named flags,
// or gives it empty.
func required(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f == nil || f.Value.String() == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return errors.New("missing " + strings.Join(missing, ", "))
	}
	return nil
}

var adminWebhooksCmd = command{
	name:  "admin webhooks",
	args:  []string{"KEY"},
	usage: "admin webhooks [flags] KEY",
	summary: `Shows the account's callback deliveries, newest first: what was sent where,
its state (pending, delivered or failed), every attempt with the endpoint's
status code or the error and how long it took, and when a pending one is
tried next. A page at a time (the server's default is 50); --all follows the
pages to the end.`,
}

func (c *cli) adminWebhooksCmd() *cobra.Command {
	return pagedCommand(c, adminWebhooksCmd, listing[adminapi.Delivery]{
		rows: "deliveries", sizeFlag: "limit", serverDefault: "50",
		fetch: func(ctx context.Context, admin *adminapi.Client, pos []string, size int, cursor string) ([]adminapi.Delivery, string, error) {
			page, err := admin.Webhooks(ctx, pos[0], size, cursor)
			return page.Webhooks, page.NextCursor, err
		},
		print: func(ds []adminapi.Delivery, next string) error {
			for i := range ds {
				if ds[i].Attempts == nil {
					ds[i].Attempts = []adminapi.Attempt{}
				}
			}
			if c.json {
				return writeJSON(c.stdout, adminapi.WebhooksPage{Webhooks: ds, NextCursor: next})
			}
			return writeDeliveries(c.stdout, ds)
		},
		cmdline: func(pos []string) string { return "vonage admin webhooks " + pos[0] },
	})
}

// writeDeliveries prints deliveries as a table: a row per delivery, then
// a row per attempt under it (its time, and the endpoint's status code or
// the error, under STATE).
func writeDeliveries(w io.Writer, ds []adminapi.Delivery) error {
	rows := make([][]string, 0, len(ds))
	for _, d := range ds {
		next := "-"
		if d.NextAttemptAt != "" {
			next = d.NextAttemptAt
		}
		rows = append(rows, []string{strconv.FormatInt(d.ID, 10), d.CreatedAt, d.Kind, d.MessageID, d.State, next, d.Method + " " + d.URL})
		for i, a := range d.Attempts {
			result := strconv.Itoa(a.StatusCode)
			if a.Error != "" {
				result = a.Error
			}
			rows = append(rows, []string{"", a.At, "attempt " + strconv.Itoa(i+1), "", result + " in " + strconv.FormatFloat(a.DurationMS, 'f', 1, 64) + " ms"})
		}
	}
	return writeTable(w, []string{"ID", "CREATED", "KIND", "MESSAGE ID", "STATE", "NEXT RETRY", "SENT TO"}, rows)
}
