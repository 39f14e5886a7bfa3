package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// Export and backup (issue 14 item 4; contract sections 6 and 7): both
// stream the server's answer into a file that is created 0600, never
// half-written under its name, and never replaced without --force.

// writeNewFile writes what write produces to path, created 0600. Without
// force an existing path is refused before anything is asked of the
// server, and the file is created exclusively; with force the data goes to
// a temporary file beside it that replaces path only once complete. A
// failure removes what was written. It returns the bytes written.
func writeNewFile(path string, force bool, write func(io.Writer) error) (int64, error) {
	var (
		f   *os.File
		err error
	)
	if force {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if errors.Is(err, fs.ErrExist) {
		return 0, &cmdError{title: "File exists", detail: path + " exists already; nothing was written (--force replaces it)"}
	}
	if err != nil {
		return 0, &cmdError{title: "Cannot create the file", detail: err.Error()}
	}
	cw := &countingWriter{w: f}
	err = write(cw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && force {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return cw.n, err
	}
	return cw.n, nil
}

// countingWriter counts the bytes and lines written through it.
type countingWriter struct {
	w        io.Writer
	n, lines int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}

// fileJSON is what export and backup print with --json.
type fileJSON struct {
	File     string `json:"file"`
	Bytes    int64  `json:"bytes"`
	Accounts *int64 `json:"accounts,omitempty"` // export only
}

var adminExportCmd = command{
	name:  "admin export",
	args:  []string{"[FILE]"},
	usage: "admin export [flags] [FILE]",
	summary: `Writes every account as JSON lines, one object per account in the format
"admin import" reads, without secrets: api_key, primary_api_key, balance,
auto_reload and limits. To FILE (created 0600; --force replaces an existing
one) or, without FILE, to stdout. An export re-imports once each line is
given a secret or secret_hash.`,
}

func (c *cli) adminExportCmd() *cobra.Command {
	var (
		af    adminFlags
		force bool
	)
	return c.leaf(adminExportCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			if err := admin.Export(ctx, c.stdout); err != nil {
				return c.adminFailure(err)
			}
			return nil
		}
		var lines int64
		n, err := writeNewFile(pos[0], force, func(w io.Writer) error {
			cw := &countingWriter{w: w}
			err := admin.Export(ctx, cw)
			lines = cw.lines
			return err
		})
		if err != nil {
			return c.adminFailure(err)
		}
		return c.show(fileJSON{File: pos[0], Bytes: n, Accounts: &lines},
			field{"Exported", strconv.FormatInt(lines, 10) + " accounts"}, field{"File", pos[0]}, field{"Bytes", strconv.FormatInt(n, 10)})
	}, af.register, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "replace FILE when it exists")
	})
}

var adminBackupCmd = command{
	name:  "admin backup",
	args:  []string{"FILE"},
	usage: "admin backup [flags] FILE",
	summary: `Writes a consistent copy of the server's live SQLite database to FILE while
it keeps serving (SQLite's own online backup, through the admin API). FILE is
created 0600, since it holds the secrets' hashes; an existing FILE is refused
unless --force. A server on PostgreSQL has no online backup of its own: the
command then prints the server's advice (pg_dump) and writes nothing.`,
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

func (c *cli) adminBackupCmd() *cobra.Command {
	var (
		af    adminFlags
		force bool
	)
	return c.leaf(adminBackupCmd, func(ctx context.Context, cmd *cobra.Command, pos []string) error {
		admin, err := c.adminClient(&af)
		if err != nil {
			return err
		}
		path := pos[0]
		n, err := writeNewFile(path, force, func(w io.Writer) error {
			hw := &headerCheck{w: w}
			if err := admin.Backup(ctx, hw); err != nil {
				return err
			}
			return hw.check()
		})
		var ae *adminapi.Error
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotImplemented:
			return &cmdError{title: "No online backup on this server", detail: ae.Detail, err: vonage.ErrInvalidRequest}
		case err != nil:
			return c.adminFailure(err)
		}
		return c.show(fileJSON{File: path, Bytes: n}, field{"Backup", path}, field{"Bytes", strconv.FormatInt(n, 10)})
	}, af.register, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "replace FILE when it exists")
	})
}

// headerCheck passes writes through and keeps the first bytes, to check
// that what arrived is an SQLite database.
type headerCheck struct {
	w    io.Writer
	head []byte
}

func (h *headerCheck) Write(p []byte) (int, error) {
	if missing := len(sqliteHeader) - len(h.head); missing > 0 {
		h.head = append(h.head, p[:min(missing, len(p))]...)
	}
	return h.w.Write(p)
}

func (h *headerCheck) check() error {
	if string(h.head) != sqliteHeader {
		return &cmdError{title: "Invalid response", detail: "the server's answer is not an SQLite database; nothing was kept", err: vonage.ErrDecode}
	}
	return nil
}
