// Package webhook delivers the callbacks queued in the database (inbound
// SMS and delivery receipts, see account.WebhookStore) to accounts'
// endpoints, as the real platform does: by the account's method, signed
// when it has a signature secret, and retried with exponential backoff and
// jitter until the endpoint answers 2xx or the retry window ends.
//
// Delivery is at least once: a delivery leaves the queue only once its
// answer is recorded, so a crash between the request and the record sends
// it again. Several instances on one PostgreSQL database share the queue;
// each delivery is claimed by one of them at a time (account.WebhookStore).
package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Queue is the part of the store the worker uses.
type Queue interface {
	ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]account.Delivery, error)
	FinishWebhookAttempt(ctx context.Context, id, claim int64, a account.Attempt, state string, next time.Time) (bool, error)
	ReleaseWebhook(ctx context.Context, id, claim int64, next time.Time) (bool, error)
	WebhookQueueDepth(ctx context.Context) (int, error)
}

// Signer adds timestamp, nonce and sig to a payload when the account has a
// signature secret (account.Service.SignWebhook).
type Signer interface {
	SignWebhook(ctx context.Context, apiKey string, params []account.Param) ([]account.Param, error)
}

// Config tunes a Worker. Zero fields take DefaultConfig's values.
type Config struct {
	// RetryBase is the wait after the first failed attempt; each further
	// failure doubles it (up to MaxBackoff), and jitter takes it anywhere
	// between half and all of that.
	RetryBase time.Duration
	// RetryWindow is how long after it was queued a delivery is retried;
	// a retry that would fall after it marks the delivery failed.
	RetryWindow time.Duration
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff time.Duration
	// Timeout bounds one attempt: connecting, sending, and the answer.
	Timeout time.Duration
	// MaxResponseBytes is how much of an answer's body is read.
	MaxResponseBytes int64
	// Lease is how long a claim lasts: an instance that dies holding one
	// leaves the delivery to others after it. It must exceed Timeout plus
	// Horizon by a margin.
	Lease time.Duration
	// Poll is how often the queue is checked when nothing was due.
	Poll time.Duration
	// Batch is how many deliveries one claim takes; Concurrency how many
	// requests are in flight at once.
	Batch       int
	Concurrency int
	// Horizon is how long a claimed delivery may wait for its account's
	// max-inbound-request to allow it; one that would wait longer goes
	// back to the queue, due when the rate allows it.
	Horizon time.Duration
	// BlockPrivate refuses private, loopback, link-local, unspecified and
	// multicast destinations, checked on the address each attempt
	// actually connects to; a refusal is a failed attempt.
	BlockPrivate bool
	// UserAgent names the server in every request.
	UserAgent string
	// Logger receives failures of the queue itself; nil discards them.
	Logger *slog.Logger
	// Now is the clock (tests); time.Now by default.
	Now func() time.Time
}

// DefaultConfig is the real platform's behaviour: retries from 5 s for
// 24 hours, a 5 s timeout, 64 KiB of an answer read.
func DefaultConfig() Config {
	return Config{
		RetryBase:        5 * time.Second,
		RetryWindow:      24 * time.Hour,
		MaxBackoff:       time.Hour,
		Timeout:          5 * time.Second,
		MaxResponseBytes: 64 << 10,
		Lease:            30 * time.Second,
		Poll:             100 * time.Millisecond,
		Batch:            64,
		Concurrency:      16,
		Horizon:          time.Second,
		UserAgent:        "vonage-serve",
	}
}

// withDefaults fills c's zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.RetryBase, d.RetryBase)
	set(&c.RetryWindow, d.RetryWindow)
	set(&c.MaxBackoff, d.MaxBackoff)
	set(&c.Timeout, d.Timeout)
	set(&c.Lease, d.Lease)
	set(&c.Poll, d.Poll)
	set(&c.Horizon, d.Horizon)
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = d.MaxResponseBytes
	}
	if c.Batch <= 0 {
		c.Batch = d.Batch
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	if c.UserAgent == "" {
		c.UserAgent = d.UserAgent
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Worker delivers the queue's due deliveries until its Run's context ends.
type Worker struct {
	q      Queue
	signer Signer
	cfg    Config
	hc     *http.Client
	pace   pacer
	slots  chan struct{} // Concurrency tokens
	wg     sync.WaitGroup

	delivered, failed, attempts atomic.Uint64
}

// New returns a Worker over q.
func New(q Queue, signer Signer, cfg Config) *Worker {
	cfg = cfg.withDefaults()
	return &Worker{
		q: q, signer: signer, cfg: cfg,
		hc:    newHTTPClient(cfg.Timeout, cfg.BlockPrivate),
		pace:  pacer{next: map[string]time.Time{}, started: map[string]time.Time{}},
		slots: make(chan struct{}, cfg.Concurrency),
	}
}

// Stats are the worker's counters, for /metrics: deliveries this instance
// delivered and gave up on, attempts it made, and the deliveries pending
// in the whole queue.
type Stats struct {
	Delivered, Failed, Attempts uint64
	QueueDepth                  int
}

// Stats returns the counters and the queue's depth.
func (w *Worker) Stats(ctx context.Context) (Stats, error) {
	n, err := w.q.WebhookQueueDepth(ctx)
	return Stats{Delivered: w.delivered.Load(), Failed: w.failed.Load(), Attempts: w.attempts.Load(), QueueDepth: n}, err
}

// Run delivers until ctx ends, then waits for the requests in flight
// (each bounded by Timeout) to be recorded.
func (w *Worker) Run(ctx context.Context) {
	defer w.wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		n, err := w.pass(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("claiming callback deliveries failed", "error", err.Error())
		}
		wait := w.cfg.Poll
		if n == w.cfg.Batch {
			wait = 0 // more may be due now
		}
		timer.Reset(wait)
	}
}

// pass claims one batch and starts its deliveries; it returns how many it
// claimed.
func (w *Worker) pass(ctx context.Context) (int, error) {
	now := w.cfg.Now()
	ds, err := w.q.ClaimWebhooks(ctx, now, w.cfg.Lease, w.cfg.Batch)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		start, ok := w.pace.reserve(d.APIKey, d.MaxPerSecond, now, w.cfg.Horizon)
		if !ok {
			// Beyond the horizon: back to the queue, due when the rate
			// allows it, so no claim is held while waiting.
			w.record(func(ctx context.Context) (bool, error) { return w.q.ReleaseWebhook(ctx, d.ID, d.Claim, start) })
			continue
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			if wait := start.Sub(w.cfg.Now()); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					// Stopping: give it back now rather than after the lease.
					w.record(func(ctx context.Context) (bool, error) { return w.q.ReleaseWebhook(ctx, d.ID, d.Claim, start) })
					return
				case <-t.C:
				}
			}
			w.slots <- struct{}{}
			defer func() { <-w.slots }()
			// The slot was reserved by time; waits for a free request can
			// bunch the starts, so they are spaced again as they start.
			w.pace.space(d.APIKey, d.MaxPerSecond, w.cfg.Now)
			w.deliver(d)
		}()
	}
	return len(ds), nil
}

