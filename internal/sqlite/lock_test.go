//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// ownerHelperEnv makes the test binary a second process that opens the
// database it names and reports the error on stderr (TestSecondProcessRefused).
const ownerHelperEnv = "VONAGE_SQLITE_TEST_OPEN"

func TestMain(m *testing.M) {
	if path := os.Getenv(ownerHelperEnv); path != "" {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		s.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// wantOwnedBy checks the refusal of a second owner of path.
func wantOwnedBy(t *testing.T, path string, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("a second owner opened the database")
	}
	for _, want := range []string{path, "another process", "PostgreSQL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
}

// TestSecondProcessRefused (contract section 7): while a Store owns the
// file, another process opening it fails at once with a message naming
// the file and PostgreSQL; once the owner closes, it opens.
func TestSecondProcessRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "owned.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	second := func() error {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), ownerHelperEnv+"="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return &exitError{err, stderr.String()}
		}
		return nil
	}
	wantOwnedBy(t, path, second())
	// A second open in this process is refused alike (flock locks belong
	// to each open of the lock file).
	if s2, err := sqlite.Open(t.Context(), path); err == nil {
		s2.Close()
		t.Error("a second Store in the same process opened the database")
	} else {
		wantOwnedBy(t, path, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := second(); err != nil {
		t.Errorf("after the owner closed: %v", err)
	}
}

type exitError struct {
	err    error
	stderr string
}

func (e *exitError) Error() string { return e.err.Error() + ": " + e.stderr }
