package account

import (
	"context"
	"errors"
	"time"
)

// EUNAVAILABLE is a database that cannot serve the call now: it did not
// answer within the server's deadline, or it cannot be written. The caller
// may retry later (the HTTP layer answers 503 with Retry-After).
const EUNAVAILABLE Code = "unavailable"

// Unavailable returns an EUNAVAILABLE error whose Message (safe to show) is
// msg and whose chain also holds cause, for the log and for errors.Is.
func Unavailable(msg string, cause error) error {
	return &unavailableError{e: &Error{Code: EUNAVAILABLE, Message: msg}, cause: cause}
}

type unavailableError struct {
	e     *Error
	cause error
}

func (u *unavailableError) Error() string {
	if u.cause == nil {
		return u.e.Error()
	}
	return u.e.Error() + ": " + u.cause.Error()
}

func (u *unavailableError) Unwrap() []error { return []error{u.e, u.cause} }

// RetryAfter tells the HTTP layer how long to wait before trying again.
func (u *unavailableError) RetryAfter() time.Duration { return time.Second }

// WithDBTimeout bounds every call the service makes to its Store: a call
// still running after d is abandoned (its context ends) and fails with
// EUNAVAILABLE, so a frozen database yields a quick refusal instead of a
// hang. 0 means no bound but the caller's context.
func WithDBTimeout(d time.Duration) Option { return func(s *Service) { s.dbTimeout = d } }

// deadlineStore runs every call of the Store it wraps under a deadline
// (none when d is 0) and tells the Observer how each went: the one place
// every database call of the service passes. Each method is written out
// (the Store is a field, not embedded), so a method added to Store cannot
// bypass the deadline or the metrics unnoticed.
type deadlineStore struct {
	inner Store
	mem   MemoryReader // inner's, when it has one
	d     time.Duration
	obs   Observer
}

// MemoryReader is a Store that can answer AccountWithSecret from memory it
// keeps current itself (internal/sqlite's view of its hot accounts, valid
// because that process is its file's only writer). ok false means "ask the
// database". Such an answer makes no database call, so it needs neither a
// deadline nor a place in the database metrics: the authenticated read of
// a hot account then costs no context, timer or histogram.
type MemoryReader interface {
	AccountWithSecretInMemory(apiKey, secretID string) (acct Account, found, ok bool)
}

// newDeadlineStore wraps inner (see deadlineStore).
func newDeadlineStore(inner Store, d time.Duration, obs Observer) deadlineStore {
	mem, _ := inner.(MemoryReader)
	return deadlineStore{inner: inner, mem: mem, d: d, obs: obs}
}

var _ Store = deadlineStore{}

// errDBTimeout is the safe message of a database call that ran out of time.
const errDBTimeout = "the database did not answer in time; retry later"

// bounded runs f, the Store method op, under the deadline d (none when d
// is 0). An unexpected error after the deadline fired, or any timeout (the
// store's own, such as a connect timeout, may come first), while the
// caller's own context is still live, is EUNAVAILABLE; the caller leaving
// is left as it is, and is not the database's failure.
func bounded[T any](s deadlineStore, parent context.Context, op string, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := parent, context.CancelFunc(func() {})
	if d > 0 {
		ctx, cancel = context.WithTimeout(parent, d)
	}
	defer cancel()
	start := time.Now()
	v, err := f(ctx)
	if err != nil && parent.Err() == nil && AsError(err) == nil &&
		(ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		err = Unavailable(errDBTimeout, err)
	}
	s.obs.StoreCall(op, time.Since(start), parent.Err() == nil && storeFailed(err))
	return v, err
}

