package vonage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryable reports whether a failed attempt is worth repeating: no complete
// answer arrived, the server was busy (429) or it failed (5xx).
func retryable(e *APIError) bool {
	return e.kind == ErrTransport || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 && e.StatusCode <= 599
}

// retryWait says how long to wait before retrying a retryable failure, and
// whether to retry at all: not when the server asks for a longer wait than
// maxRetryAfter, nor when the wait would outlast the context's deadline.
func (c *AccountClient) retryWait(ctx context.Context, attempt int, e *APIError) (time.Duration, bool) {
	wait := c.backoff(attempt)
	if e.RetryAfter > 0 {
		if e.RetryAfter > maxRetryAfter {
			return 0, false
		}
		wait = e.RetryAfter
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, false
	}
	return wait, true
}

// backoff returns the delay before retry number attempt: base doubling per
// attempt, capped, with "equal jitter" (half fixed, half random) so clients that
// failed together do not retry together.
func (c *AccountClient) backoff(attempt int) time.Duration {
	d := c.backoffBase
	for i := 1; i < attempt && d < c.backoffMax; i++ {
		d *= 2
	}
	d = min(d, c.backoffMax)
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// abandoned records on the last failure that the context ended the retries, so
// errors.Is(err, context.Canceled) holds.
func abandoned(e *APIError, cause error) *APIError {
	switch {
	case errors.Is(e, cause):
	case e.Err == nil:
		e.Err = fmt.Errorf("retry abandoned: %w", cause)
	default:
		e.Err = fmt.Errorf("%w; retry abandoned: %w", e.Err, cause)
	}
	return e
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const most = 24 * time.Hour // a server asking for more is not taken literally
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(most/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		// t.Sub saturates at about 292 years; a date further out than a
		// day is capped like a number of seconds is.
		return min(t.Sub(now), most)
	}
	return 0
}
