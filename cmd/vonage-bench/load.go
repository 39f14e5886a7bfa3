package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// allScenarios are the scenarios in the order they run.
var allScenarios = []string{"balance", "secrets", "rotation", "charges", "mix"}

// scenario is one kind of load. step makes one unit of work: one request,
// or three for a rotation cycle.
type scenario struct {
	name, description string
	step              func(wk *worker)
	// ownAccounts gives each worker accounts of its own (a rotation on one
	// account at a time), which caps the workers at the hot accounts.
	ownAccounts bool
}

func scenarioByName(name string) (scenario, bool) {
	switch name {
	case "balance":
		return scenario{name: name, description: "GET /account/get-balance, api_key and api_secret in the query, spread over the hot accounts", step: stepBalance}, true
	case "secrets":
		return scenario{name: name, description: "GET /accounts/{key}/secrets with Basic auth, spread over the hot accounts", step: stepSecrets}, true
	case "rotation":
		return scenario{name: name, description: "a rotation cycle per account: POST a secret (argon2id hash), GET the list, DELETE the new secret; latencies per request", step: stepRotation, ownAccounts: true}, true
	case "charges":
		return scenario{name: name, description: "POST /admin/accounts/{key}/charges of 0.01 with a fresh Idempotency-Key each", step: stepCharge}, true
	case "mix":
		return scenario{name: name, description: "90% balance reads, 10% charges", step: stepMix}, true
	}
	return scenario{}, false
}

// worker is one connection's loop and what it measured.
type worker struct {
	ctx      context.Context
	deadline time.Time
	id       int
	client   *http.Client
	t        *target
	f        *fleet
	rng      *rand.Rand
	runID    string
	seq      int
	cursor   int   // next hot account (shared scenarios)
	own      []int // hot accounts of its own (rotation)
	ownPos   int
	// pending are secrets created but not yet revoked, by hot account.
	pending map[int]string

	lat              []time.Duration // of successful requests
	ok, errors, shed int
	cycles           int
	statuses         map[string]int // failures by status, or "transport"
}

// next returns the next hot account of a shared scenario: each worker
// walks the hot set from its own starting point.
func (wk *worker) next() int {
	j := wk.cursor
	wk.cursor++
	if wk.cursor == len(wk.f.hot) {
		wk.cursor = 0
	}
	return j
}

// do sends req and records it; it returns the body when keep is set and
// whether the status was want.
func (wk *worker) do(req *http.Request, want int, keep bool) ([]byte, bool) {
	start := time.Now()
	res, err := wk.client.Do(req)
	if err != nil {
		wk.fail("transport")
		return nil, false
	}
	var body []byte
	if keep {
		body, err = io.ReadAll(res.Body)
	} else {
		_, err = io.Copy(io.Discard, res.Body)
	}
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		wk.fail("transport")
		return nil, false
	}
	if res.StatusCode != want {
		wk.fail(strconv.Itoa(res.StatusCode))
		if res.StatusCode == http.StatusTooManyRequests {
			// Shed: wait as told, as a well-behaved client does, rather
			// than spin on 429s that take the CPU from the work.
			wk.shed++
			wait, err := strconv.Atoi(res.Header.Get("Retry-After"))
			if err != nil || wait < 1 {
				wait = 1
			}
			wk.sleep(time.Duration(wait) * time.Second)
		}
		return body, false
	}
	wk.ok++
	wk.lat = append(wk.lat, d)
	return body, true
}

// sleep waits for d, but not beyond the leg's deadline.
func (wk *worker) sleep(d time.Duration) {
	if left := time.Until(wk.deadline); left < d {
		d = left
	}
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wk.ctx.Done():
	}
}

func (wk *worker) fail(what string) {
	wk.errors++
	wk.statuses[what]++
}

