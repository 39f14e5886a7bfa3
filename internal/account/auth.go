package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"
	"time"
)

// Authentication: the credential path every E1–E7 request takes. See
// limiter.go for the limits it applies and hash.go for the hashes.

var errUnauthorized = Errorf(EUNAUTHORIZED, "%s", MsgBadCredentials)

// Authenticate returns the account whose key and secret these are, or
// EUNAUTHORIZED. An unknown key and a wrong secret fail alike, and cost
// alike: MaxSecrets hashes at the server's parameters (matchSecret).
// clientAddr is the caller's address (an IP address as text); failures
// are counted under its group (clientGroup: its /24, or its /64).
//
// In order: a client past its failure limits (AuthLimits) is refused with
// ERATELIMIT before any hashing; a successful verification is remembered
// under an HMAC of key and secret, but the matched secret's existence is
// confirmed in the store on every call, so a revoked secret stops working
// at once; concurrent calls with the same key and secret from one address
// share one verification, which runs on its own context so that a caller
// that leaves fails no other; a verification that cannot get a hashing
// slot soon, or whose client group already holds its share of the queue,
// is refused with ERATELIMIT, and one that gets a slot checks the failure
// limits again before hashing; every refusal after admission costs the
// address a failure; and, with WithCallRateLimit, an account past its
// max-calls-per-second gets ERATELIMIT. Every ERATELIMIT is a *LimitError
// saying how long to wait.
func (s *Service) Authenticate(ctx context.Context, apiKey, secret, clientAddr string) (Account, error) {
	return s.authenticateWith(apiKey, clientAddr, func(at attempt) (Account, error) {
		return s.verify(ctx, apiKey, secret, at)
	})
}

// authenticateWith runs verify, one way of checking a request's
// credentials, within the failure limits of apiKey from clientAddr, and
// then applies the account's call rate; the observer learns the outcome.
func (s *Service) authenticateWith(apiKey, clientAddr string, verify func(attempt) (Account, error)) (acct Account, err error) {
	defer func() {
		if o := authOutcome(err); o != "" {
			s.obs.Authenticated(o)
		}
	}()
	at, err := s.fails.admit(apiKey, clientAddr)
	if err != nil {
		return Account{}, err
	}
	acct, err = verify(at)
	if err != nil {
		s.fails.record(at, outcomeOf(err))
		return Account{}, err
	}
	// The pair's fill and the call rate, in one store operation when the
	// store can (succeeded).
	if err := s.succeeded(at, acct); err != nil {
		return Account{}, err
	}
	return acct, nil
}

// outcomeOf is how record charges a verification's result. A caller that
// left a shared verification is charged by the flight once it ends
// (flights.do), not here.
func outcomeOf(err error) outcome {
	switch {
	case err == nil:
		return outcomeSucceeded
	case err == error(errCallerLeft):
		return outcomeNone
	case ErrorCode(err) == EUNAUTHORIZED:
		return outcomeFailed
	}
	if _, ok := asLimitError(err); ok {
		return outcomeRefused
	}
	return outcomeNone
}

// flightTimeout bounds a shared verification, which no caller's request
// bounds: a store read, a wait for a hashing slot (at most
// HashConcurrency.MaxWait) and MaxSecrets hashes.
const flightTimeout = 30 * time.Second

// verify checks key and secret, from the cache when it can.
func (s *Service) verify(ctx context.Context, apiKey, secret string, at attempt) (Account, error) {
	if apiKey == "" || secret == "" || len(apiKey) > 64 || len(secret) > 128 {
		return Account{}, errUnauthorized
	}
	mac := s.cache.mac(apiKey, secret)
	id, hit := s.cache.getMAC(mac)
	s.obs.VerifyCacheLookup(hit)
	if hit {
		if acct, found, err := s.confirm(ctx, mac, apiKey, id); err != nil || found {
			return acct, err
		}
	}
	id, err := s.flights.do(ctx, flightKey{mac, at.addr},
		func(ctx context.Context) (string, error) { return s.verifyByHash(ctx, mac, apiKey, secret, at) },
		func(err error) { s.fails.record(at, outcomeOf(err)) })
	if err != nil {
		return Account{}, err
	}
	// Every caller confirms the match itself, after the shared run: one
	// that joined the run after a revocation committed must not be
	// answered from the secrets the run read before it.
	acct, found, err := s.confirm(ctx, mac, apiKey, id)
	if err == nil && !found {
		err = errUnauthorized
	}
	return acct, err
}