// deliver makes one attempt at d and records it. The attempt is not tied
// to Run's context: once started it is finished and recorded, so a
// shutdown does not count as the endpoint's failure.
func (w *Worker) deliver(d account.Delivery) {
	ctx := context.Background()
	started := w.cfg.Now()
	a := account.Attempt{At: started}
	params, err := w.signer.SignWebhook(ctx, d.APIKey, d.Params)
	if err != nil {
		a.Error = "signing: " + err.Error()
	} else {
		a.StatusCode, a.Error = w.send(ctx, d, params)
	}
	a.Duration = max(w.cfg.Now().Sub(started), 0)
	w.attempts.Add(1)
	state, next := w.outcome(d, a)
	w.record(func(ctx context.Context) (bool, error) {
		return w.q.FinishWebhookAttempt(ctx, d.ID, d.Claim, a, state, next)
	})
	switch state {
	case account.DeliveryDelivered:
		w.delivered.Add(1)
	case account.DeliveryFailed:
		w.failed.Add(1)
	}
}

// outcome decides what an attempt leaves: delivered on a 2xx; otherwise a
// retry after the backoff, or failed when that retry would fall after the
// window.
func (w *Worker) outcome(d account.Delivery, a account.Attempt) (string, time.Time) {
	if a.StatusCode >= 200 && a.StatusCode < 300 {
		return account.DeliveryDelivered, time.Time{}
	}
	next := a.At.Add(a.Duration).Add(Backoff(w.cfg.RetryBase, w.cfg.MaxBackoff, d.Tries+1, rand.Float64()))
	if next.After(d.CreatedAt.Add(w.cfg.RetryWindow)) {
		return account.DeliveryFailed, time.Time{}
	}
	return account.DeliveryPending, next
}

// record runs a queue write that ends a claim, bounded in time. A refused
// write (false) means the lease ran out and another claim took the
// delivery: nothing more is to be done here.
func (w *Worker) record(f func(context.Context) (bool, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
	defer cancel()
	if _, err := f(ctx); err != nil {
		w.cfg.Logger.Warn("recording a callback delivery failed; it is retried when its lease ends", "error", err.Error())
	}
}

// Backoff is the wait after the n-th failed attempt (n from 1): base
// doubled n-1 times, capped at limit, then scaled by jitter (from [0, 1))
// into [half, all] of it, so that retries of many deliveries spread out.
func Backoff(base, limit time.Duration, n int, jitter float64) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// pacer spaces each account's deliveries by its max-inbound-request: a
// delivery starts 1/rate after the one before at the earliest (a GCRA
// with no burst), counted on this instance.
type pacer struct {
	mu      sync.Mutex
	next    map[string]time.Time // the next free reserved slot
	started map[string]time.Time // the latest start, taken by space
}

// reserve returns when a delivery of apiKey may start and takes that slot,
// or, when that is more than horizon away, the time without taking it
// (ok false). rate 0 means no cap.
func (p *pacer) reserve(apiKey string, rate int, now time.Time, horizon time.Duration) (time.Time, bool) {
	if rate <= 0 {
		return now, true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	start := p.next[apiKey]
	if start.Before(now) {
		start = now
		if len(p.next) > 10_000 {
			p.prune(now)
		}
	}
	if start.Sub(now) > horizon {
		return start, false
	}
	p.next[apiKey] = start.Add(time.Second / time.Duration(rate))
	return start, true
}

// space waits until 1/rate after the account's latest start, and makes
// now its latest start.
func (p *pacer) space(apiKey string, rate int, now func() time.Time) {
	if rate <= 0 {
		return
	}
	p.mu.Lock()
	t := now()
	start := p.started[apiKey].Add(time.Second / time.Duration(rate))
	if start.Before(t) {
		start = t
	}
	p.started[apiKey] = start
	p.mu.Unlock()
	time.Sleep(start.Sub(t))
}

// prune forgets accounts whose slots have passed.
func (p *pacer) prune(now time.Time) {
	for k, t := range p.next {
		if t.Before(now) {
			delete(p.next, k)
		}
	}
	for k, t := range p.started {
		if t.Before(now.Add(-time.Second)) {
			delete(p.started, k)
		}
	}
}
