package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Service applies the account rules on top of a Store. The HTTP layer calls
// it; it never sees a request.
type Service struct {
	store  Store
	params HashParams
	now    func() time.Time
	cache  *verifyCache
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for timestamps (tests pin it).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHashParams sets the argon2id cost for new secrets. Tests lower it; the
// default is DefaultHashParams.
func WithHashParams(p HashParams) Option { return func(s *Service) { s.params = p } }

// WithVerifyCacheSize bounds the number of remembered successful
// verifications (0 disables the cache).
func WithVerifyCacheSize(n int) Option { return func(s *Service) { s.cache = newVerifyCache(n) } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, params: DefaultHashParams, now: time.Now, cache: newVerifyCache(10_000)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// timestamp is the current time as stored: UTC, to the microsecond, which
// every supported database keeps exactly.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Store returns the service's store (for readiness checks).
func (s *Service) Store() Store { return s.store }

var errUnauthorized = Errorf(EUNAUTHORIZED, "authentication failed")

// Authenticate returns the account whose key and secret these are, or
// EUNAUTHORIZED. An unknown key and a wrong secret fail alike. A successful
// verification is remembered under an HMAC of key and secret, but the
// matched secret's existence is confirmed in the store on every call, so a
// revoked secret stops working at once.
func (s *Service) Authenticate(ctx context.Context, apiKey, secret string) (Account, error) {
	if apiKey == "" || secret == "" || len(apiKey) > 64 || len(secret) > 128 {
		return Account{}, errUnauthorized
	}
	if id, ok := s.cache.get(apiKey, secret); ok {
		exists, err := s.store.SecretExists(ctx, apiKey, id)
		if err != nil {
			return Account{}, err
		}
		if exists {
			return s.accountOrUnauthorized(ctx, apiKey)
		}
		s.cache.forget(apiKey, secret)
	}
	secrets, err := s.store.Secrets(ctx, apiKey)
	if ErrorCode(err) == ENOTFOUND {
		// Spend the same work as for a known key, so timing does not tell
		// which keys exist.
		VerifySecret(secret, dummyHash(s.params))
		return Account{}, errUnauthorized
	}
	if err != nil {
		return Account{}, err
	}
	for _, sec := range secrets {
		if VerifySecret(secret, sec.Hash) {
			s.cache.put(apiKey, secret, sec.ID)
			return s.accountOrUnauthorized(ctx, apiKey)
		}
	}
	return Account{}, errUnauthorized
}

func (s *Service) accountOrUnauthorized(ctx context.Context, apiKey string) (Account, error) {
	acct, err := s.store.Account(ctx, apiKey)
	if ErrorCode(err) == ENOTFOUND {
		return Account{}, errUnauthorized
	}
	return acct, err
}

// UpdateSettings validates and applies upd to the caller's settings. An
// empty update is a read.
func (s *Service) UpdateSettings(ctx context.Context, caller Account, upd SettingsUpdate) (Account, error) {
	if upd.Empty() {
		return caller, nil
	}
	if err := upd.Validate(); err != nil {
		return Account{}, err
	}
	return s.store.UpdateSettings(ctx, caller.APIKey, upd)
}

// resolveKey checks that the caller may manage the secrets of pathKey: its
// own key or one of its subaccounts'. Anything else is the same ENOTFOUND as
// an unknown key, so keys cannot be enumerated.
func (s *Service) resolveKey(ctx context.Context, caller Account, pathKey string) error {
	if pathKey == caller.APIKey {
		return nil
	}
	notFound := Errorf(ENOTFOUND, "API key '%s' not found", quotable(pathKey))
	if pathKey == "" || len(pathKey) > 64 {
		return notFound
	}
	target, err := s.store.Account(ctx, pathKey)
	if ErrorCode(err) == ENOTFOUND {
		return notFound
	}
	if err != nil {
		return err
	}
	if target.PrimaryAPIKey != caller.APIKey {
		return notFound
	}
	return nil
}

// ListSecrets returns the secrets of pathKey, oldest first.
func (s *Service) ListSecrets(ctx context.Context, caller Account, pathKey string) ([]Secret, error) {
	if err := s.resolveKey(ctx, caller, pathKey); err != nil {
		return nil, err
	}
	return s.store.Secrets(ctx, pathKey)
}

// GetSecret returns one secret of pathKey.
func (s *Service) GetSecret(ctx context.Context, caller Account, pathKey, id string) (Secret, error) {
	if err := s.resolveKey(ctx, caller, pathKey); err != nil {
		return Secret{}, err
	}
	canon, ok := CanonicalID(id)
	if !ok {
		return Secret{}, secretNotFound(id)
	}
	secrets, err := s.store.Secrets(ctx, pathKey)
	if err != nil {
		return Secret{}, err
	}
	for _, sec := range secrets {
		if sec.ID == canon {
			return sec, nil
		}
	}
	return Secret{}, secretNotFound(id)
}

// secretNotFound words the error as the real service does.
func secretNotFound(id string) *Error {
	return Errorf(ESECRETNOTFOUND, "ID '%s' could not be found", quotable(id))
}

// quotable makes a caller-supplied path value safe to repeat in a message:
// at most 64 bytes of printable ASCII, anything else replaced by '?'.
func quotable(s string) string {
	truncated := len(s) > 64
	if truncated {
		s = s[:64]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '\'' {
			b[i] = '?'
		}
	}
	if truncated {
		return string(b) + "..."
	}
	return string(b)
}

// CreateSecret adds a secret to pathKey's account, hashing it first.
func (s *Service) CreateSecret(ctx context.Context, caller Account, pathKey, secret string) (Secret, error) {
	if err := s.resolveKey(ctx, caller, pathKey); err != nil {
		return Secret{}, err
	}
	if err := ValidateSecret(secret); err != nil {
		return Secret{}, err
	}
	hash, err := HashSecret(secret, s.params)
	if err != nil {
		return Secret{}, err
	}
	sec := Secret{ID: NewID(), APIKey: pathKey, Hash: hash, CreatedAt: s.timestamp()}
	if err := s.store.AddSecret(ctx, sec); err != nil {
		return Secret{}, err
	}
	return sec, nil
}

// RevokeSecret deletes one secret of pathKey's account.
func (s *Service) RevokeSecret(ctx context.Context, caller Account, pathKey, id string) error {
	if err := s.resolveKey(ctx, caller, pathKey); err != nil {
		return err
	}
	canon, ok := CanonicalID(id)
	if !ok {
		return secretNotFound(id)
	}
	return s.store.RevokeSecret(ctx, pathKey, canon)
}

// TopUp repeats the auto-reload with reference trx on the caller's account.
func (s *Service) TopUp(ctx context.Context, caller Account, trx string) (Transaction, error) {
	if caller.AutoReload == nil {
		return Transaction{}, Errorf(EAUTORELOADOFF, "not auto-reload enabled")
	}
	if trx == "" {
		return Transaction{}, Invalid("trx", "is required")
	}
	if len(trx) > 64 {
		return Transaction{}, Invalid("trx", "is not a transaction reference of this account")
	}
	return s.store.TopUp(ctx, caller.APIKey, trx, s.timestamp())
}

// CreateAccount creates an account as an operator asked. It returns the
// account and, when the secret was generated, that secret (shown once).
func (s *Service) CreateAccount(ctx context.Context, na NewAccount) (Account, string, error) {
	generated := ""
	if na.APIKey == "" {
		na.APIKey = newAPIKey()
	} else if err := ValidateAPIKey("api_key", na.APIKey); err != nil {
		return Account{}, "", err
	}
	if na.Secret == "" {
		na.Secret = newSecret()
		generated = na.Secret
	} else if err := ValidateSecret(na.Secret); err != nil {
		return Account{}, "", err
	}
	if na.PrimaryAPIKey != "" {
		if na.PrimaryAPIKey == na.APIKey {
			return Account{}, "", Invalid("primary_api_key", "must name another account")
		}
		primary, err := s.store.Account(ctx, na.PrimaryAPIKey)
		if ErrorCode(err) == ENOTFOUND {
			return Account{}, "", Invalid("primary_api_key", "names no account")
		}
		if err != nil {
			return Account{}, "", err
		}
		if primary.PrimaryAPIKey != "" {
			return Account{}, "", Invalid("primary_api_key", "names a subaccount; subaccounts cannot have subaccounts")
		}
	}
	limits := DefaultLimits
	if na.Limits != nil {
		limits = *na.Limits
	}
	if err := ValidateLimits(limits); err != nil {
		return Account{}, "", err
	}
	if err := ValidateAutoReload(na.AutoReload); err != nil {
		return Account{}, "", err
	}
	hash, err := HashSecret(na.Secret, s.params)
	if err != nil {
		return Account{}, "", err
	}
	now := s.timestamp()
	acct := Account{
		APIKey:        na.APIKey,
		PrimaryAPIKey: na.PrimaryAPIKey,
		Balance:       na.Balance,
		AutoReload:    na.AutoReload,
		Limits:        limits,
		CreatedAt:     now,
	}
	first := Secret{ID: NewID(), APIKey: na.APIKey, Hash: hash, CreatedAt: now}
	if err := s.store.CreateAccount(ctx, acct, first); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return Account{}, "", Invalid("primary_api_key", "names no account")
		}
		return Account{}, "", err
	}
	return acct, generated, nil
}

