package sqlite

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// minFreeBytes is the free space below which the disk is reported full: a
// commit writes a few pages to the WAL, and SQLite needs room to do it.
const minFreeBytes = 1 << 20

// diskFull reports an error when the file system of the database at path
// has less than minFreeBytes left for this process (root may use the
// blocks reserved for it). "" (in memory) is never full.
func diskFull(path string) error {
	if path == "" {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(path), &st); err != nil {
		return nil // cannot tell: the writes will say
	}
	free := st.Bavail
	if os.Geteuid() == 0 {
		free = st.Bfree
	}
	if free*uint64(st.Bsize) < minFreeBytes {
		return fmt.Errorf("the disk of %s is full", path)
	}
	return nil
}
