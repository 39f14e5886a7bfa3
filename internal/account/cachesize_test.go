package account

import (
	"runtime"
	"strings"
	"testing"
)

// maxVerifyCacheBytes is the budget of a full cache of the default size:
// issue 11 asks that 100,000 accounts fit in under 50 MB.
const maxVerifyCacheBytes = 50 << 20

// TestVerifyCacheMemory measures what a full verification cache of the
// default size holds on the heap (entries as verify stores them: the HMAC
// of a key and secret, and the secret id read from the database) and
// checks it against the budget. go test -v prints the bytes per entry.
func TestVerifyCacheMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a cache of the default size")
	}
	n := DefaultVerifyCacheSize
	if n < 100_000 {
		t.Errorf("DefaultVerifyCacheSize = %d, want at least 100,000 accounts", n)
	}
	before := heapInUse()
	c := newVerifyCache(n)
	for range n {
		// A fresh string per entry, as a row read from the database gives.
		id := strings.Clone(NewID())
		c.putMAC(c.mac(id, "secret"), id)
	}
	after := heapInUse()
	runtime.KeepAlive(c)
	per := float64(after-before) / float64(n)
	t.Logf("verification cache: %d entries use %.1f MB, %.0f bytes per entry", n, float64(after-before)/(1<<20), per)
	if after-before > maxVerifyCacheBytes {
		t.Errorf("a full cache of %d entries uses %d bytes, over the %d budget", n, after-before, maxVerifyCacheBytes)
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
