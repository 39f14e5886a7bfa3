package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.accounts != 1000 || cfg.hot != 1000 || cfg.connections != 64 || cfg.duration != 4*time.Second ||
		cfg.rounds != 2 || strings.Join(cfg.scenarios, ",") != strings.Join(allScenarios, ",") ||
		cfg.hashCost.params != account.DefaultHashParams || cfg.db != "" {
		t.Errorf("defaults: %+v", cfg)
	}
	// The whole default run must fit in three minutes: the legs take
	// scenarios × rounds × 2 × duration, and warming 1000 argon2id
	// verifications on 2 CPUs takes about 20 s more.
	legs := time.Duration(len(cfg.scenarios)*cfg.rounds*2) * cfg.duration
	if legs > 110*time.Second {
		t.Errorf("the default legs take %v", legs)
	}

	cfg, err = parseFlags([]string{"--accounts", "1000000", "--scenarios", "balance, mix"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.hot != verifyCacheSize || strings.Join(cfg.scenarios, ",") != "balance,mix" {
		t.Errorf("hot %d, scenarios %q", cfg.hot, cfg.scenarios)
	}
	for _, bad := range [][]string{
		{"--accounts", "0"},
		{"--connections", "0"},
		{"--duration", "0s"},
		{"--rounds", "0"},
		{"--scenarios", "balance,nope"},
		{"--scenarios", ","},
		{"extra"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// smallConfig is a run of a few accounts and short legs, with a cheap
// hash so that the race detector's slowness does not matter.
func smallConfig(db string) config {
	return config{
		accounts:    40,
		hot:         40,
		connections: 4,
		duration:    200 * time.Millisecond,
		rounds:      1,
		scenarios:   allScenarios,
		db:          db,
		secretPool:  3,
		importBatch: 7, // several import requests
		hashCost:    hashCost{account.TestHashParams},
	}
}

func checkReport(t *testing.T, rep *report, cfg config) {
	t.Helper()
	if rep.Provisioning.Imported+rep.Provisioning.Skipped != cfg.accounts || rep.Warmup.Calls != cfg.hot {
		t.Errorf("provisioning %+v, warm-up %+v", rep.Provisioning, rep.Warmup)
	}
	if len(rep.Scenarios) != len(cfg.scenarios) {
		t.Fatalf("%d scenarios", len(rep.Scenarios))
	}
	for _, sc := range rep.Scenarios {
		if len(sc.Legs) != 2*cfg.rounds || sc.Baseline == nil || sc.Server == nil {
			t.Errorf("%s: %d legs, best %v %v", sc.Name, len(sc.Legs), sc.Baseline, sc.Server)
			continue
		}
		for _, leg := range sc.Legs {
			if leg.OK == 0 || leg.Errors != 0 || leg.RPS <= 0 || leg.P50 <= 0 || leg.P99 < leg.P50 || leg.PeakRSSMB <= 0 {
				t.Errorf("%s %s: %+v", sc.Name, leg.Side, leg)
			}
		}
		if sc.Ratio <= 0 || sc.P99Ratio <= 0 {
			t.Errorf("%s: ratios %v %v", sc.Name, sc.Ratio, sc.P99Ratio)
		}
		if sc.Name == "rotation" && sc.Server.Cycles == 0 {
			t.Errorf("rotation: no complete cycle")
		}
	}
}

// TestRunSQLite runs every scenario on a small SQLite database, twice on
// the same file: the second import skips every account, and the secrets
// still work.
func TestRunSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bench.db")
	cfg := smallConfig(db)
	var progress bytes.Buffer
	rep, err := run(context.Background(), cfg, &progress)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	checkReport(t, rep, cfg)
	if rep.Provisioning.Imported != cfg.accounts || rep.Provisioning.Requests != 6 {
		t.Errorf("provisioning %+v", rep.Provisioning)
	}

	cfg.scenarios = []string{"balance"}
	rep, err = run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	checkReport(t, rep, cfg)
	if rep.Provisioning.Skipped != cfg.accounts || rep.Provisioning.Imported != 0 {
		t.Errorf("second provisioning %+v", rep.Provisioning)
	}
	// A larger fleet on the same file imports the new accounts and
	// skips the others.
	cfg.accounts, cfg.hot = 50, 50
	rep, err = run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	checkReport(t, rep, cfg)
	if rep.Provisioning.Skipped != 40 || rep.Provisioning.Imported != 10 {
		t.Errorf("third provisioning %+v", rep.Provisioning)
	}

	var out bytes.Buffer
	printTable(&out, rep)
	for _, want := range []string{"balance", "baseline", "server", "x req/s", "SQLite"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Error(err)
	}
}

// TestRunTempDir: without --db the database lives in a temporary
// directory, removed at the end.
func TestRunTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg := smallConfig("")
	cfg.scenarios = []string{"mix"}
	cfg.accounts, cfg.hot = 10, 5
	rep, err := run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, cfg)
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestRunPostgres(t *testing.T) {
	url := os.Getenv("VONAGE_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("VONAGE_TEST_POSTGRES_URL is not set")
	}
	cfg := smallConfig(url)
	cfg.scenarios = []string{"balance", "rotation", "charges"}
	rep, err := run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, cfg)
	if !strings.HasPrefix(rep.Config.Store, "PostgreSQL") {
		t.Errorf("store %q", rep.Config.Store)
	}
}
