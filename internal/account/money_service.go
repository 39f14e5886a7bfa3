package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// MaxReferenceLen bounds a movement's free-text reference, in bytes.
const MaxReferenceLen = 255

// MaxIdempotencyKeyLen bounds an Idempotency-Key, in bytes.
const MaxIdempotencyKeyLen = 255

// IdempotencyTTL is how long the server promises to remember an
// idempotency key; keys are pruned only after it.
const IdempotencyTTL = 24 * time.Hour

// MoneyRequest is an operator's request to move money, as the admin API
// receives it (amount already parsed).
type MoneyRequest struct {
	APIKey         string
	Amount         Money
	Reference      string
	IdempotencyKey string
}

// Credit adds money to an account.
func (s *Service) Credit(ctx context.Context, r MoneyRequest) (MoveResult, error) {
	return s.move(ctx, KindCredit, r, s.store.Credit)
}

// Charge takes money from an account, reloading it first when auto-reload
// is on and the charge takes it below the threshold; EFUNDS when the money
// is not there.
func (s *Service) Charge(ctx context.Context, r MoneyRequest) (MoveResult, error) {
	return s.move(ctx, KindCharge, r, s.store.Charge)
}

// move checks r and has the store apply it, telling the Observer.
func (s *Service) move(ctx context.Context, kind string, r MoneyRequest, apply func(context.Context, Movement) (MoveResult, error)) (MoveResult, error) {
	m, err := s.movement(kind, r)
	res := MoveResult{}
	if err == nil {
		res, err = apply(ctx, m)
	}
	s.observeMove(kind, res, err)
	return res, err
}

func (s *Service) movement(kind string, r MoneyRequest) (Movement, error) {
	if r.Amount <= 0 {
		return Movement{}, Invalid("amount", "must be greater than zero")
	}
	if len(r.Reference) > MaxReferenceLen {
		return Movement{}, Invalid("reference", "must be at most %d bytes", MaxReferenceLen)
	}
	if !printable(r.Reference) {
		return Movement{}, Invalid("reference", "must not contain control characters")
	}
	if len(r.IdempotencyKey) > MaxIdempotencyKeyLen || !printable(r.IdempotencyKey) {
		return Movement{}, Invalid("Idempotency-Key", "must be at most %d printable characters", MaxIdempotencyKeyLen)
	}
	return Movement{
		APIKey:         r.APIKey,
		Amount:         r.Amount,
		Reference:      r.Reference,
		Now:            s.timestamp(),
		IdempotencyKey: r.IdempotencyKey,
		Fingerprint:    fingerprint(kind, r),
	}, nil
}

// fingerprint identifies what a request asked for, so that an idempotency
// key reused for a different request is told apart from a repeat.
func fingerprint(kind string, r MoneyRequest) string {
	h := sha256.New()
	for _, part := range []string{kind, r.APIKey, strconv.FormatInt(int64(r.Amount), 10), r.Reference} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// UpdateAccount changes auto-reload and limits.
func (s *Service) UpdateAccount(ctx context.Context, apiKey string, upd AccountUpdate) (Account, error) {
	if upd.SetAutoReload {
		if err := ValidateAutoReload(upd.AutoReload); err != nil {
			return Account{}, err
		}
	}
	if upd.Limits != nil {
		if err := ValidateLimits(*upd.Limits); err != nil {
			return Account{}, err
		}
	}
	if !upd.SetAutoReload && upd.Limits == nil {
		return s.store.Account(ctx, apiKey)
	}
	return s.store.UpdateAccount(ctx, apiKey, upd)
}

// Transactions returns a page of an account's ledger, newest first.
func (s *Service) Transactions(ctx context.Context, apiKey string, before int64, limit int) ([]Transaction, error) {
	if before < 0 {
		return nil, Invalid("before", "must be a transaction id")
	}
	if limit < 1 || limit > 1000 {
		return nil, Invalid("limit", "must be from 1 to 1000")
	}
	return s.store.Transactions(ctx, apiKey, before, limit)
}

// VerifyLedger checks every account against its ledger.
func (s *Service) VerifyLedger(ctx context.Context) (LedgerReport, error) {
	return s.store.VerifyLedger(ctx)
}

// PruneIdempotencyKeys forgets keys older than IdempotencyTTL.
func (s *Service) PruneIdempotencyKeys(ctx context.Context) (int, error) {
	return s.store.PruneIdempotencyKeys(ctx, s.timestamp().Add(-IdempotencyTTL))
}
