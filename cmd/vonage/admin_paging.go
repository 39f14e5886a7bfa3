package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// The paged listings (transactions, accounts, webhooks) share their flags:
// a page size, --cursor and --all.

// allPageSize is the page size of --all without a size: the server's
// largest, for the fewest requests.
const allPageSize = 1000

// paging holds a listing's page flags: the page size (sizeFlag, "limit"
// or "page-size"), the cursor to start after and --all.
type paging struct {
	sizeFlag  string
	size      int
	sizeGiven bool
	cursor    string
	all       bool
}

// register adds the flags; rows names what is listed ("rows") and
// serverDefault the server's page size.
func (p *paging) register(fs *flag.FlagSet, sizeFlag, rows, serverDefault string) {
	p.sizeFlag = sizeFlag
	fs.IntVar(&p.size, sizeFlag, 0, rows+" per page, 1 to 1000 (default: the server's, "+serverDefault+"; 1000 with --all)")
	fs.StringVar(&p.cursor, "cursor", "", "the next cursor a previous page printed: start after it")
	fs.BoolVar(&p.all, "all", false, "follow the pages to the end")
}

// check refuses a page size out of range and sets the size of --all.
func (p *paging) check(cmd *cobra.Command) error {
	p.sizeGiven = given(cmd, p.sizeFlag)
	if p.sizeGiven && (p.size < 1 || p.size > 1000) {
		return fmt.Errorf("--%s must be from 1 to 1000", p.sizeFlag)
	}
	if p.all && !p.sizeGiven {
		p.size = allPageSize
	}
	return nil
}

// hint says on stderr, when next is not empty, how to ask for the next
// page: cmdline with the cursor (and the size the user gave).
func (p *paging) hint(c *cli, rows, cmdline, next string) {
	if next == "" {
		return
	}
	more := cmdline + " --cursor " + next
	if p.sizeGiven {
		more += " --" + p.sizeFlag + " " + strconv.Itoa(p.size)
	}
	fmt.Fprintf(c.stderr, "More %s follow: %s (or --all for every one)\n", rows, more)
}

// followPages reads the page after p.cursor with fetch, and with --all
// every page after it to the end: then the rows come as one page without
// a next cursor. It says on stderr how many rows it has fetched so far.
func followPages[T any](c *cli, p *paging, rows string, fetch func(cursor string) ([]T, string, error)) ([]T, string, error) {
	out := []T{}
	cursor := p.cursor
	for {
		got, next, err := fetch(cursor)
		if err != nil {
			return nil, "", c.adminFailure(err)
		}
		out = append(out, got...)
		if !p.all || next == "" {
			return out, next, nil
		}
		if next == cursor || len(got) == 0 {
			return nil, "", &cmdError{title: "Invalid response", detail: "the server's next cursor does not advance", err: vonage.ErrDecode}
		}
		cursor = next
		fmt.Fprintf(c.stderr, "Fetched %d %s so far...\n", len(out), rows)
	}
}

// listing describes a paged listing command: what it lists, its page-size
// flag and the server's default size, how to read a page and how to print
// the rows.
type listing[T any] struct {
	rows          string // what is listed: "transactions"
	sizeFlag      string // "limit" or "page-size"
	serverDefault string // the server's page size
	// fetch reads the page of size rows after cursor (size 0: the
	// server's default).
	fetch func(ctx context.Context, admin *adminapi.Client, pos []string, size int, cursor string) ([]T, string, error)
	// print writes the rows (with --json, with next as well).
	print func(rows []T, next string) error
	// cmdline is the command line that asks for the next page, without
	// the paging flags.
	cmdline func(pos []string) string
}

// pagedCommand is spec's command for l: the paging flags beside the
// admin flags and those register adds.
func pagedCommand[T any](c *cli, spec command, l listing[T], register ...func(*flag.FlagSet)) *cobra.Command {
	var (
		af adminFlags
		pg paging
	)
	return c.leaf(spec, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		if err := pg.check(cmd); err != nil {
			return c.misuse(cmd, err)
		}
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		rows, next, err := followPages(c, &pg, l.rows, func(cursor string) ([]T, string, error) {
			return l.fetch(ctx, admin, pos, pg.size, cursor)
		})
		if err != nil {
			return err
		}
		if err := l.print(rows, next); err != nil {
			return err
		}
		if !c.json {
			pg.hint(c, l.rows, l.cmdline(pos), next)
		}
		return nil
	}, append([]func(*flag.FlagSet){af.register, func(fs *flag.FlagSet) { pg.register(fs, l.sizeFlag, l.rows, l.serverDefault) }}, register...)...)
}
