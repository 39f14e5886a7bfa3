//go:build unix

package e2e_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/moneytest"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// buildVonage builds cmd/vonage into a temporary directory.
func buildVonage(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build cmd/vonage: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "vonage")
	out, err := exec.Command(goTool, "build", "-o", bin, "../../cmd/vonage").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ../../cmd/vonage: %v\n%s", err, out)
	}
	return bin
}

// process is one running `vonage serve`.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *testutil.LockedBuffer
	exited chan error // receives Wait's result once
}

// startServer runs `vonage serve` on db and returns once it has printed
// its listening line, read from a pipe as it is written.
func startServer(t *testing.T, bin, db string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VONAGE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"VONAGE_ADMIN_TOKEN="+adminToken,
		"VONAGE_BOOTSTRAP_API_KEY=bootstrap01",
		"VONAGE_BOOTSTRAP_API_SECRET=Bootstrap1Secret",
		"VONAGE_LOG_LEVEL=warn",
	)
	// A pipe of our own, so reading it never races exec's Wait.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &process{cmd: cmd, stderr: &testutil.LockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = pw, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	pw.Close()
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // no-op once it has exited
	})

	lines := make(chan string, 1)
	go func() {
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Listening on "); ok && !sent {
				lines <- u
				sent = true
			}
		}
		if !sent {
			close(lines)
		}
	}()
	select {
	case u, ok := <-lines:
		if !ok {
			t.Fatalf("vonage serve ended without a listening line; stderr:\n%s", s.stderr)
		}
		s.url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("vonage serve printed no listening line in 30s; stderr:\n%s", s.stderr)
	}
	return s
}

// crashCharge is one charge of the load and what became of it.
type crashCharge struct {
	moneytest.Request
	sent     bool
	answered bool // an HTTP answer arrived before the kill
	ans      moneytest.Answer
}

