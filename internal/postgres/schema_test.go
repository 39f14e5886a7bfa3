package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/storetest"
)

// These tests write to the tables with raw SQL, as any client of the
// database could, and check that the schema itself keeps the invariants.

const (
	stateUnique      = "23505"
	stateCheck       = "23514"
	stateLastSecret  = "VN001"
	stateLedgerGuard = "VN002"
)

func TestSchemaAllowsTwoSecrets(t *testing.T) {
	t.Parallel()
	s, schema := open(t)
	seed(t, s, "rawsecr1", 0)
	db := raw(t, schema)
	insert := func(slot int) error {
		_, err := db.Exec(t.Context(), `INSERT INTO secrets (id, api_key, slot, hash, created_at)
			VALUES ($1, 'rawsecr1', $2, 'h', now())`, account.NewID(), slot)
		return err
	}
	wantState(t, "raw insert into the taken slot 1", insert(1), stateUnique)
	wantState(t, "raw insert into slot 3", insert(3), stateCheck)
	wantState(t, "raw insert into slot 0", insert(0), stateCheck)
	if err := insert(2); err != nil {
		t.Fatalf("raw insert into the free slot 2: %v", err)
	}
	for _, slot := range []int{1, 2} {
		wantState(t, fmt.Sprintf("raw third secret in slot %d", slot), insert(slot), stateUnique)
	}
	var n int
	if err := db.QueryRow(t.Context(), `SELECT count(*) FROM secrets WHERE api_key = 'rawsecr1'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d secrets (%v), want 2", n, err)
	}
	// Moving a secret to another slot cannot make room either.
	_, err := db.Exec(t.Context(), `UPDATE secrets SET slot = 3 WHERE api_key = 'rawsecr1' AND slot = 2`)
	wantState(t, "raw move to slot 3", err, stateCheck)
	// Through the Store, the limit is ESECRETLIMIT.
	err = s.AddSecret(t.Context(), account.Secret{ID: account.NewID(), APIKey: "rawsecr1", Hash: "h", CreatedAt: t0})
	if account.ErrorCode(err) != account.ESECRETLIMIT {
		t.Errorf("AddSecret(third): %v, want %s", err, account.ESECRETLIMIT)
	}
}

func TestSchemaKeepsLastSecret(t *testing.T) {
	t.Parallel()
	s, schema := open(t)
	only := seed(t, s, "rawlast1", 0)
	other := seed(t, s, "rawlast2", 0)
	db := raw(t, schema)
	count := func(key string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(t.Context(), `SELECT count(*) FROM secrets WHERE api_key = $1`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec := func(q string, args ...any) error { _, err := db.Exec(t.Context(), q, args...); return err }

	wantState(t, "raw delete of the only secret", exec(`DELETE FROM secrets WHERE id = $1`, only.ID), stateLastSecret)
	second := addSecret(t, s, "rawlast1")
	// One statement deleting both: the second row's delete aborts it all.
	wantState(t, "raw delete of both secrets", exec(`DELETE FROM secrets WHERE api_key = 'rawlast1'`), stateLastSecret)
	if n := count("rawlast1"); n != 2 {
		t.Errorf("%d secrets after the refused delete, want 2", n)
	}
	// A secret cannot leave for another account, nor can the table be
	// emptied wholesale.
	wantState(t, "raw move of a secret to another account",
		exec(`UPDATE secrets SET api_key = 'rawlast2', slot = 2 WHERE id = $1`, second.ID), stateLastSecret)
	wantState(t, "raw truncate", exec(`TRUNCATE secrets`), stateLastSecret)

	// The trigger finds its tables whatever the session's search_path.
	elsewhere := raw(t, "")
	if _, err := elsewhere.Exec(t.Context(), `SET search_path = pg_catalog`); err != nil {
		t.Fatal(err)
	}
	secrets := pgx.Identifier{schema, "secrets"}.Sanitize()
	if _, err := elsewhere.Exec(t.Context(), `DELETE FROM `+secrets+` WHERE id = $1`, only.ID); err != nil {
		t.Fatalf("raw delete of one of two secrets from another search_path: %v", err)
	}
	_, err := elsewhere.Exec(t.Context(), `DELETE FROM `+secrets+` WHERE id = $1`, second.ID)
	wantState(t, "raw delete of the remaining secret from another search_path", err, stateLastSecret)
	if n := count("rawlast1"); n != 1 {
		t.Errorf("%d secrets, want 1", n)
	}
	if n := count("rawlast2"); n != 1 {
		t.Errorf("the other account has %d secrets, want 1 (%s)", n, other.ID)
	}
}

// TestSchemaRawDeletesRace: two clients, each in its own transaction,
// delete an account's two secrets. The second waits for the first's
// account lock, then counts what the first left and refuses.
func TestSchemaRawDeletesRace(t *testing.T) {
	t.Parallel()
	s, schema := open(t)
	a, b, watcher := raw(t, schema), raw(t, schema), raw(t, schema)
	ctx := t.Context()

	t.Run("interleaved", func(t *testing.T) {
		first := seed(t, s, "rawrace0", 0)
		second := addSecret(t, s, "rawrace0")
		txA, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer txA.Rollback(context.Background())
		if _, err := txA.Exec(ctx, `DELETE FROM secrets WHERE id = $1`, first.ID); err != nil {
			t.Fatalf("first delete: %v", err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := b.Exec(ctx, `DELETE FROM secrets WHERE id = $1`, second.ID)
			done <- err
		}()
		// Wait until the second delete is blocked behind the first. The
		// server's lock table is the only thing to wait on.
		pid := b.PgConn().PID()
		for deadline := time.Now().Add(10 * time.Second); ; {
			var blocked bool
			if err := watcher.QueryRow(ctx, `SELECT cardinality(pg_blocking_pids($1)) > 0`, pid).Scan(&blocked); err != nil {
				t.Fatal(err)
			}
			if blocked {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the second delete never waited for the first")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := txA.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		wantState(t, "second delete", <-done, stateLastSecret)
		secs, err := s.Secrets(ctx, "rawrace0")
		if err != nil || len(secs) != 1 || secs[0].ID != second.ID {
			t.Errorf("secrets %+v (%v), want only %s", secs, err, second.ID)
		}
	})

	t.Run("at once", func(t *testing.T) {
		for round := range 20 {
			key := fmt.Sprintf("rawrace%d", round+1)
			ids := []string{seed(t, s, key, 0).ID, addSecret(t, s, key).ID}
			errs := make([]error, 2)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, conn := range []*pgx.Conn{a, b} {
				wg.Go(func() {
					<-start
					_, errs[i] = conn.Exec(ctx, `DELETE FROM secrets WHERE id = $1`, ids[i])
				})
			}
			close(start)
			wg.Wait()
			ok, last := 0, 0
			for _, err := range errs {
				switch sqlState(err) {
				case "":
					if err != nil {
						t.Fatal(err)
					}
					ok++
				case stateLastSecret:
					last++
				default:
					t.Errorf("round %d: %v", round, err)
				}
			}
			if ok != 1 || last != 1 {
				t.Errorf("round %d: %d deletes succeeded and %d were refused, want 1 and 1", round, ok, last)
			}
		}
	})
}

func TestSchemaGuardsLedger(t *testing.T) {
	t.Parallel()
	s, schema := open(t)
	seed(t, s, "rawmony1", 100)
	db := raw(t, schema)
	exec := func(q string, args ...any) error { _, err := db.Exec(t.Context(), q, args...); return err }
	wantState(t, "raw balance change", exec(`UPDATE accounts SET balance = 1000 WHERE api_key = 'rawmony1'`), stateLedgerGuard)
	wantState(t, "raw account with money", exec(`INSERT INTO accounts (api_key, balance, max_outbound_request,
		max_inbound_request, max_calls_per_second, created_at) VALUES ('rawmony2', 5, 1, 1, 1, now())`), stateLedgerGuard)
	insert := func(kind string, amount, after int64) error {
		return exec(`INSERT INTO transactions (api_key, kind, amount, balance_after, created_at)
			VALUES ('rawmony1', $1, $2, $3, now())`, kind, amount, after)
	}
	wantState(t, "raw row with a wrong balance_after", insert("credit", 5, 1000), stateLedgerGuard)
	wantState(t, "raw overdraft", insert("charge", -101, -1), stateCheck)
	wantState(t, "raw charge with a positive amount", insert("charge", 5, 105), stateCheck)
	wantState(t, "raw unknown kind", insert("gift", 5, 105), stateCheck)
	wantState(t, "raw ledger update", exec(`UPDATE transactions SET amount = 1000`), stateLedgerGuard)
	wantState(t, "raw ledger delete", exec(`DELETE FROM transactions`), stateLedgerGuard)
	wantState(t, "raw ledger truncate", exec(`TRUNCATE transactions CASCADE`), stateLedgerGuard)

	// A correct row, written by hand, moves the balance with it.
	if err := insert("credit", 5, 105); err != nil {
		t.Fatalf("raw correct credit: %v", err)
	}
	storetest.WantBalance(t, s, "rawmony1", 105)
	rep, err := s.VerifyLedger(t.Context())
	if err != nil || len(rep.Problems) != 0 || rep.Accounts != 1 || rep.Rows != 2 {
		t.Errorf("VerifyLedger = %+v, %v; want 1 account, 2 rows, no problems", rep, err)
	}
}
