package sqlite_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// TestBackupDuringCredits backs up a live database while credits are being
// written: the writers are not held up, and the copy opens as a valid
// database whose ledger verifies, holding a prefix of what was written.
func TestBackupDuringCredits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "live.db"))
	const accounts = 20
	for i := range accounts {
		storetest.Seed(t, s, fmt.Sprintf("backup%02d", i), account.Scale, t0)
	}
	var (
		stop    atomic.Bool
		credits atomic.Int64
		wg      sync.WaitGroup
	)
	for w := range 3 {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				key := fmt.Sprintf("backup%02d", (w*7+n)%accounts)
				if _, err := s.Credit(t.Context(), account.Movement{APIKey: key, Amount: 1234, Now: t0}); err != nil {
					t.Errorf("Credit during the backup: %v", err)
					return
				}
				credits.Add(1)
			}
		})
	}
	// Let the writers get going, then back up twice while they run.
	for credits.Load() < 50 {
		if _, err := s.Account(t.Context(), "backup00"); err != nil {
			t.Fatal(err)
		}
	}
	var copies [][]byte
	for range 2 {
		var buf bytes.Buffer
		before := credits.Load()
		if err := s.Backup(t.Context(), &buf); err != nil {
			t.Fatalf("Backup: %v", err)
		}
		copies = append(copies, buf.Bytes())
		if credits.Load() == before {
			t.Log("no credit committed during this backup (a slow machine); the copy is checked all the same")
		}
	}
	stop.Store(true)
	wg.Wait()
	if left, _ := filepath.Glob(filepath.Join(dir, ".vonage-backup-*")); len(left) != 0 {
		t.Errorf("temporary files left beside the database: %v", left)
	}

	for i, data := range copies {
		path := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c := open(t, path)
		rep, err := c.VerifyLedger(t.Context())
		if err != nil || len(rep.Problems) != 0 || rep.Accounts != accounts || rep.Rows < accounts {
			t.Errorf("copy %d: VerifyLedger = %+v, %v", i, rep, err)
		}
		if n, err := c.AccountCount(t.Context()); err != nil || n != accounts {
			t.Errorf("copy %d: %d accounts, %v", i, n, err)
		}
	}
	// The live database is whole as well, and holds every credit.
	rep, err := s.VerifyLedger(t.Context())
	if err != nil || len(rep.Problems) != 0 || int64(rep.Rows) != accounts+credits.Load() {
		t.Errorf("live: VerifyLedger = %+v, %v; %d credits", rep, err, credits.Load())
	}
}

// TestBackupFileMode checks the temporary copy is 0600 while it exists: a
// writer that looks while Backup streams sees only the owner's bits.
func TestBackupFileMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "live.db"))
	storetest.Seed(t, s, "backmode", 0, t0)
	w := &modeWriter{t: t, dir: dir}
	if err := s.Backup(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	if !w.checked {
		t.Fatal("Backup wrote nothing")
	}
}

// modeWriter checks, on its first write, the mode of the one temporary
// backup file in dir.
type modeWriter struct {
	t       *testing.T
	dir     string
	checked bool
}

func (m *modeWriter) Write(p []byte) (int, error) {
	if !m.checked {
		m.checked = true
		files, _ := filepath.Glob(filepath.Join(m.dir, ".vonage-backup-*"))
		if len(files) != 1 {
			m.t.Errorf("temporary files %v, want one", files)
			return len(p), nil
		}
		fi, err := os.Stat(files[0])
		if err != nil || fi.Mode().Perm() != 0o600 {
			m.t.Errorf("temporary copy: mode %v, %v; want 0600", fi.Mode().Perm(), err)
		}
	}
	return len(p), nil
}

func TestBackupMemory(t *testing.T) {
	t.Parallel()
	s := open(t, sqlite.Memory)
	storetest.Seed(t, s, "backmemo", account.Scale, t0)
	var buf bytes.Buffer
	if err := s.Backup(t.Context(), &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("SQLite format 3\x00")) {
		t.Fatalf("Backup of an in-memory database: %d bytes, %v", buf.Len(), err)
	}
}
