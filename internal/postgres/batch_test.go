package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// These tests check the shared statements of AccountWithSecret (batch.go):
// each read is answered as a read of its own would be, and never from a
// statement that was on its way before the read arrived.

// readResult is what one AccountWithSecret returned.
type readResult struct {
	acct  account.Account
	found bool
	err   error
}

// readAsync runs AccountWithSecret in the background.
func readAsync(ctx context.Context, s *Store, key, id string) <-chan readResult {
	out := make(chan readResult, 1)
	go func() {
		a, found, err := s.AccountWithSecret(ctx, key, id)
		out <- readResult{a, found, err}
	}()
	return out
}

// holdFirstStatement makes s answer reads by one statement at a time and
// holds the first statement after it has read its rows, before it answers.
// It returns a channel closed once the statement is held, and release.
func holdFirstStatement(t *testing.T, s *Store) (held <-chan struct{}, release func()) {
	t.Helper()
	h, r := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.reads.maxRunning = 1
	s.reads.afterQuery = func() {
		once.Do(func() {
			close(h)
			<-r
		})
	}
	var released sync.Once
	release = func() { released.Do(func() { close(r) }) }
	t.Cleanup(release)
	return h, release
}

// queued is the number of reads waiting for a statement.
func (b *secretReads) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// waitQueued waits until n reads wait for a statement.
func waitQueued(t *testing.T, b *secretReads, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d reads queued", n), func() bool { return b.queued() == n })
}

// waitFor polls cond, which nothing signals, for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// within returns what ch delivers, failing the test after 10 seconds.
func within(t *testing.T, what string, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer in 10s", what)
		return readResult{}
	}
}

// TestBatchedReadSeesEarlierRevoke: a read that arrives while a statement
// that read the secret is still in flight, after another instance revoked
// it, is answered by a statement of its own and does not find it.
func TestBatchedReadSeesEarlierRevoke(t *testing.T) {
	t.Parallel()
	s := twoInstances(t)
	ctx := t.Context()
	const key = "fresh001"
	old := seed(t, s[0], key, 0)
	addSecret(t, s[0], key)
	held, release := holdFirstStatement(t, s[0])

	first := readAsync(ctx, s[0], key, old.ID)
	<-held // its statement has read the secret, still held
	if err := s[1].RevokeSecret(ctx, key, old.ID); err != nil {
		t.Fatal(err)
	}
	second := readAsync(ctx, s[0], key, old.ID)
	waitQueued(t, s[0].reads, 1)
	release()

	if r := <-first; !r.found || r.err != nil {
		t.Errorf("read before the revoke = found %v, %v; want found (its statement read before the revoke)", r.found, r.err)
	}
	if r := <-second; r.found || r.err != nil {
		t.Errorf("read after the revoke = found %v, %v; want not found", r.found, r.err)
	}
}

// TestBatchedReadsUnderRevokes races many reads of one instance against
// revokes on another: no read that starts after a revoke returned finds the
// revoked secret, whatever statement it shares.
func TestBatchedReadsUnderRevokes(t *testing.T) {
	t.Parallel()
	s := twoInstances(t)
	ctx := t.Context()
	for round := range 10 {
		key := fmt.Sprintf("race%04d", round)
		old := seed(t, s[0], key, 0)
		kept := addSecret(t, s[1], key)
		var revoked atomic.Bool
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var stale, keptMissing atomic.Int64
		for range 32 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := revoked.Load()
					if _, found, err := s[0].AccountWithSecret(ctx, key, old.ID); err != nil {
						t.Error(err)
						return
					} else if found && after {
						stale.Add(1)
					}
					if _, found, err := s[0].AccountWithSecret(ctx, key, kept.ID); err != nil || !found {
						keptMissing.Add(1)
					}
				}
			})
		}
		time.Sleep(20 * time.Millisecond) // let the readers fill the statements
		if err := s[1].RevokeSecret(ctx, key, old.ID); err != nil {
			t.Fatal(err)
		}
		revoked.Store(true)
		time.Sleep(20 * time.Millisecond)
		close(stop)
		wg.Wait()
		if n := stale.Load(); n > 0 {
			t.Errorf("round %d: %d reads that started after the revoke found the revoked secret", round, n)
		}
		if n := keptMissing.Load(); n > 0 {
			t.Errorf("round %d: %d reads did not find the secret that was kept", round, n)
		}
	}
}

