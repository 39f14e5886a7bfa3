package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// frozenStore answers nothing: every call waits for its context to end,
// as a call to a frozen database does.
type frozenStore struct{ account.Store }

func (frozenStore) Account(ctx context.Context, _ string) (account.Account, error) {
	<-ctx.Done()
	return account.Account{}, ctx.Err()
}

func (frozenStore) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestDBTimeout: with WithDBTimeout, a store call that does not answer in
// time fails EUNAVAILABLE (a 503 with Retry-After), carrying the cause for
// the log; a caller that leaves first sees its own cancellation.
func TestDBTimeout(t *testing.T) {
	t.Parallel()
	const d = 50 * time.Millisecond
	svc := account.NewService(frozenStore{}, account.WithDBTimeout(d))

	start := time.Now()
	_, _, err := svc.AccountDetails(t.Context(), "frozen")
	if took := time.Since(start); took > d+time.Second {
		t.Errorf("a frozen store answered after %v, want about %v", took, d)
	}
	if account.ErrorCode(err) != account.EUNAVAILABLE || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("frozen store: %v, want EUNAVAILABLE wrapping the deadline", err)
	}
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) || ra.RetryAfter() <= 0 {
		t.Errorf("frozen store: %v carries no RetryAfter", err)
	}
	if err := svc.Ping(t.Context()); account.ErrorCode(err) != account.EUNAVAILABLE {
		t.Errorf("Ping on a frozen store: %v, want EUNAVAILABLE", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := svc.AccountDetails(ctx, "frozen"); !errors.Is(err, context.Canceled) || account.AsError(err) != nil {
		t.Errorf("caller gone: %v, want its context.Canceled, not a domain error", err)
	}
}
