package account

import (
	"fmt"
	"testing"
)

// The verification cache is on every authenticated request: one HMAC of
// key and secret and a map lookup under a mutex.

func benchCache(b *testing.B, n int) (*verifyCache, []string) {
	b.Helper()
	c := newVerifyCache(10_000)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench%04d", i)
		c.put(keys[i], "Bench1Secret", NewID())
	}
	return c, keys
}

// BenchmarkVerifyCacheHit is one lookup that finds its entry.
func BenchmarkVerifyCacheHit(b *testing.B) {
	c, keys := benchCache(b, 1000)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.get(keys[i%len(keys)], "Bench1Secret"); !ok {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkVerifyCacheHitParallel is the same from every CPU at once, as
// concurrent requests make it: the mutex is shared.
func BenchmarkVerifyCacheHitParallel(b *testing.B) {
	c, keys := benchCache(b, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := c.get(keys[i%len(keys)], "Bench1Secret"); !ok {
				b.Error("miss")
				return
			}
			i++
		}
	})
}

// BenchmarkVerifyCacheMiss is a lookup of a pair never verified.
func BenchmarkVerifyCacheMiss(b *testing.B) {
	c, keys := benchCache(b, 1000)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.get(keys[i%len(keys)], "Wrong1Secret"); ok {
			b.Fatal("hit")
		}
		i++
	}
}

// BenchmarkHashSecretDefault is what a cache miss, a new secret or an
// imported clear secret costs: argon2id at DefaultHashParams.
func BenchmarkHashSecretDefault(b *testing.B) {
	if testing.Short() {
		b.Skip("tens of milliseconds per operation")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashSecret("Bench1Secret", DefaultHashParams); err != nil {
			b.Fatal(err)
		}
	}
}