// TestBatchedReadsAnswerEach queues reads of every kind behind a held
// statement, so that one statement answers them all, and checks each
// answer against what it asked.
func TestBatchedReadsAnswerEach(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	var keys []string
	var firsts, seconds []account.Secret
	for i := range 6 {
		key := fmt.Sprintf("each%04d", i)
		keys = append(keys, key)
		firsts = append(firsts, seed(t, s, key, account.Money(i+1)))
		seconds = append(seconds, addSecret(t, s, key))
	}
	if err := s.RevokeSecret(ctx, keys[5], firsts[5].ID); err != nil {
		t.Fatal(err)
	}
	type ask struct {
		name, key, id string
		found         bool
	}
	asks := []ask{
		{"nul key", "each\x000000", firsts[0].ID, false},
		{"invalid UTF-8 id", keys[0], "\xff\xfe", false},
	}
	for i := range keys {
		asks = append(asks,
			ask{fmt.Sprintf("first secret of %d", i), keys[i], firsts[i].ID, i != 5},
			ask{fmt.Sprintf("second secret of %d", i), keys[i], seconds[i].ID, true},
			ask{fmt.Sprintf("again second secret of %d", i), keys[i], seconds[i].ID, true},
			ask{fmt.Sprintf("%d with the secret of the next", i), keys[i], firsts[(i+1)%len(keys)].ID, false},
			ask{fmt.Sprintf("unknown key with the secret of %d", i), keys[i] + "x", seconds[i].ID, false},
			ask{fmt.Sprintf("%d with an unknown id", i), keys[i], account.NewID(), false})
	}

	held, release := holdFirstStatement(t, s)
	var statements atomic.Int64
	hold := s.reads.afterQuery
	s.reads.afterQuery = func() { statements.Add(1); hold() }
	opener := readAsync(ctx, s, keys[0], firsts[0].ID)
	<-held
	results := make([]<-chan readResult, len(asks))
	for i, a := range asks {
		results[i] = readAsync(ctx, s, a.key, a.id)
	}
	// Some reads may be answered without a statement; the others wait.
	waitFor(t, "every read queued or answered", func() bool {
		n := s.reads.queued()
		for _, r := range results {
			n += len(r)
		}
		return n == len(asks)
	})
	release()
	if r := <-opener; !r.found || r.err != nil {
		t.Errorf("first read = found %v, %v", r.found, r.err)
	}
	for i, a := range asks {
		r := <-results[i]
		if r.err != nil || r.found != a.found {
			t.Errorf("%s: found %v, %v; want %v", a.name, r.found, r.err, a.found)
			continue
		}
		if !a.found {
			if r.acct != (account.Account{}) {
				t.Errorf("%s: not found, yet returned %+v", a.name, r.acct)
			}
			continue
		}
		want, err := s.Account(ctx, a.key)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.acct) != fmt.Sprint(want) {
			t.Errorf("%s: returned %+v, want %+v", a.name, r.acct, want)
		}
	}
	if n := statements.Load(); n != 2 {
		t.Errorf("%d statements answered the reads, want 2 (the held one, then one for all that queued behind it)", n)
	}
}

// TestBatchedReadCallerLeaves: a caller whose context ends while its read
// waits leaves at once with its context's error; the others sharing the
// statement are answered, and the reads after it still run.
func TestBatchedReadCallerLeaves(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	sec := seed(t, s, "leaves01", 0)
	held, release := holdFirstStatement(t, s)
	first := readAsync(t.Context(), s, "leaves01", sec.ID)
	<-held
	ctx, cancel := context.WithCancel(t.Context())
	leaving := readAsync(ctx, s, "leaves01", sec.ID)
	staying := readAsync(t.Context(), s, "leaves01", sec.ID)
	waitQueued(t, s.reads, 2)
	cancel()
	if r := within(t, "leaving read", leaving); !errors.Is(r.err, context.Canceled) {
		t.Errorf("leaving read = %v, %v; want context.Canceled", r.found, r.err)
	}
	release()
	for name, ch := range map[string]<-chan readResult{"first": first, "staying": staying} {
		if r := <-ch; !r.found || r.err != nil {
			t.Errorf("%s read = found %v, %v; want found", name, r.found, r.err)
		}
	}
	if _, found, err := s.AccountWithSecret(t.Context(), "leaves01", sec.ID); !found || err != nil {
		t.Errorf("read after = found %v, %v; want found", found, err)
	}
}

// TestBatchedReadErrorReachesEach: a statement that fails answers each of
// its reads with the error, and the reads after it run.
func TestBatchedReadErrorReachesEach(t *testing.T) {
	t.Parallel()
	s, schema := open(t)
	sec := seed(t, s, "broken01", 0)
	// The pool keeps its connections; the table goes away underneath them.
	if _, err := raw(t, schema).Exec(t.Context(), `ALTER TABLE secrets RENAME TO secrets_gone`); err != nil {
		t.Fatal(err)
	}
	errs := storetest.Race(8, func(int) error {
		_, found, err := s.AccountWithSecret(t.Context(), "broken01", sec.ID)
		if err == nil {
			return fmt.Errorf("found %v without an error", found)
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("read %d: %v", i, err)
		}
	}
	if _, err := raw(t, schema).Exec(t.Context(), `ALTER TABLE secrets_gone RENAME TO secrets`); err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.AccountWithSecret(t.Context(), "broken01", sec.ID); !found || err != nil {
		t.Errorf("read after = found %v, %v; want found", found, err)
	}
}

// TestBatchedReadPlannedOnce: the shared statement is planned once per
// connection, not for each execution, whatever the number of pairs.
func TestBatchedReadPlannedOnce(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	sec := seed(t, s, "planned1", 0)
	conn, err := s.readPool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	const runs = 10 // past the five custom plans PostgreSQL makes before it compares
	for range runs {
		rows, err := conn.Query(ctx, batchQuery, []string{"planned1"}, []string{sec.ID})
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	var generic, custom int64
	if err := conn.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement = $1`, batchQuery).Scan(&generic, &custom); err != nil {
		t.Fatal(err)
	}
	// generic_plans counts the runs of the generic plan, planned once.
	if custom != 0 || generic != runs {
		t.Errorf("of %d runs, %d were planned for their parameters and %d ran the generic plan; want 0 and %d", runs, custom, generic, runs)
	}
}