// bounded0 is bounded for calls that return only an error.
func bounded0(s deadlineStore, parent context.Context, op string, d time.Duration, f func(context.Context) error) error {
	_, err := bounded(s, parent, op, d, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

func (s deadlineStore) CreateAccount(ctx context.Context, acct Account, first Secret) error {
	return bounded0(s, ctx, "CreateAccount", s.d, func(ctx context.Context) error { return s.inner.CreateAccount(ctx, acct, first) })
}

func (s deadlineStore) ImportAccounts(ctx context.Context, recs []ImportRecord) ([]error, error) {
	return bounded(s, ctx, "ImportAccounts", s.d, func(ctx context.Context) ([]error, error) { return s.inner.ImportAccounts(ctx, recs) })
}

func (s deadlineStore) Account(ctx context.Context, apiKey string) (Account, error) {
	return bounded(s, ctx, "Account", s.d, func(ctx context.Context) (Account, error) { return s.inner.Account(ctx, apiKey) })
}

func (s deadlineStore) AccountCount(ctx context.Context) (int, error) {
	return bounded(s, ctx, "AccountCount", s.d, s.inner.AccountCount)
}

func (s deadlineStore) UpdateSettings(ctx context.Context, apiKey string, upd SettingsUpdate) (Account, error) {
	return bounded(s, ctx, "UpdateSettings", s.d, func(ctx context.Context) (Account, error) { return s.inner.UpdateSettings(ctx, apiKey, upd) })
}

func (s deadlineStore) Secrets(ctx context.Context, apiKey string) ([]Secret, error) {
	return bounded(s, ctx, "Secrets", s.d, func(ctx context.Context) ([]Secret, error) { return s.inner.Secrets(ctx, apiKey) })
}

func (s deadlineStore) AccountWithSecret(ctx context.Context, apiKey, secretID string) (Account, bool, error) {
	if s.mem != nil {
		if a, found, ok := s.mem.AccountWithSecretInMemory(apiKey, secretID); ok {
			return a, found, nil
		}
	}
	type found struct {
		acct Account
		ok   bool
	}
	r, err := bounded(s, ctx, "AccountWithSecret", s.d, func(ctx context.Context) (found, error) {
		a, ok, err := s.inner.AccountWithSecret(ctx, apiKey, secretID)
		return found{a, ok}, err
	})
	return r.acct, r.ok, err
}

func (s deadlineStore) AddSecret(ctx context.Context, sec Secret) error {
	return bounded0(s, ctx, "AddSecret", s.d, func(ctx context.Context) error { return s.inner.AddSecret(ctx, sec) })
}

func (s deadlineStore) RevokeSecret(ctx context.Context, apiKey, id string) error {
	return bounded0(s, ctx, "RevokeSecret", s.d, func(ctx context.Context) error { return s.inner.RevokeSecret(ctx, apiKey, id) })
}

func (s deadlineStore) ReplaceSecret(ctx context.Context, oldID string, sec Secret) error {
	return bounded0(s, ctx, "ReplaceSecret", s.d, func(ctx context.Context) error { return s.inner.ReplaceSecret(ctx, oldID, sec) })
}

func (s deadlineStore) SetSignature(ctx context.Context, apiKey string, sig *Signature) error {
	return bounded0(s, ctx, "SetSignature", s.d, func(ctx context.Context) error { return s.inner.SetSignature(ctx, apiKey, sig) })
}

func (s deadlineStore) Signature(ctx context.Context, apiKey string) (Signature, bool, error) {
	type found struct {
		sig Signature
		ok  bool
	}
	r, err := bounded(s, ctx, "Signature", s.d, func(ctx context.Context) (found, error) {
		sig, ok, err := s.inner.Signature(ctx, apiKey)
		return found{sig, ok}, err
	})
	return r.sig, r.ok, err
}

func (s deadlineStore) UpdateAccount(ctx context.Context, apiKey string, upd AccountUpdate) (Account, error) {
	return bounded(s, ctx, "UpdateAccount", s.d, func(ctx context.Context) (Account, error) { return s.inner.UpdateAccount(ctx, apiKey, upd) })
}

func (s deadlineStore) Credit(ctx context.Context, m Movement) (MoveResult, error) {
	return bounded(s, ctx, "Credit", s.d, func(ctx context.Context) (MoveResult, error) { return s.inner.Credit(ctx, m) })
}

func (s deadlineStore) Charge(ctx context.Context, m Movement) (MoveResult, error) {
	return bounded(s, ctx, "Charge", s.d, func(ctx context.Context) (MoveResult, error) { return s.inner.Charge(ctx, m) })
}

func (s deadlineStore) TopUp(ctx context.Context, apiKey, trx string, now time.Time) (Transaction, error) {
	return bounded(s, ctx, "TopUp", s.d, func(ctx context.Context) (Transaction, error) { return s.inner.TopUp(ctx, apiKey, trx, now) })
}

func (s deadlineStore) Transactions(ctx context.Context, apiKey string, before int64, limit int) ([]Transaction, error) {
	return bounded(s, ctx, "Transactions", s.d, func(ctx context.Context) ([]Transaction, error) {
		return s.inner.Transactions(ctx, apiKey, before, limit)
	})
}

// VerifyLedger reads every ledger row, a scan that grows with the
// database: it is bounded by the caller's context (the operator's request)
// only, not by the per-call deadline.
func (s deadlineStore) VerifyLedger(ctx context.Context) (LedgerReport, error) {
	return bounded(s, ctx, "VerifyLedger", 0, s.inner.VerifyLedger)
}

// PruneIdempotencyKeys is background work whose delete grows with the keys
// to forget (after a long stop, many): it is bounded by the caller's
// context (server.Run's) only.
func (s deadlineStore) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int, error) {
	return bounded(s, ctx, "PruneIdempotencyKeys", 0, func(ctx context.Context) (int, error) {
		return s.inner.PruneIdempotencyKeys(ctx, cutoff)
	})
}

func (s deadlineStore) Ping(ctx context.Context) error {
	return bounded0(s, ctx, "Ping", s.d, s.inner.Ping)
}

func (s deadlineStore) Close() error { return s.inner.Close() }

func (s deadlineStore) SecretIDs(ctx context.Context, apiKeys []string) (map[string][]Secret, error) {
	return bounded(s, ctx, "SecretIDs", s.d, func(ctx context.Context) (map[string][]Secret, error) { return s.inner.SecretIDs(ctx, apiKeys) })
}

func (s deadlineStore) ListAccounts(ctx context.Context, q AccountQuery) ([]Account, error) {
	return bounded(s, ctx, "ListAccounts", s.d, func(ctx context.Context) ([]Account, error) { return s.inner.ListAccounts(ctx, q) })
}

func (s deadlineStore) ResetSecrets(ctx context.Context, sec Secret) error {
	return bounded0(s, ctx, "ResetSecrets", s.d, func(ctx context.Context) error { return s.inner.ResetSecrets(ctx, sec) })
}
