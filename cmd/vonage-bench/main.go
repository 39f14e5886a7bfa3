// Command vonage-bench measures the Account API server against a baseline,
// in one process, on loopback only.
//
//	go run ./cmd/vonage-bench                      # SQLite in a temporary directory
//	go run ./cmd/vonage-bench --db postgres://...  # PostgreSQL, in a fresh schema
//
// It starts the real server in-process (internal/server's
// DefaultConfig, the settings of vonage serve, with
// account.DefaultHashParams), provisions --accounts accounts through the bulk import
// (POST /admin/import, JSON lines with precomputed secret hashes),
// warms the verification cache with one authenticated call per account of
// the hot set, and then drives each scenario with --connections concurrent
// keep-alive connections for --duration, against a baseline and the
// server in turn: baseline, server, baseline, server (--rounds). The
// baseline is a minimal net/http server answering the same routes with a
// fixed body: no authentication, no storage. The load generator runs in the
// same process and shares the CPUs with whichever server is measured, the
// same for both, so the ratio server/baseline is what to read; the
// absolute numbers depend on the machine and on what else runs on it.
//
// Every scenario reports the best of its rounds for each side (the highest
// requests per second, and that leg's latencies), so that a leg slowed by
// a neighbour on a shared machine does not decide the result; --json prints
// every leg.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// config is everything a run needs, from the flags.
type config struct {
	accounts    int
	hot         int
	connections int
	duration    time.Duration
	rounds      int
	scenarios   []string
	db          string
	json        bool
	cpuProfile  string
	secretPool  int
	importBatch int
	keepDB      bool
	// hashCost is the argon2id cost of the server and of the pool's
	// hashes; only tests lower it.
	hashCost hashCost
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vonage-bench:", err)
		os.Exit(2)
	}
	rep, err := run(ctx, cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vonage-bench:", err)
		os.Exit(1)
	}
	if cfg.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(os.Stderr, "vonage-bench:", err)
			os.Exit(1)
		}
		return
	}
	printTable(os.Stdout, rep)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{hashCost: defaultHashCost()}
	fs := flag.NewFlagSet("vonage-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./cmd/vonage-bench [flags]")
		fmt.Fprintln(stderr, "\nMeasures the server in-process against a minimal net/http baseline, on loopback.")
		fmt.Fprintln(stderr, "Scenarios: "+strings.Join(allScenarios, ", ")+".")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	var scenarios string
	fs.IntVar(&cfg.accounts, "accounts", 1000, "accounts to provision through the bulk import")
	fs.IntVar(&cfg.hot, "hot", 0, "accounts the load is spread over; 0 means all of them, at most the server's verification cache (10000)")
	fs.IntVar(&cfg.connections, "connections", 64, "concurrent connections (one goroutine each)")
	fs.DurationVar(&cfg.duration, "duration", 4*time.Second, "length of each leg")
	fs.IntVar(&cfg.rounds, "rounds", 2, "rounds of (baseline, server) per scenario; the best of each side is reported")
	fs.StringVar(&scenarios, "scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run")
	fs.StringVar(&cfg.db, "db", "", "SQLite file, or a postgres:// URL (the bench works in a fresh schema and drops it); empty: SQLite in a temporary directory")
	fs.BoolVar(&cfg.json, "json", false, "print the report as JSON")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write CPU profiles of the provisioning and of each scenario's first server leg to `PREFIX`.provision.pprof and PREFIX.<scenario>.pprof")
	fs.IntVar(&cfg.secretPool, "secret-pool", 16, "distinct secrets shared by the accounts (each is hashed once)")
	fs.IntVar(&cfg.importBatch, "import-batch", 400, "at most this many import lines per request (and at most 4 KiB under the server's body limit)")
	fs.BoolVar(&cfg.keepDB, "keep-db", false, "keep the temporary SQLite directory or the PostgreSQL schema")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, name := range strings.Split(scenarios, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := scenarioByName(name); !ok {
			return cfg, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(allScenarios, ", "))
		}
		cfg.scenarios = append(cfg.scenarios, name)
	}
	switch {
	case cfg.accounts < 1 || cfg.accounts > 100_000_000:
		return cfg, fmt.Errorf("--accounts must be from 1 to 100000000")
	case cfg.connections < 1 || cfg.connections > 10_000:
		return cfg, fmt.Errorf("--connections must be from 1 to 10000")
	case cfg.duration <= 0 || cfg.duration > 10*time.Minute:
		return cfg, fmt.Errorf("--duration must be positive and at most 10m")
	case cfg.rounds < 1 || cfg.rounds > 20:
		return cfg, fmt.Errorf("--rounds must be from 1 to 20")
	case cfg.secretPool < 1 || cfg.secretPool > 10_000:
		return cfg, fmt.Errorf("--secret-pool must be from 1 to 10000")
	case cfg.importBatch < 1 || cfg.importBatch > 100_000:
		return cfg, fmt.Errorf("--import-batch must be from 1 to 100000")
	case len(cfg.scenarios) == 0:
		return cfg, fmt.Errorf("no scenario selected")
	}
	if cfg.hot <= 0 {
		cfg.hot = min(cfg.accounts, verifyCacheSize)
	}
	cfg.hot = min(cfg.hot, cfg.accounts)
	return cfg, nil
}

