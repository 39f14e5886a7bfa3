package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// The money commands: credits and charges, the ledger, and the ledger check
// (contract sections 5 and 6). Amounts stay decimal strings end to end, as
// the admin API sends them, so none passes through a float.

var (
	adminCreditCmd = command{
		name:  "admin credit",
		args:  []string{"KEY", "AMOUNT"},
		usage: "admin credit [flags] KEY AMOUNT",
		summary: `Adds AMOUNT EUR (a decimal string such as "10.00") to the account's balance.
` + idempotencyHelp,
	}
	adminChargeCmd = command{
		name:  "admin charge",
		args:  []string{"KEY", "AMOUNT"},
		usage: "admin charge [flags] KEY AMOUNT",
		summary: `Takes AMOUNT EUR (a decimal string such as "0.0068") from the account's
balance; refused, with nothing changed, when the balance is short. When the
charge takes the balance below the auto-reload threshold, the reload is added
first and shown too.
` + idempotencyHelp,
	}
)

const idempotencyHelp = `
Every request carries an Idempotency-Key: the one given with
--idempotency-key, else a fresh random one, printed with the result. Sending
the same key and the same request again moves the money at most once (the
answer then says "replayed: no money moved"), so retry with the printed key
whenever you do not know whether a request went through.`

func (c *cli) adminCreditCmd() *cobra.Command {
	return c.adminMove(adminCreditCmd, (*adminapi.Client).Credit)
}

func (c *cli) adminChargeCmd() *cobra.Command {
	return c.adminMove(adminChargeCmd, (*adminapi.Client).Charge)
}

// adminMove is a credit or a charge: cmd's command line, sent with move.
func (c *cli) adminMove(spec command,
	move func(*adminapi.Client, context.Context, string, adminapi.MoneyRequest) (adminapi.Movement, error)) *cobra.Command {
	var (
		af        adminFlags
		reference string
		key       string
	)
	return c.leaf(spec, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		if given(cmd, "idempotency-key") && key == "" {
			return c.misuse(cmd, errors.New("--idempotency-key must not be empty; leave it out to use a fresh key"))
		}
		if key == "" {
			key = rand.Text()
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		res, err := move(admin, ctx, pos[0], adminapi.MoneyRequest{Amount: pos[1], Reference: reference, IdempotencyKey: key})
		if err != nil {
			var ae *adminapi.Error
			replayed := errors.As(err, &ae) && ae.Replayed
			err = c.adminFailure(err)
			var ce *cmdError
			if replayed && errors.As(err, &ce) {
				ce.detail += " (replayed: no money moved)"
			}
			if errors.Is(err, vonage.ErrTransport) || errors.Is(err, vonage.ErrServer) {
				fmt.Fprintf(c.stderr, "The money may or may not have moved. Retry with --idempotency-key %s: it moves at most once.\n", key)
			}
			return err
		}
		if c.json {
			return writeJSON(c.stdout, newMovedJSON(res, key))
		}
		rows := []adminapi.Transaction{res.Transaction}
		if res.Reload != nil {
			rows = append(rows, *res.Reload) // newest first, as in the ledger: the reload came first
		}
		if err := writeTransactions(c.stdout, rows); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout)
		if err := writeFields(c.stdout, field{"Balance", eur(res.Balance)}, field{"Idempotency key", key}); err != nil {
			return err
		}
		if res.Replayed {
			fmt.Fprintln(c.stdout, "(replayed: no money moved)")
		}
		return nil
	}, af.register, func(fs *flag.FlagSet) {
		fs.StringVar(&reference, "reference", "", "free text recorded with the transaction")
		fs.StringVar(&key, "idempotency-key", "", "the key of an earlier attempt, to retry it safely (default: a fresh random key)")
	})
}

