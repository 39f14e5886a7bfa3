// Package redislimit counts the per-account call rate and the failure
// limits in Redis, so that they hold across every instance of the server
// that shares it (contract section 7, --limits-url). It implements
// account.LimitStore.
//
// Each operation is one round trip: a Lua script (script.lua, sent by
// EVALSHA) on Redis's clock. A successful authentication's fill of its
// pair and its call are one operation (FillTakeCall, account.SuccessStore),
// so a successful call costs two round trips: the check, and that. The
// failure limits are token buckets stored as GCRA arrival times, with the
// same capacity, refill and debt as the local buckets; the call rate is a
// sliding window: at most max-calls-per-second calls in any one second.
//
// Redis is never allowed to hold a request: each operation waits for it at
// most Options.Timeout. An operation that does not get an answer in time is
// answered by the local fallback store instead, and so is every operation
// after it, until a background probe finds Redis answering again. The
// switch is logged once each way (Warn, then Info) and shows in State,
// Degraded and Fallbacks.
package redislimit

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Defaults of Options.
const (
	DefaultPrefix        = "vonage:limits:"
	DefaultTimeout       = 5 * time.Millisecond
	DefaultProbeInterval = time.Second
)

// The states State reports.
const (
	StateRedis    = "redis"          // counting in Redis
	StateFallback = "local-fallback" // Redis does not answer: counting in this instance
)

// Options configure Open.
type Options struct {
	// Prefix starts every key (DefaultPrefix when empty); instances that
	// share limits share it, and tests use one each.
	Prefix string
	// Timeout is the longest an operation waits for Redis before it is
	// answered by Fallback (DefaultTimeout when 0).
	Timeout time.Duration
	// ProbeInterval is how often Redis is asked, while it does not answer,
	// whether it answers again (DefaultProbeInterval when 0).
	ProbeInterval time.Duration
	// Fallback counts while Redis does not answer; required.
	Fallback account.LimitStore
	// Logger receives the switches to and from Fallback; nil discards.
	Logger *slog.Logger
}

// Limits is an account.LimitStore in Redis with a local fallback.
type Limits struct {
	rdb      *redis.Client
	prefix   string
	timeout  time.Duration
	probeGap time.Duration
	local    account.LimitStore
	log      *slog.Logger
	nonce    string // makes this process's call members unique

	seq       atomic.Uint64 // numbers this process's calls
	down      atomic.Bool   // Redis did not answer; a probe runs
	fallbacks atomic.Uint64

	stop   chan struct{}
	probes sync.WaitGroup
	once   sync.Once
}

//go:embed script.lua
var scriptSrc string

var script = redis.NewScript(scriptSrc)

// CheckURL reports whether rawURL is a Redis URL Open accepts (redis://,
// rediss:// or unix://), without connecting. Its error never repeats the
// URL, which may hold a password.
func CheckURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}

func parseURL(rawURL string) (*redis.Options, error) {
	if !strings.HasPrefix(rawURL, "redis://") && !strings.HasPrefix(rawURL, "rediss://") && !strings.HasPrefix(rawURL, "unix://") {
		return nil, errors.New("must be a redis://, rediss:// or unix:// URL")
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("is not a valid Redis URL")
	}
	return o, nil
}

// Open returns Limits counting in the Redis rawURL names. It asks Redis
// once whether it answers (for at most a second); if not, it starts on the
// fallback and probes, so an instance starts, and serves, without Redis.
// The caller must Close it.
func Open(ctx context.Context, rawURL string, o Options) (*Limits, error) {
	ro, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("limits URL %w", err)
	}
	if o.Fallback == nil {
		return nil, errors.New("redislimit: a fallback store is required")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// Every wait is bounded by Timeout, through the context: no retries
	// (a retry would outlast it), no pool wait beyond it, and no
	// handshake beyond the one RESP2 needs.
	ro.ContextTimeoutEnabled = true
	ro.MaxRetries = -1
	ro.PoolTimeout = o.Timeout
	ro.ReadTimeout, ro.WriteTimeout = o.Timeout, o.Timeout
	ro.DialTimeout = max(o.Timeout, 100*time.Millisecond) // a dial runs in the background of a pool wait
	ro.DialerRetries = 1
	// A connection is held for a round trip of some 100 µs: a pool
	// of this size serves many thousand operations a second without
	// a wait, and bounds the connections each instance opens.
	ro.PoolSize = max(ro.PoolSize, 64)
	// Connections kept open ahead of need: a burst of requests right
	// after a start, or after Redis comes back, finds some ready rather
	// than waiting for dials.
	ro.MinIdleConns = 8
	ro.Protocol = 2
	ro.DisableIdentity = true
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	l := &Limits{rdb: redis.NewClient(ro), prefix: o.Prefix, timeout: o.Timeout, probeGap: o.ProbeInterval,
		local: o.Fallback, log: o.Logger, nonce: hex.EncodeToString(b), stop: make(chan struct{})}
	pctx, cancel := context.WithTimeout(ctx, max(o.Timeout, time.Second))
	defer cancel()
	if err := l.ping(pctx); err != nil {
		l.failed(err)
	} else {
		l.log.Info("limits: counting in Redis", "addr", ro.Addr, "prefix", o.Prefix)
	}
	return l, nil
}

// Close stops the probe and closes the connections.
func (l *Limits) Close() error {
	l.once.Do(func() { close(l.stop) })
	l.probes.Wait()
	return l.rdb.Close()
}

// State is StateRedis or StateFallback, for /readyz.
func (l *Limits) State() string {
	if l.down.Load() {
		return StateFallback
	}
	return StateRedis
}

