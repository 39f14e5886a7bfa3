package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// fleet is the bench's accounts: key i is benchNNNNNNNN, its secret the
// pool's secret i mod len(pool). Hashing one secret costs tens of
// milliseconds at the server's cost, so each distinct secret is hashed
// once and its hash shared by every account using it; the accounts are
// still distinct rows, each verified on its own (the verification cache is
// keyed by key and secret). The secrets are fixed strings, so a kept
// database can be measured again.
type fleet struct {
	accounts int
	pool     []string
	hashes   []string // of pool, filled by provision
	hot      []int    // the accounts the load is spread over, evenly across all
	// query[j] is "api_key=...&api_secret=..." of hot[j], ready for E1;
	// keys[j] and secrets[j] its key and secret.
	query, keys, secrets []string
}

func newFleet(cfg config) (*fleet, error) {
	f := &fleet{accounts: cfg.accounts}
	for j := range cfg.secretPool {
		s := fmt.Sprintf("BenchPool%04dSecret", j)
		if err := account.ValidateSecret(s); err != nil {
			return nil, err
		}
		f.pool = append(f.pool, s)
	}
	f.hot = make([]int, cfg.hot)
	f.query = make([]string, cfg.hot)
	f.keys = make([]string, cfg.hot)
	f.secrets = make([]string, cfg.hot)
	for j := range f.hot {
		i := int(int64(j) * int64(cfg.accounts) / int64(cfg.hot))
		f.hot[j], f.keys[j], f.secrets[j] = i, f.key(i), f.secret(i)
		f.query[j] = url.Values{"api_key": {f.keys[j]}, "api_secret": {f.secrets[j]}}.Encode()
	}
	return f, nil
}

func (f *fleet) key(i int) string    { return fmt.Sprintf("bench%08d", i) }
func (f *fleet) secret(i int) string { return f.pool[i%len(f.pool)] }

// hotKey returns the key and secret of hot account j.
func (f *fleet) hotKey(j int) (string, string) { return f.keys[j], f.secrets[j] }

// provisioning is how the accounts were created.
type provisioning struct {
	Accounts    int     `json:"accounts"`
	Imported    int     `json:"imported"`
	Skipped     int     `json:"skipped"`
	Requests    int     `json:"requests"`
	Seconds     float64 `json:"seconds"`
	Rate        float64 `json:"accounts_per_second"`
	HashSeconds float64 `json:"pool_hash_seconds"`
	Method      string  `json:"method"`
}

// maxImportBody bounds an import request's body 4 KiB below the body
// limit of the server vonage serve runs.
var maxImportBody = int(server.DefaultConfig().MaxBodyBytes) - 4<<10

// benchCallsPerSecond is every account's max-calls-per-second: the
// server checks it on every call (vonage serve enforces it), but the bench
// measures capacity, not the quota, so no account ever reaches it.
const benchCallsPerSecond = 1_000_000

// benchBalance is every account's opening balance: enough for every
// charge a run can make.
const benchBalance = "1000000.00"