func (wk *worker) request(method, u, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(wk.ctx, method, u, r)
	if err != nil {
		panic(err) // the URLs are built here and always valid
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func stepBalance(wk *worker) {
	j := wk.next()
	wk.do(wk.request(http.MethodGet, wk.t.url+"/account/get-balance?"+wk.f.query[j], ""), http.StatusOK, false)
}

func stepSecrets(wk *worker) {
	j := wk.next()
	key, secret := wk.f.hotKey(j)
	req := wk.request(http.MethodGet, wk.t.url+"/accounts/"+key+"/secrets", "")
	req.SetBasicAuth(key, secret)
	wk.do(req, http.StatusOK, false)
}

// rotatedSecret is the secret every rotation adds (and revokes).
const rotatedSecret = `{"secret":"Rot4tedBenchSecret"}`

func stepRotation(wk *worker) {
	j := wk.own[wk.ownPos%len(wk.own)]
	wk.ownPos++
	key, secret := wk.f.hotKey(j)
	base := wk.t.url + "/accounts/" + key + "/secrets"
	authed := func(method, u, body string) *http.Request {
		req := wk.request(method, u, body)
		req.SetBasicAuth(key, secret)
		return req
	}
	if id, ok := wk.pending[j]; ok { // a revoke that failed last time
		if _, ok := wk.do(authed(http.MethodDelete, base+"/"+id, ""), http.StatusNoContent, false); !ok {
			return
		}
		delete(wk.pending, j)
	}
	body, ok := wk.do(authed(http.MethodPost, base, rotatedSecret), http.StatusCreated, true)
	if !ok {
		return
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		wk.fail("bad body")
		return
	}
	_, listed := wk.do(authed(http.MethodGet, base, ""), http.StatusOK, false)
	if _, ok := wk.do(authed(http.MethodDelete, base+"/"+created.ID, ""), http.StatusNoContent, false); !ok {
		wk.pending[j] = created.ID
		return
	}
	if listed {
		wk.cycles++
	}
}

// chargeBody is every charge: 0.01 EUR.
const chargeBody = `{"amount":"0.01","reference":"bench"}`

func stepCharge(wk *worker) {
	j := wk.next()
	key, _ := wk.f.hotKey(j)
	req := wk.request(http.MethodPost, wk.t.url+"/admin/accounts/"+key+"/charges", chargeBody)
	req.Header.Set("Authorization", "Bearer "+wk.t.adminToken)
	wk.seq++
	req.Header.Set("Idempotency-Key", wk.runID+"-"+strconv.Itoa(wk.id)+"-"+strconv.Itoa(wk.seq))
	wk.do(req, http.StatusCreated, false)
}

func stepMix(wk *worker) {
	if wk.rng.IntN(10) == 0 {
		stepCharge(wk)
		return
	}
	stepBalance(wk)
}

// legResult is one leg: one side under one scenario for --duration.
type legResult struct {
	Side        string         `json:"side"`
	Round       int            `json:"round"`
	Connections int            `json:"connections"`
	Seconds     float64        `json:"seconds"`
	OK          int            `json:"ok"`
	Errors      int            `json:"errors"`
	Shed        int            `json:"shed_429"`
	Statuses    map[string]int `json:"error_statuses,omitempty"`
	Cycles      int            `json:"rotation_cycles,omitempty"`
	RPS         float64        `json:"requests_per_second"`
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
	P999ms      float64        `json:"p999_ms"`
	Maxms       float64        `json:"max_ms"`
	PeakRSSMB   float64        `json:"peak_rss_mb"`
	EndRSSMB    float64        `json:"end_rss_mb"`
	PeakSource  string         `json:"peak_rss_source"`
	LoadPID     int            `json:"load_pid"` // the load process's

	P50, P99, P999 time.Duration `json:"-"`
}

// loadSpec is what a load process needs to drive one leg: the parent
// sends it as JSON on the child's standard input.
type loadSpec struct {
	Scenario    string        `json:"scenario"`
	Side        string        `json:"side"`
	URL         string        `json:"url"`
	AdminToken  string        `json:"admin_token"`
	Round       int           `json:"round"`
	Connections int           `json:"connections"`
	Duration    time.Duration `json:"duration"`
	Accounts    int           `json:"accounts"`
	Hot         int           `json:"hot"`
	SecretPool  int           `json:"secret_pool"`
}

// loadProcessEnv set to "1" makes the bench's binary a load process: it
// reads a loadSpec on standard input, drives the leg and writes its
// legResult as JSON on standard output.
const loadProcessEnv = "VONAGE_BENCH_LOAD_PROCESS"

// loadProcessMain is the load process; it returns the exit status.
func loadProcessMain(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
	var spec loadSpec
	if err := json.NewDecoder(stdin).Decode(&spec); err != nil {
		fmt.Fprintln(stderr, "vonage-bench load process: reading the leg:", err)
		return 2
	}
	leg, err := driveLoad(ctx, spec)
	if err == nil {
		err = json.NewEncoder(stdout).Encode(leg)
	}
	if err != nil {
		fmt.Fprintln(stderr, "vonage-bench load process:", err)
		return 1
	}
	return 0
}

// runLeg measures one leg: a load process (this binary, run again as
// one) drives t while this process, where both the baseline and the
// server live, samples its resident set and, when profile is set, its
// CPU. The load thus never shares an address space or a Go scheduler with
// the side it measures; it does share the machine's CPUs, as any load
// generator on the same machine does.
func runLeg(ctx context.Context, cfg config, sc scenario, t *target, round int, profile string, rep *report) (legResult, error) {
	spec := loadSpec{Scenario: sc.name, Side: t.name, URL: t.url, AdminToken: t.adminToken, Round: round,
		Connections: cfg.connections, Duration: cfg.duration, Accounts: cfg.accounts, Hot: cfg.hot, SecretPool: cfg.secretPool}
	in, err := json.Marshal(spec)
	if err != nil {
		return legResult{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return legResult{}, fmt.Errorf("finding this binary to run the load process: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), loadProcessEnv+"=1")
	cmd.Stdin = bytes.NewReader(in)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second

	// Every leg starts from a collected heap returned to the system, so
	// its peak is its own and not the previous leg's garbage.
	debug.FreeOSMemory()
	hwmReset := resetPeakRSS()
	peakSource := "VmHWM of the server's process, reset before the leg, and VmRSS sampled every 50ms"
	if !hwmReset {
		peakSource = "VmRSS of the server's process sampled every 50ms"
	}
	var (
		sampled  int64
		stopSamp = make(chan struct{})
		sampDone = make(chan struct{})
	)
	go func() {
		defer close(sampDone)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			if rss, _, err := readRSS(); err == nil {
				sampled = max(sampled, rss)
			}
			select {
			case <-stopSamp:
				return
			case <-tk.C:
			}
		}
	}()
	stopProfile, err := startProfile(profile, sc.name, rep)
	if err != nil {
		close(stopSamp)
		<-sampDone
		return legResult{}, err
	}
	err = cmd.Run()
	stopProfile()
	close(stopSamp)
	<-sampDone
	if cerr := ctx.Err(); cerr != nil {
		return legResult{}, cerr
	}
	if err != nil {
		return legResult{}, fmt.Errorf("load process: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	var leg legResult
	if err := json.Unmarshal(out.Bytes(), &leg); err != nil {
		return legResult{}, fmt.Errorf("load process answered %q: %w", out.String(), err)
	}
	leg.P50, leg.P99, leg.P999 = fromMS(leg.P50ms), fromMS(leg.P99ms), fromMS(leg.P999ms)
	leg.PeakSource = peakSource
	rss, hwm, err := readRSS()
	if err == nil {
		leg.EndRSSMB = mb(rss)
		if hwmReset {
			sampled = max(sampled, hwm)
		}
	}
	leg.PeakRSSMB = mb(sampled)
	runtime.GC()
	return leg, nil
}

// driveLoad drives spec's target with its scenario for spec.Duration:
// each worker a goroutine looping on its own keep-alive connection until
// the deadline; requests in flight then finish and count. It runs in the
// load process.
func driveLoad(ctx context.Context, spec loadSpec) (legResult, error) {
	sc, ok := scenarioByName(spec.Scenario)
	if !ok {
		return legResult{}, fmt.Errorf("unknown scenario %q", spec.Scenario)
	}
	f, err := newFleet(config{accounts: spec.Accounts, hot: spec.Hot, secretPool: spec.SecretPool})
	if err != nil {
		return legResult{}, err
	}
	t := &target{name: spec.Side, url: spec.URL, adminToken: spec.AdminToken}
	workers := spec.Connections
	if sc.ownAccounts {
		workers = min(workers, len(f.hot))
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        workers,
		MaxIdleConnsPerHost: workers,
		MaxConnsPerHost:     workers,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: server.DefaultConfig().RequestTimeout} // what the server allows a request

	runID := randomHex(4)
	deadline := time.Now().Add(spec.Duration) // reset below, when the workers start
	ws := make([]*worker, workers)
	for w := range ws {
		wk := &worker{ctx: ctx, deadline: deadline, id: w, client: client, t: t, f: f, runID: runID,
			rng:      rand.New(rand.NewPCG(uint64(w), uint64(spec.Round))),
			cursor:   int(int64(w) * int64(len(f.hot)) / int64(workers)),
			pending:  map[int]string{},
			statuses: map[string]int{},
			lat:      make([]time.Duration, 0, 4096),
		}
		if sc.ownAccounts {
			for j := w; j < len(f.hot); j += workers {
				wk.own = append(wk.own, j)
			}
		}
		ws[w] = wk
	}
	start := time.Now()
	deadline = start.Add(spec.Duration)
	var wg sync.WaitGroup
	for _, wk := range ws {
		wk.deadline = deadline
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				sc.step(wk)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return legResult{}, err
	}

	leg := legResult{Side: t.name, Round: spec.Round, Connections: workers, Seconds: elapsed.Seconds(),
		Statuses: map[string]int{}, LoadPID: os.Getpid()}
	var lat []time.Duration
	for _, wk := range ws {
		leg.OK += wk.ok
		leg.Errors += wk.errors
		leg.Shed += wk.shed
		leg.Cycles += wk.cycles
		for k, v := range wk.statuses {
			leg.Statuses[k] += v
		}
		lat = append(lat, wk.lat...)
	}
	slices.Sort(lat)
	leg.RPS = float64(leg.OK) / elapsed.Seconds()
	leg.P50, leg.P99, leg.P999 = quantile(lat, 0.50), quantile(lat, 0.99), quantile(lat, 0.999)
	leg.P50ms, leg.P99ms, leg.P999ms = ms(leg.P50), ms(leg.P99), ms(leg.P999)
	if len(lat) > 0 {
		leg.Maxms = ms(lat[len(lat)-1])
	}
	if len(leg.Statuses) == 0 {
		leg.Statuses = nil
	}
	return leg, nil
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func fromMS(v float64) time.Duration {
	return time.Duration(v * float64(time.Millisecond))
}
func mb(b int64) float64 { return float64(b) / (1 << 20) }

// scenarioResult is a scenario's legs and their comparison.
type scenarioResult struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Legs        []legResult `json:"legs"`
	// Baseline and Server are each side's medians over the rounds.
	Baseline *sideSummary `json:"baseline"`
	Server   *sideSummary `json:"server"`
	// Ratio is the server's requests/s over the baseline's of the same
	// round; P99Ratio the server's p99 over the baseline's: median, min
	// and max over the rounds.
	Ratio    spread `json:"throughput_ratio"`
	P99Ratio spread `json:"p99_ratio"`
}

// sideSummary is one side's legs of a scenario: the median of each
// figure over the rounds, and the highest peak RSS.
type sideSummary struct {
	Side      string         `json:"side"`
	RPS       float64        `json:"median_requests_per_second"`
	P50       time.Duration  `json:"-"`
	P99       time.Duration  `json:"-"`
	P999      time.Duration  `json:"-"`
	P50ms     float64        `json:"median_p50_ms"`
	P99ms     float64        `json:"median_p99_ms"`
	P999ms    float64        `json:"median_p999_ms"`
	Errors    int            `json:"errors"`
	Statuses  map[string]int `json:"error_statuses,omitempty"`
	Cycles    int            `json:"rotation_cycles,omitempty"`
	Seconds   float64        `json:"seconds"`
	PeakRSSMB float64        `json:"peak_rss_mb"`
}

// spread is the median, min and max of a figure over the rounds.
type spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func spreadOf(v []float64) spread {
	if len(v) == 0 {
		return spread{}
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return spread{Median: median(v), Min: v[0], Max: v[len(v)-1]}
}

// median of sorted values: the middle one, or the mean of the two middle
// ones.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// summarize takes each side's medians and compares the sides round by
// round: a round's baseline and server legs run back to back, so what
// else runs on the machine weighs on both alike; the median of the
// rounds' ratios is the result, their min and max its spread.
func (r *scenarioResult) summarize() {
	base := map[int]*legResult{}
	var ratios, p99s []float64
	for i := range r.Legs {
		if leg := &r.Legs[i]; leg.Side != "server" {
			base[leg.Round] = leg
		}
	}
	for i := range r.Legs {
		leg := &r.Legs[i]
		b := base[leg.Round]
		if leg.Side != "server" || b == nil || b.RPS <= 0 {
			continue
		}
		ratios = append(ratios, leg.RPS/b.RPS)
		if b.P99 > 0 {
			p99s = append(p99s, float64(leg.P99)/float64(b.P99))
		}
	}
	r.Ratio, r.P99Ratio = spreadOf(ratios), spreadOf(p99s)
	r.Baseline, r.Server = summarizeSide(r.Legs, "baseline"), summarizeSide(r.Legs, "server")
}

func summarizeSide(legs []legResult, side string) *sideSummary {
	var rps, p50, p99, p999, secs []float64
	s := &sideSummary{Side: side, Statuses: map[string]int{}}
	for _, leg := range legs {
		if leg.Side != side {
			continue
		}
		rps, secs = append(rps, leg.RPS), append(secs, leg.Seconds)
		p50, p99, p999 = append(p50, float64(leg.P50)), append(p99, float64(leg.P99)), append(p999, float64(leg.P999))
		s.Errors += leg.Errors
		s.Cycles += leg.Cycles
		for k, v := range leg.Statuses {
			s.Statuses[k] += v
		}
		s.PeakRSSMB = max(s.PeakRSSMB, leg.PeakRSSMB)
	}
	if len(rps) == 0 {
		return nil
	}
	s.RPS = spreadOf(rps).Median
	s.P50, s.P99, s.P999 = time.Duration(spreadOf(p50).Median), time.Duration(spreadOf(p99).Median), time.Duration(spreadOf(p999).Median)
	s.P50ms, s.P99ms, s.P999ms = ms(s.P50), ms(s.P99), ms(s.P999)
	for _, v := range secs {
		s.Seconds += v
	}
	if len(s.Statuses) == 0 {
		s.Statuses = nil
	}
	return s
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Second).String()
}