// verifyCacheSize is the server's default verification cache size
// (account.NewService): a hot set beyond it would measure argon2id, not the
// server.
const verifyCacheSize = 10_000

// report is what a run found.
type report struct {
	Machine      machine          `json:"machine"`
	Config       reportConfig     `json:"config"`
	Provisioning provisioning     `json:"provisioning"`
	Warmup       warmup           `json:"warmup"`
	Scenarios    []scenarioResult `json:"scenarios"`
	Profiles     []string         `json:"profiles,omitempty"`
	Elapsed      float64          `json:"elapsed_seconds"`
}

type machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	CPUModel   string `json:"cpu_model,omitempty"`
}

type reportConfig struct {
	Store       string  `json:"store"`
	Accounts    int     `json:"accounts"`
	Hot         int     `json:"hot_accounts"`
	Connections int     `json:"connections"`
	Duration    float64 `json:"duration_seconds"`
	Rounds      int     `json:"rounds"`
	SecretPool  int     `json:"secret_pool"`
	HashParams  string  `json:"hash_params"`
	Pick        string  `json:"pick"`
}

// run provisions, warms up and measures; progress goes to stderr.
func run(ctx context.Context, cfg config, stderr io.Writer) (*report, error) {
	start := time.Now()
	rep := &report{
		Machine: machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
			OS: runtime.GOOS + "/" + runtime.GOARCH, CPUModel: cpuModel()},
		Config: reportConfig{Accounts: cfg.accounts, Hot: cfg.hot, Connections: cfg.connections,
			Duration: cfg.duration.Seconds(), Rounds: cfg.rounds, SecretPool: cfg.secretPool,
			HashParams: cfg.hashCost.String(), Pick: "best of the rounds by requests/s, for each side"},
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }

	srv, err := startServer(ctx, cfg, logf)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	rep.Config.Store = srv.storeName
	base, err := startBaseline()
	if err != nil {
		return nil, err
	}
	defer base.close()

	fleet, err := newFleet(cfg)
	if err != nil {
		return nil, err
	}
	stopProfile, err := startProfile(cfg.cpuProfile, "provision", rep)
	if err != nil {
		return nil, err
	}
	rep.Provisioning, err = provision(ctx, cfg, srv, fleet, newProgress(stderr))
	stopProfile()
	if err != nil {
		return nil, fmt.Errorf("provisioning: %w", err)
	}
	if rep.Provisioning.Rate > 0 {
		logf("provisioned %d accounts in %.1fs (%.0f accounts/s; hashing the %d pool secrets took %.1fs)",
			cfg.accounts, rep.Provisioning.Seconds, rep.Provisioning.Rate, cfg.secretPool, rep.Provisioning.HashSeconds)
	} else {
		logf("the database already holds the %d accounts", cfg.accounts)
	}
	rep.Warmup, err = warm(ctx, cfg, srv, fleet, newProgress(stderr))
	if err != nil {
		return nil, fmt.Errorf("warming the verification cache: %w", err)
	}
	logf("warmed the verification cache with %d authenticated calls in %.1fs", rep.Warmup.Calls, rep.Warmup.Seconds)

	for _, name := range cfg.scenarios {
		sc, _ := scenarioByName(name)
		res := scenarioResult{Name: sc.name, Description: sc.description}
		for round := 1; round <= cfg.rounds; round++ {
			for _, side := range []*target{base.target(), srv.target()} {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				profile := ""
				if round == 1 && side.server {
					profile = cfg.cpuProfile
				}
				leg, err := runLeg(ctx, cfg, sc, side, fleet, round, profile, rep)
				if err != nil {
					return nil, fmt.Errorf("%s, %s, round %d: %w", sc.name, side.name, round, err)
				}
				logf("%-9s %-8s round %d: %9.0f req/s  p50 %-8s p99 %-8s errors %d  peak RSS %.0f MB",
					sc.name, side.name, round, leg.RPS, fmtDur(leg.P50), fmtDur(leg.P99), leg.Errors, leg.PeakRSSMB)
				res.Legs = append(res.Legs, leg)
			}
		}
		res.summarize()
		rep.Scenarios = append(rep.Scenarios, res)
	}
	rep.Elapsed = time.Since(start).Seconds()
	return rep, nil
}

// startProfile starts a CPU profile to prefix.name.pprof, when prefix is
// set, and returns the function that stops it.
func startProfile(prefix, name string, rep *report) (func(), error) {
	if prefix == "" {
		return func() {}, nil
	}
	path := prefix + "." + name + ".pprof"
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	rep.Profiles = append(rep.Profiles, path)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
