package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WebhookStats is what the callback worker (internal/webhook) reports:
// counters since the process started and the queue's depth now.
type WebhookStats struct {
	Delivered, Failed, Attempts uint64
	QueueDepth                  int
}

// depthTimeout bounds the queue-depth read one scrape makes.
const depthTimeout = 2 * time.Second

// WatchWebhooks adds the callback deliveries' counters and the queue's
// depth, read at each scrape (the depth from the database; -1 when that
// read fails).
func (m *Metrics) WatchWebhooks(stats func(context.Context) (WebhookStats, error)) {
	read := func() (WebhookStats, error) {
		ctx, cancel := context.WithTimeout(context.Background(), depthTimeout)
		defer cancel()
		return stats(ctx)
	}
	for _, c := range []struct {
		name, help string
		get        func(WebhookStats) uint64
	}{
		{"vonage_webhook_delivered_total", "Callback deliveries answered 2xx.", func(s WebhookStats) uint64 { return s.Delivered }},
		{"vonage_webhook_failed_total", "Callback deliveries given up after the retry window.", func(s WebhookStats) uint64 { return s.Failed }},
		{"vonage_webhook_attempts_total", "Callback delivery attempts, successful or not.", func(s WebhookStats) uint64 { return s.Attempts }},
	} {
		get := c.get
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { s, _ := read(); return float64(get(s)) }))
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vonage_webhook_queue_depth",
		Help: "Callback deliveries waiting in the database (-1: the read failed)."},
		func() float64 {
			s, err := read()
			if err != nil {
				return -1
			}
			return float64(s.QueueDepth)
		}))
}

// WatchLimits adds where the limits are counted (--limits-url): 1 while
// Redis does not answer and this instance counts alone, and how many
// times it fell back.
func (m *Metrics) WatchLimits(degraded func() bool, fallbacks func() uint64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vonage_limits_degraded",
		Help: "1 while the shared limits' Redis does not answer and this instance counts alone."},
		func() float64 {
			if degraded() {
				return 1
			}
			return 0
		}))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vonage_limits_fallbacks_total",
		Help: "Times the shared limits fell back to this instance's own."},
		func() float64 { return float64(fallbacks()) }))
}

// WatchLedgerBatches adds the group commit's counts (internal/sqlite): the
// write transactions that carried money movements, and the movements
// they carried. Their ratio is how many movements share one synced
// commit.
func (m *Metrics) WatchLedgerBatches(stats func() (batches, movements int64)) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vonage_ledger_batches_total",
		Help: "Synced commits that carried money movements (group commit)."},
		func() float64 { b, _ := stats(); return float64(b) }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vonage_ledger_batch_movements_total",
		Help: "Money movements committed in those commits; divided by vonage_ledger_batches_total, the movements per commit."},
		func() float64 { _, n := stats(); return float64(n) }))
}