// provision hashes the pool and imports every account through POST
// /admin/import, at most importBatch lines and maxImportBody
// bytes per request, with two requests in flight so that building and
// parsing overlap the database's writes.
func provision(ctx context.Context, cfg config, srv *benchServer, f *fleet, prog *progress) (provisioning, error) {
	p := provisioning{Accounts: cfg.accounts,
		Method: "POST /admin/import, JSON lines with secret_hash, at most " + strconv.Itoa(cfg.importBatch) + " lines per request"}
	start := time.Now()
	// A kept database (--db FILE) that holds the accounts already (its
	// first, middle and last) is used as it is: the secrets are the same
	// every run. (Counting a million rows would take longer and fill the
	// database's page cache.)
	store := srv.store
	held := true
	for _, i := range []int{0, cfg.accounts / 2, cfg.accounts - 1} {
		if _, err := store.Account(ctx, f.key(i)); err != nil {
			held = false
			break
		}
	}
	if held {
		p.Method = "none: the database already holds the accounts"
		p.Skipped = cfg.accounts
		p.Seconds = time.Since(start).Seconds()
		return p, nil
	}
	f.hashes = make([]string, len(f.pool))
	var wg sync.WaitGroup
	errs := make([]error, len(f.pool))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for j, s := range f.pool {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f.hashes[j], errs[j] = account.HashSecret(s, cfg.hashCost.params)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return p, err
		}
	}
	p.HashSeconds = time.Since(start).Seconds()

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	admin := adminapi.New(srv.url, srv.adminToken, adminapi.WithHTTPClient(client))
	bodies := make(chan []byte, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(bodies)
		var b bytes.Buffer
		lines := 0
		send := func() bool {
			select {
			case bodies <- bytes.Clone(b.Bytes()):
			case <-ctx.Done():
				return false
			}
			b.Reset()
			lines = 0
			return true
		}
		var line []byte
		for i := range cfg.accounts {
			line = fmt.Appendf(line[:0], `{"api_key":%q,"secret_hash":%q,"balance":%q,"limits":{"max-calls-per-second":%d}}`+"\n",
				f.key(i), f.hashes[i%len(f.hashes)], benchBalance, benchCallsPerSecond)
			if lines == cfg.importBatch || b.Len()+len(line) > maxImportBody {
				if !send() {
					return
				}
			}
			b.Write(line)
			lines++
		}
		if lines > 0 {
			send()
		}
	}()
	var (
		done, imported, skipped, requests atomic.Int64
		mu                                sync.Mutex
		firstErr                          error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	stopProgress := prog.start("provisioning", int64(cfg.accounts), &done, "accounts")
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range bodies {
				sum, err := admin.Import(ctx, bytes.NewReader(body))
				if err != nil {
					fail(fmt.Errorf("import: %w", err))
					return
				}
				if sum.Failed > 0 {
					msg := ""
					if len(sum.Errors) > 0 {
						msg = fmt.Sprintf(": line %d: %s", sum.Errors[0].Line, sum.Errors[0].Message)
					}
					fail(fmt.Errorf("the import refused %d lines%s", sum.Failed, msg))
					return
				}
				requests.Add(1)
				imported.Add(int64(sum.Imported))
				skipped.Add(int64(sum.Skipped))
				done.Add(int64(sum.Imported + sum.Skipped))
			}
		}()
	}
	wg.Wait()
	stopProgress()
	if firstErr != nil {
		return p, firstErr
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	p.Imported, p.Skipped, p.Requests = int(imported.Load()), int(skipped.Load()), int(requests.Load())
	if p.Imported+p.Skipped != cfg.accounts {
		return p, fmt.Errorf("the import answered for %d accounts, want %d", p.Imported+p.Skipped, cfg.accounts)
	}
	p.Seconds = time.Since(start).Seconds()
	p.Rate = float64(cfg.accounts) / p.Seconds
	return p, nil
}

// warmup is the cache warm-up.
type warmup struct {
	Calls   int     `json:"calls"`
	Seconds float64 `json:"seconds"`
}

// warm makes one authenticated balance call per hot account, so the legs
// measure the server's steady state (each first call verifies argon2id,
// tens of milliseconds of CPU), a few at a time: the server's hashing
// slots are GOMAXPROCS.
func warm(ctx context.Context, cfg config, srv *benchServer, f *fleet, prog *progress) (warmup, error) {
	start := time.Now()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		mu         sync.Mutex
		firstErr   error
	)
	stopProgress := prog.start("warming", int64(len(f.hot)), &done, "accounts")
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j := int(next.Add(1) - 1)
				if j >= len(f.hot) || ctx.Err() != nil {
					return
				}
				if err := warmOne(ctx, client, srv.url+"/account/get-balance?"+f.query[j]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", f.key(f.hot[j]), err)
					}
					mu.Unlock()
					cancel()
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	stopProgress()
	if firstErr != nil {
		return warmup{}, firstErr
	}
	return warmup{Calls: len(f.hot), Seconds: time.Since(start).Seconds()}, ctx.Err()
}

// warmOne calls u until it answers 200, waiting out 429s (the server's
// hashing queue is full).
func warmOne(ctx context.Context, client *http.Client, u string) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			return nil
		case http.StatusTooManyRequests:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		default:
			return fmt.Errorf("%s: %.200s", res.Status, body)
		}
	}
}

// progress prints a line about a long step on stderr, updated in place
// on a terminal and every 5 seconds otherwise.
type progress struct {
	w   io.Writer
	tty bool
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty}
}

// start shows what of total is done until the returned function is called.
func (p *progress) start(what string, total int64, done *atomic.Int64, unit string) func() {
	begin := time.Now()
	line := func() string {
		n := done.Load()
		secs := time.Since(begin).Seconds()
		rate := float64(n) / max(secs, 1e-9)
		eta := "?"
		if rate > 0 {
			eta = time.Duration(float64(total-n) / rate * float64(time.Second)).Round(time.Second).String()
		}
		return fmt.Sprintf("%s: %d/%d %s, %.0f/s, %.0fs elapsed, ETA %s", what, n, total, unit, rate, secs, eta)
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		every := 250 * time.Millisecond
		if !p.tty {
			every = 5 * time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				if p.tty {
					fmt.Fprintf(p.w, "\r\033[K%s\n", line())
				}
				return
			case <-t.C:
				if p.tty {
					fmt.Fprintf(p.w, "\r\033[K%s", line())
				} else {
					fmt.Fprintln(p.w, line())
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
	}
}
