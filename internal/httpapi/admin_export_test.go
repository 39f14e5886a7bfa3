package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// getRaw sends an admin GET and returns the answer whatever its type (the
// export and the backup are not JSON documents).
func (e *env) getRaw(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading: %v", path, err)
	}
	return res, data
}

// TestAdminExportReimport exports accounts, gives each line a secret and
// imports them into another server: the accounts come back the same.
func TestAdminExportReimport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Subaccount keys sort before their primary's: the export must still
	// put each primary first.
	e.newAccount(t, account.NewAccount{APIKey: "zprimary", Balance: eur("12.34567891"),
		AutoReload: &account.AutoReload{Threshold: eur("5"), Amount: eur("20")}})
	e.newAccount(t, account.NewAccount{APIKey: "asub0001", PrimaryAPIKey: "zprimary"})
	e.newAccount(t, account.NewAccount{APIKey: "mplain01", Limits: &account.Limits{MaxOutboundRequest: 1, MaxInboundRequest: 2, MaxCallsPerSecond: 3}})
	// More than one page, stored directly: hashing them would be slow.
	hash := must(account.HashSecret("Bulk1Secret", account.TestHashParams))
	var recs []account.ImportRecord
	for i := range 1500 {
		key := fmt.Sprintf("bulk%04d", i)
		recs = append(recs, account.ImportRecord{
			Account: account.Account{APIKey: key, Limits: account.DefaultLimits, CreatedAt: clock},
			Secret:  account.Secret{ID: account.NewID(), APIKey: key, Hash: hash, CreatedAt: clock},
		})
	}
	if errs, err := e.store.ImportAccounts(t.Context(), recs); err != nil || slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatalf("ImportAccounts: %v", err)
	}

	res, data := e.getRaw(t, "/admin/export")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export: %d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), data)
	}
	if bytes.Contains(data, []byte("Bulk1Secret")) || bytes.Contains(data, []byte("secret")) {
		t.Fatal("the export holds a secret")
	}
	var lines []adminapi.ImportLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var l adminapi.ImportLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 1503 {
		t.Fatalf("%d lines, want 1503", len(lines))
	}
	keysInOrder := make([]string, len(lines))
	for i, l := range lines {
		keysInOrder[i] = l.APIKey
	}
	if slices.Index(keysInOrder, "asub0001") < slices.Index(keysInOrder, "zprimary") || keysInOrder[len(keysInOrder)-1] != "asub0001" {
		t.Errorf("the subaccount is not after its primary: %v", keysInOrder[len(keysInOrder)-3:])
	}

	// Re-import with new secrets into an empty server.
	var body bytes.Buffer
	newHash := must(account.HashSecret("Reimport1Secret", account.TestHashParams))
	for _, l := range lines {
		if l.APIKey == "bulk0001" {
			l.Secret = "Reimport1Secret"
		} else {
			l.SecretHash = newHash
		}
		_ = json.NewEncoder(&body).Encode(l)
	}
	other := newEnv(t, withMaxBody(4<<20))
	sum, err := adminapi.New(other.srv.URL, adminToken).Import(t.Context(), &body)
	if err != nil || sum.Imported != 1503 || sum.Failed != 0 {
		t.Fatalf("re-import: %+v, %v", sum, err)
	}
	for _, key := range []string{"zprimary", "asub0001", "mplain01", "bulk0777"} {
		a, _, err1 := e.svc.AccountDetails(t.Context(), key)
		b, _, err2 := other.svc.AccountDetails(t.Context(), key)
		a.CreatedAt, b.CreatedAt = b.CreatedAt, a.CreatedAt
		if err1 != nil || err2 != nil || !equalJSON(a, b) {
			t.Errorf("%s: exported %+v, re-imported %+v (%v, %v)", key, a, b, err1, err2)
		}
	}
	if r := other.do(t, request{method: "GET", path: "/account/get-balance", basic: []string{"bulk0001", "Reimport1Secret"}}); r.status != 200 {
		t.Errorf("the new secret of a re-imported account: %d", r.status)
	}

	r := e.do(t, request{method: "GET", path: "/admin/export", rawQuery: "page_size=5", bearer: adminToken})
	wantValidation(t, r, "query")
	if r := e.do(t, request{method: "GET", path: "/admin/export"}); r.status != http.StatusUnauthorized {
		t.Errorf("export without the token: %d", r.status)
	}
}

// TestAdminBackup backs the database up over HTTP while credits go on; the
// copy opens as a valid database whose ledger verifies.
func TestAdminBackup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, _ := e.newAccount(t, account.NewAccount{APIKey: "backup01", Balance: eur("1")})
	c := adminapi.New(e.srv.URL, adminToken)
	var (
		stop    atomic.Bool
		credits atomic.Int64
		wg      sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := c.Credit(t.Context(), key, adminapi.MoneyRequest{Amount: "0.01"}); err != nil {
					t.Errorf("credit during the backup: %v", err)
					return
				}
				credits.Add(1)
			}
		})
	}
	for credits.Load() < 5 {
		if _, err := c.Account(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
	res, data := e.getRaw(t, "/admin/backup")
	stop.Store(true)
	wg.Wait()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.sqlite3" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("backup: %d %v", res.StatusCode, res.Header)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer s.Close()
	rep, err := s.VerifyLedger(t.Context())
	if err != nil || len(rep.Problems) != 0 || rep.Accounts != 1 || rep.Rows < 6 {
		t.Errorf("the backup's ledger: %+v, %v", rep, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(e.path), ".vonage-backup-*")); len(left) != 0 {
		t.Errorf("temporary copies left: %v", left)
	}
	var buf bytes.Buffer
	if err := c.Backup(t.Context(), &buf); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("SQLite format 3\x00")) {
		t.Errorf("Client.Backup: %d bytes, %v", buf.Len(), err)
	}
}

// TestAdminBackupPostgres: PostgreSQL has no online copy of ours; the
// answer is a 501 that says to use pg_dump.
func TestAdminBackupPostgres(t *testing.T) {
	t.Parallel()
	_, url := pgtest.NewSchema(t, "backup")
	e := newEnv(t, withConfig(func(c *server.Config) { c.DB = url }))
	r := e.do(t, request{method: "GET", path: "/admin/backup", bearer: adminToken, allow500: true})
	m := wantProblem(t, r, http.StatusNotImplemented, "#not-implemented", "Not Implemented")
	if d, _ := m["detail"].(string); !strings.Contains(d, "pg_dump") {
		t.Errorf("detail %q does not point to pg_dump", d)
	}
	var buf bytes.Buffer
	if err := adminapi.New(e.srv.URL, adminToken).Backup(t.Context(), &buf); err == nil || buf.Len() != 0 {
		t.Errorf("Client.Backup on PostgreSQL: %v, %d bytes", err, buf.Len())
	}
}
