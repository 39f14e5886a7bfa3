//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockOwner takes the exclusive lock that makes this process the owner of
// the database at path: flock on path+".lock" (created 0600), held until
// the returned file is closed or the process ends, when the system drops
// it. A second process on the same database fails here, at start, naming
// the file, rather than queueing behind this one's writes or serving
// from a view of the accounts that this process alone keeps up to date.
// The lock is on a file of its own: SQLite's POSIX locks on the database
// are dropped when any descriptor of that file in the process is closed.
// lockPatience is how long a held lock is tried again before Open fails.
const lockPatience = 500 * time.Millisecond

func lockOwner(path string) (*os.File, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
	}
	// A lock just released can look held for a moment: a process forking
	// copies its descriptors (the lock's among them) until it execs. So
	// a held lock is tried again for a short while before it is believed.
	deadline := time.Now().Add(lockPatience)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, fmt.Errorf("sqlite: the database file %s is in use by another process (it holds %s): "+
			"a SQLite database is served by one process only; to run several server processes on one database, use PostgreSQL (--db postgres://...)",
			path, name)
	}
	return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
}
