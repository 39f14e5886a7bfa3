package account

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Service applies the account rules on top of a Store. The HTTP layer calls
// it; it never sees a request.
type Service struct {
	store  Store
	params HashParams // the argon2id cost of new hashes
	pepper []byte     // nil: no pepper
	hasher hasher     // params and pepper, set by NewService
	now    func() time.Time
	cache  *verifyCache
	log    *slog.Logger
	obs    Observer
	gate   *hashGate
	fails  *failLimiter // nil: failed authentications are not limited
	calls  *callLimiter // nil: max-calls-per-second is not enforced
	limits AuthLimits
	// limitStore counts for fails and calls (nil: NewLocalLimits);
	// successStore is the same store when it is a SuccessStore, else nil.
	limitStore   LimitStore
	successStore SuccessStore
	conc         HashConcurrency
	rated        bool
	monoNow      func() time.Time // the limiters' clock
	// dbTimeout bounds each store call (0: only the caller's context).
	dbTimeout time.Duration

	flights    flights
	dummyOnce  sync.Once
	dummy      encodedHash
	pepperWarn sync.Once

	dataKey  *DataKey  // seals signature secrets; nil: none can be set
	sealWarn sync.Once // a signature that does not open is logged once
}

// DefaultVerifyCacheSize is the number of successful verifications a
// Service remembers without WithVerifyCacheSize: 100,000 accounts, about
// 20 MB (some 210 bytes an entry, measured by TestVerifyCacheMemory).
const DefaultVerifyCacheSize = 100_000

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for timestamps (tests pin it). The limiters
// measure durations with their own clock, see WithLimiterClock.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLimiterClock sets the clock the rate and failure limiters measure
// time with (time.Now by default); tests move it by hand.
func WithLimiterClock(now func() time.Time) Option { return func(s *Service) { s.monoNow = now } }

// WithHashParams sets the argon2id cost for new secrets. Tests lower it; the
// default is DefaultHashParams.
func WithHashParams(p HashParams) Option { return func(s *Service) { s.params = p } }

// WithPepper sets a server-side secret mixed into every new hash (argon2id
// over HMAC-SHA256(pepper, secret)); it is never stored in the database.
// Hashes record whether they were peppered, so hashes made before the
// pepper was configured keep verifying. nil or empty means no pepper;
// callers should refuse peppers shorter than MinPepperLen.
func WithPepper(pepper []byte) Option {
	return func(s *Service) {
		s.pepper = nil
		if len(pepper) > 0 {
			s.pepper = append([]byte(nil), pepper...)
		}
	}
}

// WithVerifyCacheSize bounds the number of remembered successful
// verifications (0 disables the cache).
func WithVerifyCacheSize(n int) Option { return func(s *Service) { s.cache = newVerifyCache(n) } }

// WithAuthLimits sets the limits on failed authentications; the default is
// DefaultAuthLimits. A zero AuthLimits turns them off.
func WithAuthLimits(l AuthLimits) Option { return func(s *Service) { s.limits = l } }

// WithCallRateLimit turns on (or off) the enforcement of each account's
// max-calls-per-second on authenticated calls, counted in the LimitStore
// (this instance's own unless WithLimitStore says otherwise).
// It is off by default, so tests and embedded servers that make many calls
// are not throttled; vonage serve turns it on.
func WithCallRateLimit(on bool) Option { return func(s *Service) { s.rated = on } }

// WithHashConcurrency bounds how many argon2id hashes run at once and how
// many wait; the zero value means GOMAXPROCS-1 (at least 1) at once and 16
// waiting per slot for at most a second.
func WithHashConcurrency(c HashConcurrency) Option { return func(s *Service) { s.conc = c } }

// WithLogger sets where the service reports configuration problems (a
// peppered hash on a server without the pepper); slog.Default() otherwise.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithDataKey sets the key that seals accounts' signature secrets at rest
// (VONAGE_DATA_KEY). Without it, setting a signature is refused, and
// signatures stored before cannot be checked.
func WithDataKey(k *DataKey) Option { return func(s *Service) { s.dataKey = k } }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store:   store,
		params:  DefaultHashParams,
		now:     time.Now,
		monoNow: time.Now,
		cache:   newVerifyCache(DefaultVerifyCacheSize),
		limits:  DefaultAuthLimits,
	}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	s.store = newDeadlineStore(s.store, s.dbTimeout, s.obs)
	s.hasher = hasher{params: s.params, pepper: s.pepper}
	s.gate = newHashGate(s.conc)
	if s.limitStore == nil {
		s.limitStore = NewLocalLimits(s.limits.MaxEntries, s.monoNow)
	}
	s.successStore, _ = s.limitStore.(SuccessStore)
	s.fails = newFailLimiter(s.limits, s.limitStore)
	if s.rated {
		s.calls = &callLimiter{store: s.limitStore}
	}
	return s
}

// timestamp is the current time as stored: UTC, to the microsecond, which
// every supported database keeps exactly.
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Ping reports whether the store's database answers (for readiness
// checks).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

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
	notFound := Errorf(ENOTFOUND, "API key %s not found", Quoted(pathKey))
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
	return Errorf(ESECRETNOTFOUND, "ID %s could not be found", Quoted(id))
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
	hash, err := s.hash(ctx, secret)
	if err != nil {
		return Secret{}, err
	}
	sec := Secret{ID: NewID(), APIKey: pathKey, Hash: hash, CreatedAt: s.timestamp()}
	if err := s.store.AddSecret(ctx, sec); err != nil {
		return Secret{}, inRealWords(err, sec.ID)
	}
	s.obs.SecretsChanged(1, 0)
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
	if err := s.store.RevokeSecret(ctx, pathKey, canon); err != nil {
		return inRealWords(err, id)
	}
	s.obs.SecretsChanged(0, 1)
	return nil
}

// inRealWords gives a store's secret-management refusal the real service's
// message (contract section 3), whatever the store's own words: the store
// decides the code, the domain the text. id is the secret id the caller
// named.
func inRealWords(err error, id string) error {
	switch ErrorCode(err) {
	case ESECRETLIMIT:
		return Errorf(ESECRETLIMIT, "%s", MsgSecretLimit)
	case ELASTSECRET:
		return Errorf(ELASTSECRET, "%s", MsgLastSecret)
	case ESECRETNOTFOUND:
		return secretNotFound(id)
	}
	return err
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
	tx, err := s.store.TopUp(ctx, caller.APIKey, trx, s.timestamp())
	s.observeMove(KindTopUp, MoveResult{Transaction: tx}, err)
	return tx, err
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
	hash, err := s.hash(ctx, na.Secret)
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
	s.obs.SecretsChanged(1, 0)
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
