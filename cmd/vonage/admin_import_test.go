package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// writeFile writes data to a new file in a temporary directory.
func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noneShown fails the test when out shows any of the secrets.
func noneShown(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the output shows the secret %q:\n%s", s, out)
		}
	}
}

func TestAdminImportJSONLines(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.newKeyed(t, "impo0006", "")
	file := writeFile(t, "accounts.jsonl", strings.Join([]string{
		`{"api_key":"impo0001","secret":"Imp0rtSecret1","balance":"10.00"}`,
		`{"api_key":"impo0002","secret":"Imp0rtSecret2","primary_api_key":"impo0001"}`,
		`{"api_key":"impo0003","secret":"Imp0rtSecret3"`, // 3: not JSON
		``,
		`{"api_key":"impo0004"}`,                 // 5: no secret
		`{"api_key":"impo0005","secret":"weak"}`, // 6: the server refuses it
		`{"api_key":"impo0006","secret":"Imp0rtSecret6"}`, // 7: exists: skipped
		`{"api_key":"impo0007","secret":"Imp0rtSecret7","limits":{"max-calls-per-second":99}}`,
		`{"api_key":"impo0008","secret":"Imp0rtSecret8","auto_reload":{"threshold":"1.00","amount":"5.00"}}`,
	}, "\n")+"\n")

	r := cliRun(t, s.adminEnv(), "admin", "import", file, "--batch", "2", "--progress-every", "0").
		wantErr(t, exitError, "Import incomplete", "3 line(s) failed")
	noneShown(t, r.all(), "Imp0rtSecret", "weak")
	for _, want := range []string{"Imported:", "4\n", "Skipped (key exists):  1", "Failed:", "line 3: ", "line 5: secret", "line 6: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "line 7") {
		t.Errorf("a skipped line is listed as failed:\n%s", r.stdout)
	}
	// Periodic lines on a stderr that is not a terminal: one per batch,
	// then a last one at 100%.
	progress := strings.Count(r.stderr, "import: ")
	if progress < 4 || !strings.Contains(r.stderr, "import: 100% 6 sent: 4 imported, 1 skipped, 3 failed") || strings.Contains(r.stderr, "\r") {
		t.Errorf("progress on a pipe (%d lines):\n%s", progress, r.stderr)
	}

	// The accounts are there, whole.
	cliRun(t, s.env("impo0001", "Imp0rtSecret1"), "balance").want(t, exitOK)
	r = cliRun(t, s.adminEnv(), "admin", "account", "show", "impo0002", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, `"primary_api_key": "impo0001"`) {
		t.Errorf("impo0002 is not a subaccount:\n%s", r.stdout)
	}
	r = cliRun(t, s.adminEnv(), "admin", "account", "show", "impo0007", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, `"max_calls_per_second": 99`) {
		t.Errorf("impo0007's limit:\n%s", r.stdout)
	}
	cliRun(t, s.adminEnv(), "admin", "account", "show", "impo0005").want(t, exitNotFound)
	cliRun(t, s.env("impo0006", "Imp0rtSecret6"), "balance").want(t, exitAuth) // skipped: its secret is the old one

	// Again, --json: everything is skipped now but the failed lines.
	r = cliRun(t, s.adminEnv(), "admin", "import", file, "--json").want(t, exitError)
	var out importJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("admin import --json: %v\n%s", err, r.stdout)
	}
	if out.Imported != 0 || out.Skipped != 5 || out.Failed != 3 || len(out.Errors) != 3 || out.Errors[0].Line != 3 || out.Errors[2].Line != 6 {
		t.Errorf("second import: %+v", out)
	}
}

