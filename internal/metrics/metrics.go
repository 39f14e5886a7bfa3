// Package metrics exposes the server's Prometheus metrics (contract
// section 7, GET /metrics): requests by route pattern, method and status
// with their latency; authentication outcomes; the hash queue; the
// verification cache; database calls; money moved; secrets; build info.
// It implements account.Observer and httpapi's request observer, so that
// neither the domain nor the handlers import Prometheus.
//
// Every Metrics has its own registry: tests start many servers in one
// process, and each must count alone.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/buildinfo"
)

// Metrics holds one server's collectors and their registry.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	auth       *prometheus.CounterVec
	hashWait   prometheus.Observer
	cache      *prometheus.CounterVec
	dbLatency  *prometheus.HistogramVec
	dbErrors   *prometheus.CounterVec
	moneyMoved *prometheus.CounterVec
	moves      *prometheus.CounterVec
	refusals   *prometheus.CounterVec
	secrets    *prometheus.CounterVec
}

var _ account.Observer = (*Metrics)(nil)

// Latency buckets, in seconds: from a cached read (well under a
// millisecond) to an argon2id hash waiting its turn (seconds).
var (
	requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	dbBuckets      = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5}
)

// New returns the collectors of one server, registered with the Go
// runtime's and the process's, and vonage_build_info for info.
func New(info buildinfo.Info) *Metrics {
	reg := prometheus.NewRegistry()
	f := factory{reg}
	m := &Metrics{
		reg: reg,
		requests: f.counter("vonage_http_requests_total",
			"HTTP requests answered, by route pattern (\"unmatched\" for unknown paths), method and status.", "route", "method", "status"),
		latency: f.histogram("vonage_http_request_duration_seconds",
			"Time from a request's arrival at the handler to its answer, by route pattern and method.", requestBuckets, "route", "method"),
		auth: f.counter("vonage_auth_total",
			"API authentications by outcome: ok, wrong_secret, limited_failures, limited_rate, limited_hash_queue, error.", "outcome"),
		hashWait: f.histogram("vonage_hash_wait_seconds",
			"Time an argon2id hash waited for a hashing slot, whether it got one or was refused.", requestBuckets).WithLabelValues(),
		cache: f.counter("vonage_verify_cache_lookups_total",
			"Look-ups in the cache of successful verifications, by result: hit or miss.", "result"),
		dbLatency: f.histogram("vonage_db_call_duration_seconds",
			"Database calls by Store method, with their duration.", dbBuckets, "op"),
		dbErrors: f.counter("vonage_db_call_errors_total",
			"Database calls that failed for the database's sake (timeouts, lost connections; not refusals such as not found), by Store method.", "op"),
		moneyMoved: f.counter("vonage_money_moved_eur_total",
			"Money moved, in EUR, by kind: credit, charge, reload (auto-reload), top-up. Idempotent replays move nothing.", "kind"),
		moves: f.counter("vonage_money_movements_total",
			"Movements of money (ledger rows written), by kind.", "kind"),
		refusals: f.counter("vonage_money_refusals_total",
			"Movements of money refused (funds short, auto-reload off, bad amount), by the kind asked: credit, charge, top-up.", "kind"),
		secrets: f.counter("vonage_secrets_total",
			"API secrets created (an account's first included) and revoked.", "event"),
	}
	build := f.gauge("vonage_build_info", "The running build: 1, labelled with its version, commit and Go version.", "version", "commit", "goversion")
	build.WithLabelValues(info.Version, info.Commit, runtime.Version()).Set(1)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchService adds the gauges that read the service's state at each
// scrape: the hash queue and the verification cache.
func (m *Metrics) WatchService(stats func() account.Stats) {
	for _, g := range []struct {
		name, help string
		read       func(account.Stats) int
	}{
		{"vonage_hash_queue_waiting", "Verifications waiting for a hashing slot now.", func(s account.Stats) int { return s.HashWaiting }},
		{"vonage_hash_running", "argon2id hashes running now.", func(s account.Stats) int { return s.HashRunning }},
		{"vonage_verify_cache_entries", "Successful verifications remembered now.", func(s account.Stats) int { return s.VerifyCacheSize }},
	} {
		read := g.read
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help},
			func() float64 { return float64(read(stats())) }))
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one answered HTTP request. route is the matched path
// pattern ("" when none matched): never a raw path, which holds keys.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	method = knownMethod(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// knownMethod bounds the method label: a client may send any token.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// Authenticated implements account.Observer.
func (m *Metrics) Authenticated(outcome string) { m.auth.WithLabelValues(outcome).Inc() }

// HashWaited implements account.Observer.
func (m *Metrics) HashWaited(d time.Duration) { m.hashWait.Observe(d.Seconds()) }

// VerifyCacheLookup implements account.Observer.
func (m *Metrics) VerifyCacheLookup(hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cache.WithLabelValues(result).Inc()
}

// StoreCall implements account.Observer.
func (m *Metrics) StoreCall(op string, d time.Duration, failed bool) {
	m.dbLatency.WithLabelValues(op).Observe(d.Seconds())
	if failed {
		m.dbErrors.WithLabelValues(op).Inc()
	}
}

// MoneyMoved implements account.Observer. The float is for the metric
// only; balances never pass through one.
func (m *Metrics) MoneyMoved(kind string, amount account.Money) {
	m.moneyMoved.WithLabelValues(kind).Add(float64(amount) / account.Scale)
	m.moves.WithLabelValues(kind).Inc()
}

// MoneyRefused implements account.Observer.
func (m *Metrics) MoneyRefused(kind string) { m.refusals.WithLabelValues(kind).Inc() }

// SecretsChanged implements account.Observer.
func (m *Metrics) SecretsChanged(created, revoked int) {
	if created > 0 {
		m.secrets.WithLabelValues("created").Add(float64(created))
	}
	if revoked > 0 {
		m.secrets.WithLabelValues("revoked").Add(float64(revoked))
	}
}

// factory registers each collector it makes.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}