// confirm reads the account if it still holds the secret id that mac
// matched, in one read, so a revoked secret fails at once on every
// instance; when it does not, the cache forgets the match.
func (s *Service) confirm(ctx context.Context, mac [sha256.Size]byte, apiKey, id string) (Account, bool, error) {
	acct, found, err := s.store.AccountWithSecret(ctx, apiKey, id)
	if err == nil && !found {
		s.cache.forgetMAC(mac)
	}
	return acct, found, err
}

// verifyByHash checks key and secret against the stored hashes. Holding a
// hashing slot, it checks the failure limits again: guesses admitted
// together and queued for the gate are refused, without hashing, once
// those before them have used up the limit.
func (s *Service) verifyByHash(ctx context.Context, mac [sha256.Size]byte, apiKey, secret string, at attempt) (string, error) {
	secrets, err := s.store.Secrets(ctx, apiKey)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return "", err
	}
	if err := s.acquireHash(ctx, at.addr); err != nil {
		return "", err
	}
	defer s.gate.release()
	if err := s.fails.check(at); err != nil {
		return "", err
	}
	id, ok := s.matchSecret(apiKey, secret, secrets)
	if !ok {
		return "", errUnauthorized
	}
	s.cache.putMAC(mac, id)
	return id, nil
}

// matchSecret returns the id of the secret of secrets that secret matches.
// A failure always costs MaxSecrets hashes at this server's parameters,
// whether the key is unknown (no secrets), has one secret or two, so
// timing does not tell which keys exist or which are being rotated: a
// missing secret, a malformed hash and a peppered hash on a server without
// the pepper are each replaced by the dummy hash. (Stored hashes made with
// other parameters cost what those ask; imports keep them within
// withinBounds.) A match stops early: success needs no disguise.
func (s *Service) matchSecret(apiKey, secret string, secrets []Secret) (string, bool) {
	dummy := s.dummyHash()
	for i := range MaxSecrets {
		if i >= len(secrets) {
			s.hasher.matches(secret, dummy)
			continue
		}
		e, err := s.hasher.usable(secrets[i].Hash)
		if err != nil {
			if err == errPepperMissing {
				s.pepperWarn.Do(func() {
					s.log.Warn("a secret's hash was made with a pepper, but no pepper is configured (VONAGE_PEPPER): such secrets cannot be verified",
						"api_key", apiKey, "secret_id", secrets[i].ID)
				})
			}
			s.hasher.matches(secret, dummy)
			continue
		}
		if s.hasher.matches(secret, e) {
			return secrets[i].ID, true
		}
	}
	return "", false
}

// hash hashes a new secret once the gate lets it. It is work for the
// operator or for an authenticated account, so no client group's share
// of the queue bounds it.
func (s *Service) hash(ctx context.Context, secret string) (string, error) {
	if err := s.acquireHash(ctx, ""); err != nil {
		return "", err
	}
	defer s.gate.release()
	return s.hasher.hash(secret)
}

// acquireHash takes a hashing slot for group (see hashGate.acquire),
// telling the Observer how long it waited.
func (s *Service) acquireHash(ctx context.Context, group string) error {
	start := time.Now()
	err := s.gate.acquire(ctx, group)
	s.obs.HashWaited(time.Since(start))
	return err
}

func (s *Service) accountOrUnauthorized(ctx context.Context, apiKey string) (Account, error) {
	acct, err := s.store.Account(ctx, apiKey)
	if ErrorCode(err) == ENOTFOUND {
		return Account{}, errUnauthorized
	}
	return acct, err
}

// dummyHash is a hash of a random secret, made with this service's
// parameters and pepper, verified against in place of a missing or
// unusable secret so that the work done does not depend on what the key
// holds.
func (s *Service) dummyHash() encodedHash {
	s.dummyOnce.Do(func() {
		h, err := s.hasher.hash(newSecret())
		if err != nil {
			panic(fmt.Sprintf("hash a dummy secret: %v", err)) // crypto/rand failed
		}
		s.dummy, _ = parseHash(h)
	})
	return s.dummy
}