func TestAdminImportCSV(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	file := writeFile(t, "accounts.csv", "api_key,secret,balance,auto_reload_threshold,auto_reload_amount,max_calls_per_second\n"+
		"csvv0001,Csv1mportSecret,2.50,,,\n"+
		"csvv0002,Csv2mportSecret,,1.00,4.00,50\n")
	r := cliRun(t, s.adminEnv(), "admin", "import", file).want(t, exitOK)
	if !strings.Contains(r.stdout, "Imported:") || !strings.Contains(r.stdout, "Failed:                0") {
		t.Errorf("CSV import:\n%s", r.stdout)
	}
	r = cliRun(t, s.env("csvv0001", "Csv1mportSecret"), "balance", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, `"2.50000000"`) {
		t.Errorf("csvv0001's balance: %s", r.stdout)
	}
	r = cliRun(t, s.adminEnv(), "admin", "account", "show", "csvv0002", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, `"threshold": "1.00000000"`) || !strings.Contains(r.stdout, `"max_calls_per_second": 50`) {
		t.Errorf("csvv0002:\n%s", r.stdout)
	}

	// A header the reader does not know: nothing is sent.
	bad := writeFile(t, "bad.csv", "api_key,password\nbadd0001,Csv1mportSecret\n")
	r = cliRun(t, s.adminEnv(), "admin", "import", bad).wantErr(t, exitError, "Import refused", "line 1", "nothing was imported")
	noneShown(t, r.all(), "Csv1mportSecret")
	cliRun(t, s.adminEnv(), "admin", "account", "show", "badd0001").want(t, exitNotFound)

	// From stdin, "-".
	r = invoke(t, s.adminEnv(), strings.NewReader(`{"api_key":"stdn0001","secret_hash":"`+hashOf(t, "Stdin1mportSecret")+`"}`+"\n"), "admin", "import", "-").want(t, exitOK)
	cliRun(t, s.env("stdn0001", "Stdin1mportSecret"), "balance").want(t, exitOK)

	cliRun(t, s.adminEnv(), "admin", "import", filepath.Join(t.TempDir(), "missing.jsonl")).wantErr(t, exitError, "Cannot read the import file")
	cliRun(t, s.adminEnv(), "admin", "import", file, "--batch", "0").wantErr(t, exitUsage, "--batch")
	cliRun(t, s.adminEnv(), "admin", "import").want(t, exitUsage)
}

// ttyBuffer is a stderr that says it is a terminal.
type ttyBuffer struct{ bytes.Buffer }

func (*ttyBuffer) IsTerminal() bool { return true }

// On a terminal the progress is one bar redrawn in place, ended by a newline.
func TestAdminImportProgressBar(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var lines strings.Builder
	hash := hashOf(t, "Bar1mportSecret")
	for i := range 30 {
		fmt.Fprintf(&lines, `{"api_key":"barr%04d","secret_hash":%q}`+"\n", i, hash)
	}
	file := writeFile(t, "bar.jsonl", lines.String())
	var stdout bytes.Buffer
	stderr := &ttyBuffer{}
	env := s.adminEnv()
	err := run(context.Background(), []string{"admin", "import", file, "--batch", "10"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, stderr)
	if err != nil {
		t.Fatalf("import: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	got := stderr.String()
	if !strings.HasPrefix(got, "\r\033[K[") || !strings.Contains(got, "[==============================] 100% 30 sent: 30 imported, 0 skipped, 0 failed") ||
		!strings.HasSuffix(got, "\n") || strings.Count(got, "\n") != 1 || strings.Contains(got, "import: ") {
		t.Errorf("progress bar on a terminal: %q", got)
	}
}

// hashOf is the argon2id hash of secret, as an import's secret_hash.
func hashOf(t *testing.T, secret string) string {
	t.Helper()
	h, err := account.HashSecret(secret, account.TestHashParams)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// On a pipe, progress lines keep coming while a batch is on its way (the
// server hashing clear secrets can take seconds a batch).
func TestAdminImportProgressTicks(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/admin/import" {
				time.Sleep(400 * time.Millisecond)
			}
			next.ServeHTTP(w, r)
		})
	})
	file := writeFile(t, "one.csv", "api_key,secret_hash\ntick0001,\""+hashOf(t, "T1ckImportSecret")+"\"\n")
	r := cliRun(t, s.adminEnv(), "admin", "import", file, "--progress-every", "50ms").want(t, exitOK)
	if n := strings.Count(r.stderr, "import:   0% 0 sent: 0 imported"); n < 3 {
		t.Errorf("%d progress lines while the batch was on its way, want at least 3:\n%s", n, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "import: 100% 1 sent: 1 imported, 0 skipped, 0 failed; ") {
		t.Errorf("no final line:\n%s", r.stderr)
	}
}

// A line too long to be an account stops the import, named by its number.
func TestAdminImportLongLine(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	file := writeFile(t, "long.jsonl", `{"api_key":"long0001","secret":"L0ngLineSecret"}`+"\n"+`{"api_key":"`+strings.Repeat("x", 2<<20)+`"}`+"\n")
	r := cliRun(t, s.adminEnv(), "admin", "import", file).wantErr(t, exitError, "line 2 is longer than 16 KiB")
	if !strings.Contains(r.stderr, "Run the same command again") {
		t.Errorf("stderr: %s", r.stderr)
	}
}