// AccountDetails returns an account and its secrets, for operators.
func (s *Service) AccountDetails(ctx context.Context, apiKey string) (Account, []Secret, error) {
	acct, err := s.store.Account(ctx, apiKey)
	if err != nil {
		return Account{}, nil, err
	}
	secrets, err := s.store.Secrets(ctx, apiKey)
	if err != nil {
		return Account{}, nil, err
	}
	return acct, secrets, nil
}

// Bootstrap makes sure the database has an account to use. With apiKey and
// secret given it creates exactly that account unless it exists; otherwise
// it creates a generated account only when there is none. It reports what
// it created; secret is non-empty only when generated.
func (s *Service) Bootstrap(ctx context.Context, apiKey, secret string) (created bool, key, generated string, err error) {
	if apiKey != "" || secret != "" {
		if apiKey == "" || secret == "" {
			return false, "", "", fmt.Errorf("bootstrap needs both VONAGE_BOOTSTRAP_API_KEY and VONAGE_BOOTSTRAP_API_SECRET")
		}
		if _, err := s.store.Account(ctx, apiKey); err == nil {
			return false, apiKey, "", nil
		} else if ErrorCode(err) != ENOTFOUND {
			return false, "", "", err
		}
		acct, _, err := s.CreateAccount(ctx, NewAccount{APIKey: apiKey, Secret: secret})
		if ErrorCode(err) == ECONFLICT { // another instance won the race
			return false, apiKey, "", nil
		}
		if err != nil {
			return false, "", "", err
		}
		return true, acct.APIKey, "", nil
	}
	n, err := s.store.AccountCount(ctx)
	if err != nil || n > 0 {
		return false, "", "", err
	}
	acct, gen, err := s.CreateAccount(ctx, NewAccount{})
	if err != nil {
		return false, "", "", err
	}
	return true, acct.APIKey, gen, nil
}