// AuthorizeAdmin applies the failure limits to an attempt at the admin API
// from clientAddr whose token was valid or not. Wrong tokens are counted
// in the per-address table of failed credentials (AuthLimits.PerAddr),
// sharing its budget: past it the attempt is refused with a *LimitError,
// whether or not the token was right, so a locked-out guesser learns
// nothing. A wrong token is EUNAUTHORIZED.
func (s *Service) AuthorizeAdmin(clientAddr string, valid bool) error {
	at, err := s.fails.admitAddr(clientAddr)
	if err != nil {
		return err
	}
	if !valid {
		s.fails.record(at, outcomeFailed)
		return errUnauthorized
	}
	return nil
}

// verifyCache remembers which secret id a (key, secret) pair verified
// against, evicting the least recently used pair when full. Entries are
// keyed by an HMAC with a per-process random key, so the cache never holds
// a secret or anything that could be checked offline.
type verifyCache struct {
	mu   sync.Mutex
	max  int
	key  []byte
	ids  *lru[[sha256.Size]byte, string] // secret ids by MAC
	macs sync.Pool                       // of *macState, reset before reuse
}

// macState is an HMAC keyed by the cache's key and a buffer for its input.
type macState struct {
	h   hash.Hash
	buf []byte
}

func newVerifyCache(max int) *verifyCache {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	c := &verifyCache{max: max, key: k, ids: newLRU[[sha256.Size]byte, string](max)}
	c.macs.New = func() any { return &macState{h: hmac.New(sha256.New, c.key)} }
	return c
}

// mac is the HMAC of apiKey and secret, with a NUL between them (neither
// can hold one: both come from a URL, a form or a header, and the key's
// shape is checked). Building an HMAC costs four allocations and two key
// schedules; every authenticated request makes one, so they are reused.
func (c *verifyCache) mac(apiKey, secret string) [sha256.Size]byte {
	m := c.macs.Get().(*macState)
	m.buf = append(append(append(m.buf[:0], apiKey...), 0), secret...)
	m.h.Reset()
	m.h.Write(m.buf)
	var out [sha256.Size]byte
	m.h.Sum(out[:0])
	clear(m.buf) // the secret does not outlive the call in the pool
	c.macs.Put(m)
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

// len is the number of verifications remembered.
func (c *verifyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids.len()
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
	done     chan struct{}
	finished bool   // under flights.mu: id and err are set
	left     int    // under flights.mu: callers that left before the end
	id       string // the matched secret's id
	err      error
}

// errCallerLeft answers a caller whose request ended before the shared
// verification did. Nobody reads it; it must not look like a server fault.
var errCallerLeft = limitError(LimitHashQueue, time.Second, "%s", errBusy)

// do runs verify, or joins the run already going for key, and returns its
// result. The run has its own context (ctx's values, none of its
// cancellation, flightTimeout as deadline), so the first caller leaving
// does not fail the others: a caller whose ctx ends first gets
// errCallerLeft alone, and is charged (charge, with the run's error) once
// the run ends, so leaving early does not make a guess free.
func (f *flights) do(ctx context.Context, key flightKey, verify func(context.Context) (string, error), charge func(error)) (string, error) {
	f.mu.Lock()
	fl, ok := f.m[key]
	if !ok {
		if f.m == nil {
			f.m = make(map[flightKey]*flight)
		}
		fl = &flight{done: make(chan struct{})}
		f.m[key] = fl
		go f.run(ctx, key, fl, verify, charge)
	}
	f.mu.Unlock()
	select {
	case <-fl.done:
		return fl.id, fl.err
	case <-ctx.Done():
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.finished {
		return fl.id, fl.err
	}
	fl.left++
	return "", errCallerLeft
}

func (f *flights) run(ctx context.Context, key flightKey, fl *flight, verify func(context.Context) (string, error), charge func(error)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
	defer cancel()
	id, err := verify(ctx)
	f.mu.Lock()
	fl.id, fl.err, fl.finished = id, err, true
	left := fl.left
	delete(f.m, key)
	f.mu.Unlock()
	for range left {
		charge(err)
	}
	close(fl.done)
}