// writeTransactions prints ledger rows as a table.
func writeTransactions(w io.Writer, txs []adminapi.Transaction) error {
	rows := make([][]string, 0, len(txs))
	for _, t := range txs {
		trx := orDash(t.Trx)
		if t.RelatedTrx != "" {
			trx += " (repeats " + t.RelatedTrx + ")"
		}
		rows = append(rows, []string{strconv.FormatInt(t.ID, 10), t.CreatedAt, t.Kind, money(t.Amount), money(t.BalanceAfter), orDash(t.Reference), trx})
	}
	return writeTable(w, []string{"ID", "TIME", "KIND", "AMOUNT", "BALANCE AFTER", "REFERENCE", "TRX"}, rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var adminTransactionsCmd = command{
	name:  "admin transactions",
	args:  []string{"KEY"},
	usage: "admin transactions [flags] KEY",
	summary: `Shows the account's ledger, newest first, a page at a time (the server's
default is 50 rows); amounts and balances in EUR, charges negative. When more
rows follow, it says how to ask for the next page (--cursor). --all follows
the pages to the end and prints every row.`,
}

func (c *cli) adminTransactionsCmd() *cobra.Command {
	return pagedCommand(c, adminTransactionsCmd, listing[adminapi.Transaction]{
		rows: "transactions", sizeFlag: "limit", serverDefault: "50",
		fetch: func(ctx context.Context, admin *adminapi.Client, pos []string, size int, cursor string) ([]adminapi.Transaction, string, error) {
			page, err := admin.Transactions(ctx, pos[0], size, cursor)
			return page.Transactions, page.NextCursor, err
		},
		print: func(txs []adminapi.Transaction, next string) error {
			if c.json {
				return writeJSON(c.stdout, transactionsJSON{Transactions: newTransactionsJSON(txs), NextCursor: next})
			}
			return writeTransactions(c.stdout, txs)
		},
		cmdline: func(pos []string) string { return "vonage admin transactions " + pos[0] },
	})
}

var adminVerifyLedgerCmd = command{
	name:  "admin verify-ledger",
	usage: "admin verify-ledger [flags]",
	summary: `Checks every account: its balance must be the sum of its ledger, and each
row must continue the balance of the row before. Prints what was checked and
each problem found; exits 1 when there is any.`,
}

func (c *cli) adminVerifyLedgerCmd() *cobra.Command {
	var af adminFlags
	return c.leaf(adminVerifyLedgerCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		rep, err := admin.VerifyLedger(ctx)
		if err != nil {
			return c.adminFailure(err)
		}
		if rep.Problems == nil {
			rep.Problems = []adminapi.LedgerProblem{}
		}
		if c.json {
			err = writeJSON(c.stdout, rep)
		} else {
			err = writeLedgerReport(c.stdout, rep)
		}
		if err != nil {
			return err
		}
		if !rep.OK || len(rep.Problems) > 0 {
			return &cmdError{title: "ledger check failed", detail: fmt.Sprintf("%d problem(s) found", len(rep.Problems))}
		}
		return nil
	}, af.register)
}

func writeLedgerReport(w io.Writer, rep adminapi.LedgerReport) error {
	result := "ok"
	if !rep.OK || len(rep.Problems) > 0 {
		result = fmt.Sprintf("%d problem(s)", len(rep.Problems))
	}
	if err := writeFields(w,
		field{"Accounts checked", strconv.Itoa(rep.Accounts)},
		field{"Rows checked", strconv.Itoa(rep.Rows)},
		field{"Result", result},
	); err != nil {
		return err
	}
	if len(rep.Problems) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	rows := make([][]string, 0, len(rep.Problems))
	for _, p := range rep.Problems {
		tx := "(balance)"
		if p.TransactionID != 0 {
			tx = strconv.FormatInt(p.TransactionID, 10)
		}
		rows = append(rows, []string{p.APIKey, tx, p.Message})
	}
	return writeTable(w, []string{"API KEY", "TRANSACTION", "PROBLEM"}, rows)
}
