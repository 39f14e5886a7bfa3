package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// load drives the server: the owner's honest workers and the attackers.
type load struct {
	srv      *server
	cfg      config
	honest   *http.Client
	honestIP string
	attack   []*http.Client // one per attacker address
	attackIP []string
}

func newLoad(srv *server, cfg config) *load {
	l := &load{srv: srv, cfg: cfg}
	// Source mode: the owner is 127.0.0.2, attackers 127.0.1.10 and up (in
	// another /24: a /24 is one client to the limits). XFF mode:
	// documentation addresses, said in the header.
	l.honestIP = "127.0.0.2"
	if cfg.mode == modeXFF {
		l.honestIP = "198.51.100.2"
	}
	l.honest = client(cfg.mode, l.honestIP)
	for i := range cfg.attackerAddrs {
		ip := "127.0.1." + strconv.Itoa(10+i)
		if cfg.mode == modeXFF {
			ip = "203.0.113." + strconv.Itoa(10+i)
		}
		l.attackIP = append(l.attackIP, ip)
		l.attack = append(l.attack, client(cfg.mode, ip))
	}
	return l
}

// request is one E1 call (GET /account/get-balance, Basic credentials).
func (l *load) request(ctx context.Context, c *http.Client, ip, secret string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", l.srv.url+"/account/get-balance", nil)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(l.srv.key, secret)
	if l.cfg.mode == modeXFF {
		req.Header.Set("X-Forwarded-For", ip)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// warm makes the owner's first call, the one that hashes, so that both
// phases measure the owner's steady state (verification cache hits).
func (l *load) warm(ctx context.Context) error {
	status, err := l.request(ctx, l.honest, l.honestIP, l.srv.secret)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("the owner's first call: %d %v", status, err)
	}
	return nil
}

// phase is what one phase measured.
type phase struct {
	Name            string  `json:"name"`
	HonestRequests  int     `json:"honest_requests"`
	HonestFailures  int     `json:"honest_failures"`
	HonestPerSecond float64 `json:"honest_per_second"`
	HonestP50ms     float64 `json:"honest_p50_ms"`
	HonestP99ms     float64 `json:"honest_p99_ms"`
	HonestMaxMs     float64 `json:"honest_max_ms"`
	AttackRequests  int64   `json:"attack_requests"`
	AttackPerSecond float64 `json:"attack_per_second"`
	Attack401       int64   `json:"attack_401"`
	Attack429       int64   `json:"attack_429"`
	Attack503       int64   `json:"attack_503"`
	AttackOther     int64   `json:"attack_other"`
	// Refusals by the server's limits, from its log: failures per (key,
	// address), failures per address, the hash queue, the call rate.
	RefusedPair      int64   `json:"refused_auth_failures_pair"`
	RefusedAddr      int64   `json:"refused_auth_failures_addr"`
	RefusedHashQueue int64   `json:"refused_hash_queue"`
	RefusedCallRate  int64   `json:"refused_call_rate"`
	PeakRSSMiB       float64 `json:"peak_rss_mib"`
	PeakHeapMiB      float64 `json:"peak_heap_mib"`
	PeakGoroutines   int     `json:"peak_goroutines"`
}

// phase runs the owner's workers, and with flood the attackers, for the
// configured duration, sampling memory meanwhile.
func (l *load) phase(ctx context.Context, name string, flood bool) phase {
	p := phase{Name: name}
	runtime.GC()
	resetPeakRSS()
	l.srv.throttled.take()
	pctx, cancel := context.WithTimeout(ctx, l.cfg.duration)
	defer cancel()

	var mem memPeak
	stopMem := mem.sample(20 * time.Millisecond)

	var a401, a429, a503, aOther atomic.Int64
	var wg sync.WaitGroup
	if flood {
		for i := range l.cfg.attackers {
			c, ip := l.attack[i%len(l.attack)], l.attackIP[i%len(l.attackIP)]
			wg.Go(func() {
				for n := 0; pctx.Err() == nil; n++ {
					status, err := l.request(pctx, c, ip, "Wr0ngGuess"+strconv.Itoa(i)+"x"+strconv.Itoa(n))
					switch {
					case pctx.Err() != nil: // the phase ended mid-request
					case err != nil:
						aOther.Add(1)
					case status == http.StatusUnauthorized:
						a401.Add(1)
					case status == http.StatusTooManyRequests:
						a429.Add(1)
					case status == http.StatusServiceUnavailable:
						a503.Add(1)
					default:
						aOther.Add(1)
					}
				}
			})
		}
	}
	var mu sync.Mutex
	var latencies []time.Duration
	start := time.Now()
	for range l.cfg.honestWorkers {
		wg.Go(func() {
			var mine []time.Duration
			failures := 0
			for pctx.Err() == nil {
				t0 := time.Now()
				status, err := l.request(pctx, l.honest, l.honestIP, l.srv.secret)
				if pctx.Err() != nil {
					break
				}
				mine = append(mine, time.Since(t0))
				if err != nil || status != http.StatusOK {
					failures++
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			p.HonestFailures += failures
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	stopMem()

	p.HonestRequests = len(latencies)
	p.HonestPerSecond = float64(len(latencies)) / elapsed
	p.HonestP50ms, p.HonestP99ms, p.HonestMaxMs = quantileMs(latencies, 0.50), quantileMs(latencies, 0.99), quantileMs(latencies, 1)
	p.Attack401, p.Attack429, p.Attack503, p.AttackOther = a401.Load(), a429.Load(), a503.Load(), aOther.Load()
	p.AttackRequests = p.Attack401 + p.Attack429 + p.Attack503 + p.AttackOther
	p.AttackPerSecond = float64(p.AttackRequests) / elapsed
	refused := l.srv.throttled.take()
	p.RefusedPair, p.RefusedAddr = refused[account.LimitFailuresPair], refused[account.LimitFailuresAddr]
	p.RefusedHashQueue, p.RefusedCallRate = refused[account.LimitHashQueue], refused[account.LimitCallRate]
	p.PeakRSSMiB = max(mem.rss(), peakRSS()) / (1 << 20)
	p.PeakHeapMiB = mem.heap() / (1 << 20)
	p.PeakGoroutines = mem.goroutines()
	return p
}

func quantileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	i = min(max(i, 0), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}

// memPeak samples the Go heap, the goroutine count and the resident set
// size, keeping the peaks.
type memPeak struct {
	mu                sync.Mutex
	peakHeap, peakRSS float64
	peakGoroutines    int
}

func (m *memPeak) sample(every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			rss := statusKiB("VmRSS") * 1024
			m.mu.Lock()
			m.peakHeap = max(m.peakHeap, float64(ms.HeapInuse))
			m.peakRSS = max(m.peakRSS, rss)
			m.peakGoroutines = max(m.peakGoroutines, runtime.NumGoroutine())
			m.mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (m *memPeak) heap() float64   { m.mu.Lock(); defer m.mu.Unlock(); return m.peakHeap }
func (m *memPeak) rss() float64    { m.mu.Lock(); defer m.mu.Unlock(); return m.peakRSS }
func (m *memPeak) goroutines() int { m.mu.Lock(); defer m.mu.Unlock(); return m.peakGoroutines }

// resetPeakRSS resets VmHWM (Linux: writing 5 to /proc/self/clear_refs), so
// each phase reports its own peak; elsewhere it does nothing.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is VmHWM in bytes, 0 where /proc is missing.
func peakRSS() float64 { return statusKiB("VmHWM") * 1024 }

// statusKiB reads one "Name:   1234 kB" line of /proc/self/status.
func statusKiB(name string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return n
		}
	}
	return 0
}
