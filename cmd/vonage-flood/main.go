// Command vonage-flood is a load test of the credential path: it starts the
// server in-process (SQLite in a temporary directory, OWASP's argon2id
// cost, serve's limits), floods one API key with wrong secrets from many
// goroutines and several client addresses, while the key's owner makes
// honest calls from an address of its own. It measures the owner's
// throughput and latency without the flood and with it, in the same run,
// and the process's peak memory during each phase.
//
//	go run ./cmd/vonage-flood [--duration 10s] [--attackers 64] [--attacker-addrs 4] [--json]
//
// Everything stays on the loopback interface and the run is bounded in
// time (two phases of --duration, plus set-up).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Client address modes: real loopback source addresses (127.0.0.x, the
// server sees them as RemoteAddr), or one source address with the server
// trusting 127.0.0.0/8 as a proxy and reading X-Forwarded-For.
const (
	modeSource = "source"
	modeXFF    = "xff"
)

type config struct {
	duration      time.Duration
	attackers     int
	attackerAddrs int
	honestWorkers int
	honestRate    int
	failPair      int
	failAddr      int
	hashSlots     int
	mode          string
	json          bool
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vonage-flood:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("vonage-flood", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each phase (at most 1m)")
	fs.IntVar(&cfg.attackers, "attackers", 64, "goroutines sending wrong secrets")
	fs.IntVar(&cfg.attackerAddrs, "attacker-addrs", 4, "client addresses the attackers spread over")
	fs.IntVar(&cfg.honestWorkers, "honest-workers", 2, "goroutines of the owner making honest calls, each one call at a time")
	fs.IntVar(&cfg.honestRate, "honest-rate-limit", 1_000_000, "the owner's max-calls-per-second (high, so the server is measured, not the quota)")
	fs.IntVar(&cfg.failPair, "auth-fail-limit-pair", account.DefaultAuthLimits.PerPair, "failures per (key, address) per minute; 0 turns the limit off")
	fs.IntVar(&cfg.failAddr, "auth-fail-limit-addr", account.DefaultAuthLimits.PerAddr, "failures per address per minute; 0 turns the limit off")
	fs.IntVar(&cfg.hashSlots, "hash-concurrency", 0, "argon2id hashes at once; 0 keeps the server's default")
	fs.StringVar(&cfg.mode, "mode", "", "client addresses: source (127.0.0.x source addresses) or xff (X-Forwarded-For behind a trusted proxy); default source when the system allows it")
	fs.BoolVar(&cfg.json, "json", false, "print JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.duration <= 0 || cfg.duration > time.Minute || cfg.attackers < 1 || cfg.attackerAddrs < 1 || cfg.attackerAddrs > 200 || cfg.honestWorkers < 1 {
		return errors.New("want 0 < --duration <= 1m, --attackers >= 1, 1 <= --attacker-addrs <= 200, --honest-workers >= 1")
	}
	switch cfg.mode {
	case "":
		cfg.mode = modeXFF
		if canBind() {
			cfg.mode = modeSource
		}
	case modeSource, modeXFF:
	default:
		return fmt.Errorf("--mode must be source or xff")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*cfg.duration+time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "vonage-flood-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := startServer(ctx, dir, cfg, stderr)
	if err != nil {
		return err
	}
	defer srv.close()

	rep := report{
		Mode: cfg.mode, Attackers: cfg.attackers, AttackerAddrs: cfg.attackerAddrs, HonestWorkers: cfg.honestWorkers,
		PhaseSeconds: cfg.duration.Seconds(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Argon2:        fmt.Sprintf("m=%d,t=%d,p=%d", account.DefaultHashParams.Memory, account.DefaultHashParams.Time, account.DefaultHashParams.Threads),
		FailLimitPair: cfg.failPair, FailLimitAddr: cfg.failAddr,
	}
	l := newLoad(srv, cfg)
	if err := l.warm(ctx); err != nil {
		return err
	}
	rep.Baseline = l.phase(ctx, "baseline", false)
	rep.Flood = l.phase(ctx, "flood", true)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("the run took too long: %w", err)
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// report is what a run measured.
type report struct {
	Mode          string  `json:"mode"`
	Attackers     int     `json:"attackers"`
	AttackerAddrs int     `json:"attacker_addrs"`
	HonestWorkers int     `json:"honest_workers"`
	PhaseSeconds  float64 `json:"phase_seconds"`
	GOMAXPROCS    int     `json:"gomaxprocs"`
	Argon2        string  `json:"argon2"`
	FailLimitPair int     `json:"auth_fail_limit_pair"`
	FailLimitAddr int     `json:"auth_fail_limit_addr"`
	Baseline      phase   `json:"baseline"`
	Flood         phase   `json:"flood"`
}

func (r report) print(w io.Writer) {
	addrs := "source addresses 127.0.0.x"
	if r.Mode == modeXFF {
		addrs = "X-Forwarded-For behind a trusted proxy"
	}
	fmt.Fprintf(w, "vonage-flood: one API key flooded with wrong secrets by %d goroutines from %d client addresses (%s);\n", r.Attackers, r.AttackerAddrs, addrs)
	fmt.Fprintf(w, "the owner calls from its own address with %d workers. argon2id %s, GOMAXPROCS %d, %gs per phase,\n", r.HonestWorkers, r.Argon2, r.GOMAXPROCS, r.PhaseSeconds)
	fmt.Fprintf(w, "failure limits %d per (key, address) and %d per address per minute. Memory is the whole process (server and load).\n\n", r.FailLimitPair, r.FailLimitAddr)
	b, f := r.Baseline, r.Flood
	row := func(name string, a, c any) { fmt.Fprintf(w, "%-40s %14v %14v\n", name, a, c) }
	ms := func(d float64) string { return fmt.Sprintf("%.2f", d) }
	row("", "without flood", "with flood")
	row("owner: calls", b.HonestRequests, f.HonestRequests)
	row("owner: throughput (calls/s)", fmt.Sprintf("%.0f", b.HonestPerSecond), fmt.Sprintf("%.0f", f.HonestPerSecond))
	row("owner: p50 latency (ms)", ms(b.HonestP50ms), ms(f.HonestP50ms))
	row("owner: p99 latency (ms)", ms(b.HonestP99ms), ms(f.HonestP99ms))
	row("owner: max latency (ms)", ms(b.HonestMaxMs), ms(f.HonestMaxMs))
	row("owner: answers other than 200", b.HonestFailures, f.HonestFailures)
	row("owner: refused by its call rate", b.RefusedCallRate, f.RefusedCallRate)
	row("attack: requests", "-", f.AttackRequests)
	row("attack: throughput (req/s)", "-", fmt.Sprintf("%.0f", f.AttackPerSecond))
	row("attack: 401 (secret hashed)", "-", f.Attack401)
	row("attack: 429 (refused, not hashed)", "-", f.Attack429)
	row("  by failures per (key, address)", "-", f.RefusedPair)
	row("  by failures per address", "-", f.RefusedAddr)
	row("  by the hash queue", "-", f.RefusedHashQueue)
	row("attack: 503 (in-flight cap)", "-", f.Attack503)
	row("attack: other answers or errors", "-", f.AttackOther)
	row("peak RSS, VmHWM (MiB)", fmt.Sprintf("%.1f", b.PeakRSSMiB), fmt.Sprintf("%.1f", f.PeakRSSMiB))
	row("peak Go heap in use (MiB)", fmt.Sprintf("%.1f", b.PeakHeapMiB), fmt.Sprintf("%.1f", f.PeakHeapMiB))
	row("peak goroutines", b.PeakGoroutines, f.PeakGoroutines)
}
