package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// exportLines parses an export: one JSON object per line.
func exportLines(t *testing.T, data string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func wantMode0600(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
}

func TestAdminExport(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.newKeyed(t, "expo0001", "")
	s.newKeyed(t, "expo0002", "expo0001")
	s.newAccount(t, userSecret, 12_50000000, &account.AutoReload{Threshold: 5_00000000, Amount: 20_00000000})

	// To stdout: JSON lines, every account, no secret.
	r := cliRun(t, s.adminEnv(), "admin", "export").want(t, exitOK)
	lines := exportLines(t, r.stdout)
	if len(lines) != 3 {
		t.Fatalf("export has %d lines, want 3:\n%s", len(lines), r.stdout)
	}
	if strings.Contains(r.stdout, userSecret) || strings.Contains(r.stdout, "secret") || strings.Contains(r.stdout, "argon2") {
		t.Errorf("the export shows a secret or its hash:\n%s", r.stdout)
	}
	sub := slices.IndexFunc(lines, func(l map[string]any) bool { return l["api_key"] == "expo0002" })
	if sub < 0 || lines[sub]["primary_api_key"] != "expo0001" {
		t.Errorf("the subaccount is not exported as one:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, `"balance":"12.5`) || !strings.Contains(r.stdout, `"auto_reload":{"threshold":"5`) {
		t.Errorf("the balance or auto-reload is missing:\n%s", r.stdout)
	}

	// To a file: 0600, a summary, never replaced without --force.
	file := filepath.Join(t.TempDir(), "accounts.jsonl")
	r = cliRun(t, s.adminEnv(), "admin", "export", file, "--json").want(t, exitOK)
	var sum fileJSON
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.File != file || sum.Accounts == nil || *sum.Accounts != 3 || sum.Bytes == 0 {
		t.Errorf("export FILE --json = %s (%v)", r.stdout, err)
	}
	data, _ := os.ReadFile(file)
	if len(exportLines(t, string(data))) != 3 || int64(len(data)) != sum.Bytes {
		t.Errorf("the file holds %d bytes:\n%s", len(data), data)
	}
	wantMode0600(t, file)
	s.newKeyed(t, "expo0004", "")
	cliRun(t, s.adminEnv(), "admin", "export", file).wantErr(t, exitError, "exists", "--force")
	if again, _ := os.ReadFile(file); !bytes.Equal(again, data) {
		t.Errorf("a refused export changed the file")
	}
	r = cliRun(t, s.adminEnv(), "admin", "export", file, "--force").want(t, exitOK)
	if !strings.Contains(r.stdout, "4 accounts") {
		t.Errorf("export --force:\n%s", r.stdout)
	}
	wantMode0600(t, file)
	if left, _ := os.ReadDir(filepath.Dir(file)); len(left) != 1 {
		t.Errorf("export left files behind: %v", left)
	}
	cliRun(t, s.adminEnv(), "admin", "export", file, "other").want(t, exitUsage)

	// What was exported imports into another server once each line has a
	// secret, and exports the same.
	var withSecrets strings.Builder
	for _, l := range exportLines(t, string(data)) {
		l["secret"] = userSecret
		b, _ := json.Marshal(l)
		withSecrets.Write(append(b, '\n'))
	}
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, []byte(withSecrets.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t)
	cliRun(t, s2.adminEnv(), "admin", "import", in).want(t, exitOK)
	r = cliRun(t, s2.adminEnv(), "admin", "export").want(t, exitOK)
	if got := exportLines(t, r.stdout); fmt.Sprint(got) != fmt.Sprint(exportLines(t, string(data))) {
		t.Errorf("re-imported export differs:\n%s\nfrom\n%s", r.stdout, data)
	}
}

// countAccounts opens a SQLite backup and counts its accounts.
func countAccounts(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM accounts").Scan(&n); err != nil {
		t.Fatalf("the backup is not a readable database: %v", err)
	}
	return n
}

func TestAdminBackup(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.newUser(t)
	s.newUser(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "backup.db")

	r := cliRun(t, s.adminEnv(), "admin", "backup", file).want(t, exitOK)
	if !strings.Contains(r.stdout, "Backup:") || !strings.Contains(r.stdout, file) {
		t.Errorf("admin backup:\n%s", r.stdout)
	}
	wantMode0600(t, file)
	if n := countAccounts(t, file); n != 2 {
		t.Errorf("the backup holds %d accounts, want 2", n)
	}

	// An existing file is kept unless --force.
	s.newUser(t)
	cliRun(t, s.adminEnv(), "admin", "backup", file).wantErr(t, exitError, "exists")
	if n := countAccounts(t, file); n != 2 {
		t.Errorf("a refused backup changed the file: %d accounts", n)
	}
	r = cliRun(t, s.adminEnv(), "admin", "backup", file, "--force", "--json").want(t, exitOK)
	var out fileJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.File != file || out.Bytes == 0 || out.Accounts != nil {
		t.Errorf("admin backup --json = %s (%v)", r.stdout, err)
	}
	wantMode0600(t, file)
	if n := countAccounts(t, file); n != 3 {
		t.Errorf("the replaced backup holds %d accounts, want 3", n)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("backup left files behind: %v", left)
	}
	cliRun(t, s.adminEnv(), "admin", "backup").want(t, exitUsage)
	cliRun(t, s.adminEnv(), "admin", "backup", filepath.Join(dir, "no", "such", "dir.db")).wantErr(t, exitError, "Cannot create")
}

// A server that answers something else than a database: nothing is kept.
func TestAdminBackupNotSQLite(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/admin/backup" {
				w.Write([]byte("<html>a proxy's page</html>"))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	file := filepath.Join(t.TempDir(), "backup.db")
	cliRun(t, s.adminEnv(), "admin", "backup", file).wantErr(t, exitError, "not an SQLite database")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a bad backup was kept: %v", err)
	}
}

// On PostgreSQL the server has no online backup: the command says to use
// pg_dump and writes nothing.
func TestAdminBackupPostgres(t *testing.T) {
	t.Parallel()
	_, url := pgtest.NewSchema(t, "cli_backup")
	s := startServerConfig(t, func(cfg *server.Config) { cfg.DB = url })
	file := filepath.Join(t.TempDir(), "backup.db")
	cliRun(t, s.adminEnv(), "admin", "backup", file).wantErr(t, exitError, "No online backup", "pg_dump")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s: %v", file, err)
	}
}
