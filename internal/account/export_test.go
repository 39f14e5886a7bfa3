package account

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Helpers that only tests use, and the names the external tests
// (package account_test) reach them by.

// VerifySecret is verifySecret, for package account_test.
var VerifySecret = verifySecret

// verifySecret reports whether secret matches the encoded hash, comparing in
// constant time; a malformed hash never matches. It reads the PHC string
// on its own, apart from the hasher, so the tests check that HashSecret
// writes what another reader of the format reads.
func verifySecret(secret, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 || p.Time > 64 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// The verification cache by key and secret; the service goes through the
// MAC it computes once per request.
func (c *verifyCache) get(apiKey, secret string) (string, bool) {
	return c.getMAC(c.mac(apiKey, secret))
}
func (c *verifyCache) put(apiKey, secret, id string) { c.putMAC(c.mac(apiKey, secret), id) }
func (c *verifyCache) forget(apiKey, secret string)  { c.forgetMAC(c.mac(apiKey, secret)) }

// FakeClock is a limiter clock moved by hand.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a clock that shows start until it is advanced.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{t: start} }

// Now is the clock's time, for WithLimiterClock.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d forward.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// queued is the number of verifications waiting for a slot.
func (g *hashGate) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// HoldHashSlot takes one hashing slot, as work for the operator would, and
// returns the function that gives it back.
func (s *Service) HoldHashSlot(ctx context.Context) (release func(), err error) {
	if err := s.gate.acquire(ctx, ""); err != nil {
		return nil, err
	}
	return s.gate.release, nil
}

// HashQueued is the number of verifications waiting for a hashing slot.
func (s *Service) HashQueued() int { return s.gate.queued() }

// HashCall is one argon2id computation's cost parameters.
type HashCall struct{ Memory, Time uint32 }

// CountHashes makes the service record every argon2id computation it does
// from now on; the returned function lists them (and forgets them).
func (s *Service) CountHashes() (taken func() []HashCall) {
	var mu sync.Mutex
	var calls []HashCall
	s.dummyHash() // made once, before counting
	s.hasher.idKey = func(password, salt []byte, t, m uint32, p uint8, n uint32) []byte {
		mu.Lock()
		calls = append(calls, HashCall{Memory: m, Time: t})
		mu.Unlock()
		return argon2.IDKey(password, salt, t, m, p, n)
	}
	return func() []HashCall {
		mu.Lock()
		defer mu.Unlock()
		out := calls
		calls = nil
		return out
	}
}

// FailureTokens are the failure budgets left to (apiKey, clientAddr) and
// to clientAddr's group, in a Service counting locally.
func (s *Service) FailureTokens(apiKey, clientAddr string) (pair, addr float64) {
	f := s.fails
	l := f.local()
	group := clientGroup(clientAddr)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pairs.tokens(apiKey+"\x00"+group, f.pairCap, f.pairRate, now), l.addrs.tokens(group, f.addrCap, f.addrRate, now)
}

// newLocalFailLimiter is a failLimiter counting in a local store on now.
func newLocalFailLimiter(l AuthLimits, now func() time.Time) *failLimiter {
	return newFailLimiter(l, NewLocalLimits(l.MaxEntries, now))
}

// local is f's store, which must be the local one.
func (f *failLimiter) local() *localLimits { return f.store.(*localLimits) }

// verify is usable then matches: whether secret matches encoded. A
// malformed hash never matches (false, nil); a peppered hash without a
// configured pepper is (false, errPepperMissing), decided before any
// hashing.
func (h hasher) verify(secret, encoded string) (bool, error) {
	e, err := h.usable(encoded)
	if err == errMalformedHash {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return h.matches(secret, e), nil
}