var (
	dummyOnce sync.Once
	dummy     string
)

// dummyHash is a hash of a random secret, verified against when a key is
// unknown so that the work done does not depend on whether the key exists.
func dummyHash(p HashParams) string {
	dummyOnce.Do(func() {
		h, err := HashSecret(newSecret(), p)
		if err == nil {
			dummy = h
		}
	})
	return dummy
}

// verifyCache remembers which secret id a (key, secret) pair verified
// against. Entries are keyed by an HMAC with a per-process random key, so the
// cache never holds a secret or anything that could be checked offline.
type verifyCache struct {
	mu  sync.Mutex
	max int
	key []byte
	m   map[string]string
}

func newVerifyCache(max int) *verifyCache {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return &verifyCache{max: max, key: k, m: make(map[string]string)}
}

func (c *verifyCache) mac(apiKey, secret string) string {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(apiKey))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

func (c *verifyCache) get(apiKey, secret string) (string, bool) {
	if c.max <= 0 {
		return "", false
	}
	k := c.mac(apiKey, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[k]
	return id, ok
}

func (c *verifyCache) put(apiKey, secret, id string) {
	if c.max <= 0 {
		return
	}
	k := c.mac(apiKey, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for victim := range c.m { // map order is random: evict an arbitrary entry
			delete(c.m, victim)
			break
		}
	}
	c.m[k] = id
}

func (c *verifyCache) forget(apiKey, secret string) {
	if c.max <= 0 {
		return
	}
	k := c.mac(apiKey, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
