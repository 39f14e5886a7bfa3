package account

import (
	"errors"
	"time"
)

// Observer is told what the service did, for metrics. The domain declares
// it so that it imports no metrics library; internal/metrics implements it
// on Prometheus. Every method must be cheap and safe for concurrent use:
// the service calls them on its request paths. A Service without
// WithObserver tells nobody.
type Observer interface {
	// Authenticated is the outcome of one Authenticate call: one of the
	// Auth* constants.
	Authenticated(outcome string)
	// HashWaited is how long a hash waited for a hashing slot (0 when one
	// was free), whether it got one or was refused.
	HashWaited(d time.Duration)
	// VerifyCacheLookup is one look-up in the cache of verifications.
	VerifyCacheLookup(hit bool)
	// StoreCall is one call to the Store: its method's name, how long it
	// took, and whether it failed for the database's sake (not a refusal
	// such as ENOTFOUND or EFUNDS).
	StoreCall(op string, d time.Duration, failed bool)
	// MoneyMoved is money that moved, as a positive amount: kind is a
	// transaction kind (KindCredit, KindCharge, KindReload, KindTopUp).
	// Idempotent replays move nothing and are not reported.
	MoneyMoved(kind string, amount Money)
	// MoneyRefused is a movement of that kind refused by the rules or the
	// store: funds short, auto-reload off, an unknown transaction, a bad
	// amount.
	MoneyRefused(kind string)
	// SecretsChanged counts secrets created and revoked, account
	// creation's first secret included.
	SecretsChanged(created, revoked int)
}

// The outcomes Observer.Authenticated reports.
const (
	AuthOK               = "ok"
	AuthWrongSecret      = "wrong_secret"       // unknown key or wrong secret
	AuthLimitedFailures  = "limited_failures"   // past AuthLimits
	AuthLimitedRate      = "limited_rate"       // past the account's max-calls-per-second
	AuthLimitedHashQueue = "limited_hash_queue" // no hashing slot in time
	AuthError            = "error"              // the database failed
)

// WithObserver sets who is told what the service did.
func WithObserver(o Observer) Option { return func(s *Service) { s.obs = o } }

// nopObserver is the Observer of a Service without WithObserver.
type nopObserver struct{}

func (nopObserver) Authenticated(string)                  {}
func (nopObserver) HashWaited(time.Duration)              {}
func (nopObserver) VerifyCacheLookup(bool)                {}
func (nopObserver) StoreCall(string, time.Duration, bool) {}
func (nopObserver) MoneyMoved(string, Money)              {}
func (nopObserver) MoneyRefused(string)                   {}
func (nopObserver) SecretsChanged(int, int)               {}

// authOutcome names an Authenticate result for the Observer; "" for a
// caller that left a shared verification (nobody reads its answer).
func authOutcome(err error) string {
	if err == nil {
		return AuthOK
	}
	le, isLimit := asLimitError(err)
	switch {
	case err == error(errCallerLeft):
		return ""
	case ErrorCode(err) == EUNAUTHORIZED:
		return AuthWrongSecret
	case !isLimit:
		return AuthError
	case le.Reason == LimitCallRate:
		return AuthLimitedRate
	case le.Reason == LimitHashQueue:
		return AuthLimitedHashQueue
	}
	return AuthLimitedFailures
}

// Stats is the service's state now, for gauges.
type Stats struct {
	HashWaiting     int // verifications waiting for a hashing slot
	HashRunning     int // hashes running
	VerifyCacheSize int // verifications remembered
}

// Stats reports the service's queues and caches.
func (s *Service) Stats() Stats {
	waiting, running := s.gate.depth()
	return Stats{HashWaiting: waiting, HashRunning: running, VerifyCacheSize: s.cache.len()}
}

// storeFailed reports whether err, from a Store call, is the database's
// failure rather than a refusal the domain expects (ENOTFOUND, EFUNDS, a
// conflict).
func storeFailed(err error) bool {
	return err != nil && (AsError(err) == nil || ErrorCode(err) == EUNAVAILABLE || ErrorCode(err) == EINTERNAL)
}

// observeMove reports what a money call of kind moved, or that it was
// refused; a database failure is the store's to report (StoreCall).
func (s *Service) observeMove(kind string, res MoveResult, err error) {
	switch {
	case err != nil:
		if !storeFailed(err) {
			s.obs.MoneyRefused(kind)
		}
	case !res.Replayed:
		for _, tx := range []*Transaction{&res.Transaction, res.Reload} {
			if tx != nil {
				s.obs.MoneyMoved(tx.Kind, max(tx.Amount, -tx.Amount))
			}
		}
	}
}

// asLimitError is errors.As for a *LimitError. The target escapes to the
// heap, so the hot path's callers ask only once err is not nil: a
// successful authentication allocates nothing for it.
func asLimitError(err error) (*LimitError, bool) {
	var le *LimitError
	ok := errors.As(err, &le)
	return le, ok
}
