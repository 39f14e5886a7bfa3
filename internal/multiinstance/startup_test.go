package multiinstance_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestConcurrentStartup: two instances starting at the same moment on an
// empty schema, with the same bootstrap account, both come up and are
// ready; every migration is applied exactly once and exactly one account
// exists, which both instances serve (contract section 7).
func TestConcurrentStartup(t *testing.T) {
	t.Parallel()
	const (
		rounds    = 5
		bootKey   = "bootstrap01"
		bootValue = "Bootstrap1Secret"
	)
	versions := migrationVersions(t)
	c := newHTTPClient(t)
	var (
		creators [2]int
		slowest  time.Duration
	)
	start := time.Now()
	for round := range rounds {
		schema := newSchema(t)
		log := errorLog(t)
		var (
			ins     [2]*instance
			created [2]bool
			took    [2]time.Duration
			errs    [2]error
			gate    = make(chan struct{})
			wg      sync.WaitGroup
		)
		for i, name := range []string{"A", "B"} {
			wg.Go(func() {
				<-gate
				began := time.Now()
				// What `vonage serve` does: open (and migrate), bootstrap,
				// serve.
				ins[i], errs[i] = startInstance(t.Context(), t, schema, name, log)
				if errs[i] == nil {
					created[i], _, _, errs[i] = ins[i].svc.Bootstrap(t.Context(), bootKey, bootValue)
				}
				took[i] = time.Since(began)
			})
		}
		close(gate)
		wg.Wait()
		for i, in := range ins {
			if in != nil {
				t.Cleanup(in.close)
			}
			if errs[i] != nil {
				t.Fatalf("round %d: instance %d: %v", round, i, errs[i])
			}
			slowest = max(slowest, took[i])
		}

		for _, in := range ins {
			if a, err := in.send(c, call{method: "GET", path: "/readyz"}); err != nil || a.status != 200 {
				t.Errorf("round %d: /readyz on %s: %s %v", round, in.name, a, err)
			}
			if a, err := getBalance(c, in, bootKey, bootValue); err != nil || a.status != 200 {
				t.Errorf("round %d: E1 with the bootstrap account on %s: %s %v", round, in.name, a, err)
			}
		}
		switch {
		case created[0] && !created[1]:
			creators[0]++
		case created[1] && !created[0]:
			creators[1]++
		default:
			t.Errorf("round %d: Bootstrap reported created %v, want exactly one true", round, created)
		}

		db := raw(t, schema)
		rows, err := db.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(applied, versions) {
			t.Errorf("round %d: schema_migrations has versions %v, want each of %v once", round, applied, versions)
		}
		rows, err = db.Query(t.Context(), `SELECT api_key FROM accounts`)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(keys, []string{bootKey}) {
			t.Errorf("round %d: accounts %v, want exactly [%s]", round, keys, bootKey)
		}
		var secrets int
		if err := db.QueryRow(t.Context(), `SELECT count(*) FROM secrets`).Scan(&secrets); err != nil {
			t.Fatal(err)
		}
		if secrets != 1 {
			t.Errorf("round %d: %d secrets, want 1", round, secrets)
		}

		// Close this round's instances now rather than at the end, so the
		// rounds do not add up connections.
		for _, in := range ins {
			in.close()
		}
		db.Close(context.Background())
	}
	t.Logf("%d rounds in %s, each on a fresh schema: both instances up and /readyz 200 (slowest start %s), schema_migrations with each of the %d versions once, exactly 1 account (created by A's bootstrap in %d rounds, B's in %d) that both instances serve",
		rounds, time.Since(start).Round(time.Millisecond), slowest.Round(time.Millisecond), len(versions), creators[0], creators[1])
}

// migrationVersions returns the versions of the migrations the postgres
// package embeds, read from its source directory.
func migrationVersions(t *testing.T) []int {
	t.Helper()
	files, err := filepath.Glob("../postgres/migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v, %v", files, err)
	}
	var vs []int
	for _, f := range files {
		num, _, _ := strings.Cut(filepath.Base(f), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}
