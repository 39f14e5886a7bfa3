package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// Authentication: the credential path every E1–E7 request takes. See
// limiter.go for the limits it applies and hash.go for the hashes.

var errUnauthorized = Errorf(EUNAUTHORIZED, "authentication failed")

// Authenticate returns the account whose key and secret these are, or
// EUNAUTHORIZED. An unknown key and a wrong secret fail alike. clientAddr
// is the caller's address (an IP address as text), under which failures
// are counted.
//
// In order: a client past its failure limits (AuthLimits) is refused with
// ERATELIMIT before any hashing; a successful verification is remembered
// under an HMAC of key and secret, but the matched secret's existence is
// confirmed in the store on every call, so a revoked secret stops working
// at once; concurrent calls with the same key and secret from one address
// share one verification; a verification that cannot get a hashing slot
// soon is refused with ERATELIMIT, and one that gets it checks the failure
// limits again before hashing; and, with WithCallRateLimit, an account past its
// max-calls-per-second gets ERATELIMIT. Every ERATELIMIT is a *LimitError
// saying how long to wait.
func (s *Service) Authenticate(ctx context.Context, apiKey, secret, clientAddr string) (Account, error) {
	at, err := s.fails.admit(apiKey, clientAddr)
	if err != nil {
		return Account{}, err
	}
	acct, err := s.verify(ctx, apiKey, secret, at)
	s.fails.record(at, ErrorCode(err) == EUNAUTHORIZED, err == nil)
	if err != nil {
		return Account{}, err
	}
	if err := s.calls.allow(acct); err != nil {
		return Account{}, err
	}
	return acct, nil
}

// verify checks key and secret, from the cache when it can.
func (s *Service) verify(ctx context.Context, apiKey, secret string, at attempt) (Account, error) {
	if apiKey == "" || secret == "" || len(apiKey) > 64 || len(secret) > 128 {
		return Account{}, errUnauthorized
	}
	mac := s.cache.mac(apiKey, secret)
	if id, ok := s.cache.getMAC(mac); ok {
		// One read confirms the secret still exists and loads the account,
		// so a revoked secret fails at once on every instance.
		acct, found, err := s.store.AccountWithSecret(ctx, apiKey, id)
		if err != nil {
			return Account{}, err
		}
		if found {
			return acct, nil
		}
		s.cache.forgetMAC(mac)
	}
	return s.flights.do(ctx, flightKey{mac, at.addr}, func() (Account, error) { return s.verifyByHash(ctx, mac, apiKey, secret, at) })
}

// verifyByHash checks key and secret against the stored hashes. Holding a
// hashing slot, it checks the failure limits again: guesses admitted
// together and queued for the gate are refused, without hashing, once
// those before them have used up the limit.
func (s *Service) verifyByHash(ctx context.Context, mac [sha256.Size]byte, apiKey, secret string, at attempt) (Account, error) {
	secrets, err := s.store.Secrets(ctx, apiKey)
	known := err == nil
	if !known && ErrorCode(err) != ENOTFOUND {
		return Account{}, err
	}
	if err := s.gate.acquire(ctx); err != nil {
		return Account{}, err
	}
	defer s.gate.release()
	if err := s.fails.check(at); err != nil {
		return Account{}, err
	}
	if !known {
		// Spend the same work as for a known key, so timing does not tell
		// which keys exist.
		_, _ = s.hasher.verify(secret, s.dummyHash())
		return Account{}, errUnauthorized
	}
	for _, sec := range secrets {
		ok, err := s.hasher.verify(secret, sec.Hash)
		if err == errPepperMissing {
			s.pepperWarn.Do(func() {
				s.log.Warn("a secret's hash was made with a pepper, but no pepper is configured (VONAGE_PEPPER): such secrets cannot be verified",
					"api_key", apiKey, "secret_id", sec.ID)
			})
		}
		if ok {
			s.cache.putMAC(mac, sec.ID)
			return s.accountOrUnauthorized(ctx, apiKey)
		}
	}
	return Account{}, errUnauthorized
}

// hash hashes a new secret once the gate lets it.
func (s *Service) hash(ctx context.Context, secret string) (string, error) {
	if err := s.gate.acquire(ctx); err != nil {
		return "", err
	}
	defer s.gate.release()
	return s.hasher.hash(secret)
}

func (s *Service) accountOrUnauthorized(ctx context.Context, apiKey string) (Account, error) {
	acct, err := s.store.Account(ctx, apiKey)
	if ErrorCode(err) == ENOTFOUND {
		return Account{}, errUnauthorized
	}
	return acct, err
}

// dummyHash is a hash of a random secret, made with this service's
// parameters and pepper, verified against when a key is unknown so that the
// work done does not depend on whether the key exists.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		h, err := s.hasher.hash(newSecret())
		if err == nil {
			s.dummy = h
		}
	})
	return s.dummy
}

// verifyCache remembers which secret id a (key, secret) pair verified
// against, evicting the least recently used pair when full. Entries are
// keyed by an HMAC with a per-process random key, so the cache never holds
// a secret or anything that could be checked offline.
type verifyCache struct {
	mu  sync.Mutex
	max int
	key []byte
	ids *lru[[sha256.Size]byte, string] // secret ids by MAC
}

func newVerifyCache(max int) *verifyCache {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return &verifyCache{max: max, key: k, ids: newLRU[[sha256.Size]byte, string](max)}
}

func (c *verifyCache) mac(apiKey, secret string) [sha256.Size]byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(apiKey))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// getMAC returns the secret id remembered under mac, the HMAC of a key and
// secret.
func (c *verifyCache) getMAC(k [sha256.Size]byte) (string, bool) {
	if c.max <= 0 {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids.get(k)
}

func (c *verifyCache) putMAC(k [sha256.Size]byte, id string) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids.put(k, id)
}

func (c *verifyCache) forgetMAC(k [sha256.Size]byte) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids.remove(k)
}

// flights shares one verification by hashing among concurrent requests
// with the same key and secret (the cache's HMAC) from the same client
// address: a client that opens with many parallel calls costs one hash,
// not one each. The address is part of the key so that one client's
// limits never decide another's answer.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]*flight
}

type flightKey struct {
	mac  [sha256.Size]byte
	addr string
}

type flight struct {
	done chan struct{}
	acct Account
	err  error
}

// do runs verify, or waits for the run already going for mac. A waiter
// whose request ends first is refused like a verification that could not
// get a hashing slot.
func (f *flights) do(ctx context.Context, key flightKey, verify func() (Account, error)) (Account, error) {
	f.mu.Lock()
	if fl, ok := f.m[key]; ok {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.acct, fl.err
		case <-ctx.Done():
			return Account{}, limitError(LimitHashQueue, time.Second, "%s", errBusy)
		}
	}
	if f.m == nil {
		f.m = make(map[flightKey]*flight)
	}
	fl := &flight{done: make(chan struct{})}
	f.m[key] = fl
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.m, key)
		f.mu.Unlock()
		close(fl.done)
	}()
	fl.acct, fl.err = verify()
	return fl.acct, fl.err
}