// Degraded reports whether the limits are counted locally because Redis
// does not answer (a gauge for /metrics).
func (l *Limits) Degraded() bool { return l.down.Load() }

// Fallbacks is the number of operations counted locally because Redis did
// not answer, since Open (a counter for /metrics).
func (l *Limits) Fallbacks() uint64 { return l.fallbacks.Load() }

// Check implements account.LimitStore.
func (l *Limits) Check(bs ...account.Bucket) (int, time.Duration) {
	if len(bs) == 0 {
		return -1, 0
	}
	res, err := l.run("check", l.bucketKeys(bs), bucketArgs(bs))
	if err != nil {
		return l.local.Check(bs...)
	}
	return int(res[0]) - 1, time.Duration(res[1]) * time.Microsecond
}

// Charge implements account.LimitStore.
func (l *Limits) Charge(bs ...account.Bucket) {
	if len(bs) == 0 {
		return
	}
	if _, err := l.run("charge", l.bucketKeys(bs), bucketArgs(bs)); err != nil {
		l.local.Charge(bs...)
	}
}

// Fill implements account.LimitStore.
func (l *Limits) Fill(b account.Bucket) {
	if l.down.Load() {
		l.fallbacks.Add(1)
		l.local.Fill(b)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	if err := l.rdb.Del(ctx, l.bucketKey(b)).Err(); err != nil {
		l.failed(err)
		l.fallbacks.Add(1)
		l.local.Fill(b)
	}
}

// TakeCall implements account.LimitStore.
func (l *Limits) TakeCall(apiKey string, perSecond int) (time.Duration, bool) {
	res, err := l.run("call", []string{l.callKey(apiKey)}, []any{strconv.Itoa(perSecond), l.member()})
	if err != nil {
		return l.local.TakeCall(apiKey, perSecond)
	}
	return time.Duration(res[1]) * time.Microsecond, res[0] == 0
}

// FillTakeCall implements account.SuccessStore: Fill(b) and
// TakeCall(apiKey, perSecond) in one round trip (the script's succeed).
// When Redis does not answer, the fallback does both, as it would the two
// operations, and counts as two in Fallbacks.
func (l *Limits) FillTakeCall(b account.Bucket, apiKey string, perSecond int) (time.Duration, bool) {
	res, err := l.run("succeed", []string{l.bucketKey(b), l.callKey(apiKey)}, []any{strconv.Itoa(perSecond), l.member()})
	if err != nil {
		l.fallbacks.Add(1) // run counted one of the two
		l.local.Fill(b)
		return l.local.TakeCall(apiKey, perSecond)
	}
	return time.Duration(res[1]) * time.Microsecond, res[0] == 0
}

// callKey is the key of apiKey's calls.
func (l *Limits) callKey(apiKey string) string { return l.prefix + "c:" + apiKey }

// member names one call of this process, unique among every instance's.
func (l *Limits) member() string { return l.nonce + ":" + strconv.FormatUint(l.seq.Add(1), 36) }

// run runs the script's op, or returns an error (the caller then counts
// locally) when Redis is known down or does not answer within the timeout.
func (l *Limits) run(op string, keys []string, args []any) ([]int64, error) {
	if l.down.Load() {
		l.fallbacks.Add(1)
		return nil, errDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	res, err := script.Run(ctx, l.rdb, keys, append([]any{op}, args...)...).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("the limits script answered %d values, want 2", len(res))
	}
	if err != nil {
		l.failed(err)
		l.fallbacks.Add(1)
		return nil, err
	}
	return res, nil
}

// quiet drops go-redis's own log lines (a failed dial, each time a
// probe finds Redis still down): the switches this package logs say what
// an operator needs, in the server's log. go-redis's logger is global to
// the process; this package is its only user in the server.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

var errDown = errors.New("redislimit: Redis does not answer")

// failed switches to the fallback, once: the first failure logs and
// starts the probe; the others find it done.
func (l *Limits) failed(err error) {
	if !l.down.CompareAndSwap(false, true) {
		return
	}
	l.log.Warn("limits: Redis does not answer; counting limits in this instance until it does",
		"err", err.Error(), "timeout", l.timeout.String())
	l.probes.Add(1)
	go l.probe()
}

// probe asks Redis every probeGap whether it answers within the timeout,
// and switches back to it when it does.
func (l *Limits) probe() {
	defer l.probes.Done()
	t := time.NewTicker(l.probeGap)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
		err := l.ping(ctx)
		cancel()
		if err == nil {
			l.down.Store(false)
			l.log.Info("limits: Redis answers again; counting limits in Redis")
			return
		}
	}
}

// ping asks Redis to run the script, which loads it if it is not loaded
// (after a restart): a charge of no bucket, which changes nothing.
func (l *Limits) ping(ctx context.Context) error {
	return script.Run(ctx, l.rdb, nil, "charge").Err()
}

func (l *Limits) bucketKey(b account.Bucket) string {
	kind := "a:"
	if b.Kind == account.BucketPair {
		kind = "p:"
	}
	return l.prefix + kind + b.Key
}

func (l *Limits) bucketKeys(bs []account.Bucket) []string {
	keys := make([]string, len(bs))
	for i, b := range bs {
		keys[i] = l.bucketKey(b)
	}
	return keys
}

// bucketArgs are each bucket's capacity and rate, after the operation.
func bucketArgs(bs []account.Bucket) []any {
	args := make([]any, 0, 2*len(bs))
	for _, b := range bs {
		args = append(args, strconv.FormatFloat(b.Capacity, 'g', -1, 64), strconv.FormatFloat(b.Rate, 'g', -1, 64))
	}
	return args
}

var _ account.SuccessStore = (*Limits)(nil)