// TestCrashRecovery kills `vonage serve` with SIGKILL in the middle of a
// load of idempotent charges, restarts it on the same file and checks that
// nothing answered was lost or doubled, that the ledger adds up, and that
// re-sending every unanswered charge with its key applies each at most
// once.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the vonage binary; skipped with -short")
	}
	t.Parallel()
	const (
		apiKey    = "crash00001"
		workers   = 16
		planned   = 3000
		killAfter = 500 // answers before the kill
	)
	bin := buildVonage(t)
	db := filepath.Join(t.TempDir(), "crash.db")

	srv := startServer(t, bin, db)
	c := newClient(srv.url)
	if _, err := c.CreateAccount(t.Context(), adminapi.NewAccount{APIKey: apiKey, Secret: "Crash1Secret", Balance: "1000.00"}); err != nil {
		t.Fatal(err)
	}

	charges := make([]crashCharge, planned)
	for i := range charges {
		// 0.01 to 0.20 EUR with odd digits: 3,000 of them fit in 1,000 EUR.
		charges[i] = crashCharge{Request: moneytest.Request{Charge: true, Ref: fmt.Sprintf("crash-ref-%04d", i), Key: fmt.Sprintf("crash-key-%04d", i),
			Amount: account.Money(1_000_000 + (i*7919)%19_000_001)}}
	}
	var (
		next, answered atomic.Int64
		killed         atomic.Bool
		killOnce       sync.Once
		wg             sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for !killed.Load() {
				i := int(next.Add(1)) - 1
				if i >= planned {
					return
				}
				ch := &charges[i]
				ch.sent = true
				a, err := ch.Send(c.Client, apiKey)
				if err != nil {
					continue // no answer: the process died under it
				}
				ch.answered, ch.ans = true, a
				if answered.Add(1) == killAfter {
					killOnce.Do(func() {
						killed.Store(true)
						if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
							t.Errorf("SIGKILL: %v", err)
						}
					})
				}
			}
		})
	}
	wg.Wait()
	err := <-srv.exited
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the server ended with %v, not by SIGKILL; stderr:\n%s", err, srv.stderr)
	}
	loadTime := time.Since(start)

	var sent, ok, unanswered int
	for _, ch := range charges {
		switch {
		case !ch.sent:
		case !ch.answered:
			unanswered++
		case ch.ans.Status == 201:
			ok++
		default:
			t.Errorf("%s: answered %d %v before the kill", ch.Ref, ch.ans.Status, ch.ans.Problem)
		}
		if ch.sent {
			sent++
		}
	}

	// Restart on the same file.
	srv = startServer(t, bin, db)
	c = newClient(srv.url)

	l := moneytest.ReadLedger(t, c.Client, apiKey)
	count, ids := l.Count, l.ID
	for ref, n := range count {
		if n != 1 {
			t.Errorf("reference %q appears %d times in the ledger", ref, n)
		}
	}
	committedUnanswered := 0
	for _, ch := range charges {
		switch {
		case ch.answered:
			moved := ch.ans.Moved
			if count[ch.Ref] != 1 || ids[ch.Ref] != moved.Transaction.ID {
				t.Errorf("%s: answered 201 with id %d before the kill; after the restart %d rows (id %d)",
					ch.Ref, moved.Transaction.ID, count[ch.Ref], ids[ch.Ref])
			}
		case count[ch.Ref] > 0:
			committedUnanswered++ // done, but the answer died with the process
		}
	}
	if got := moneytest.Balance(t, c.Client, apiKey); got != l.Sum {
		t.Errorf("balance %s after the restart, the ledger sums to %s", got, l.Sum)
	}
	moneytest.Verify(t, c.Client, "the restarted server")

	// Re-send every unanswered charge with its key: the ones that were
	// committed replay, the others run now, and each is applied once.
	replayed, applied := 0, 0
	for _, ch := range charges {
		if !ch.sent || ch.answered {
			continue
		}
		a, err := ch.Send(c.Client, apiKey)
		if err != nil || a.Status != 201 {
			t.Fatalf("re-sending %s: %d %v %v", ch.Ref, a.Status, a.Problem, err)
		}
		moved := a.Moved
		if wasThere := count[ch.Ref] == 1; a.Replayed != wasThere || (wasThere && ids[ch.Ref] != moved.Transaction.ID) {
			t.Errorf("re-sending %s: replayed=%v, id %d; before it the ledger had %d rows (id %d)",
				ch.Ref, a.Replayed, moved.Transaction.ID, count[ch.Ref], ids[ch.Ref])
		}
		if a.Replayed {
			replayed++
		} else {
			applied++
		}
	}
	// And every answered one again: the keys survived the crash, so each
	// is a replay of the first answer, member for member.
	for _, ch := range charges {
		if !ch.answered {
			continue
		}
		a, err := ch.Send(c.Client, apiKey)
		if err != nil || a.Status != 201 || !a.Replayed || !moneytest.SameMovement(a.Moved, ch.ans.Moved) {
			t.Errorf("re-sending answered %s: %d replayed=%v %+v, first answer %+v (%v)", ch.Ref, a.Status, a.Replayed, a.Moved, ch.ans.Moved, err)
		}
	}

	l = moneytest.ReadLedger(t, c.Client, apiKey)
	for _, ch := range charges {
		if want := map[bool]int{true: 1, false: 0}[ch.sent]; l.Count[ch.Ref] != want {
			t.Errorf("%s: %d ledger rows after the re-sends, want %d", ch.Ref, l.Count[ch.Ref], want)
		}
	}
	if got := moneytest.Balance(t, c.Client, apiKey); got != l.Sum {
		t.Errorf("final balance %s, the ledger sums to %s", got, l.Sum)
	}
	_, ledgerRows := moneytest.Verify(t, c.Client, "the restarted server")

	// A clean stop: SIGTERM drains and exits 0.
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v; stderr:\n%s", err, srv.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("no exit 30s after SIGTERM")
	}

	t.Logf("%d charges sent from %d goroutines in %s before SIGKILL after %d answers (%d of them 201); %d unanswered, of which %d had committed; after the restart: every 201 in the ledger once, verify-ledger clean; re-sent the %d unanswered: %d replayed, %d applied now; the %d answered replayed the first answer; final ledger %d rows, balance %s",
		sent, workers, loadTime.Round(time.Millisecond), killAfter, ok, unanswered, committedUnanswered,
		unanswered, replayed, applied, ok, ledgerRows, l.Sum)
}
