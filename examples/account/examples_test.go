// The seed's six programs, run in the seed's order against a real server:
// balance, settings, list, get one, create, revoke the old one.
package account_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const adminToken = "examples-admin-token-9d04"

func TestSeedProgramsAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs binaries")
	}
	bin := t.TempDir()
	build(t, filepath.Join(bin, "vonage"), "../../cmd/vonage")
	programs := []string{"get-balance", "configure-account", "list-secrets", "get-secret", "create-secret", "revoke-secret"}
	for _, p := range programs {
		build(t, filepath.Join(bin, p), "./"+p)
	}
	base := startServer(t, filepath.Join(bin, "vonage"), filepath.Join(t.TempDir(), "vonage.db"))

	const key, oldSecret, newSecret = "seed0001", "Old-S3cret-1", "T0pS3cr3t!"
	adminCreate(t, base, fmt.Sprintf(`{"api_key":%q,"secret":%q,"balance":"10.17127500"}`, key, oldSecret))

	runProg := func(name, secret string, extra ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name))
		cmd.Env = append(os.Environ(), "VONAGE_BASE_URL="+base, "VONAGE_API_KEY="+key, "VONAGE_API_SECRET="+secret)
		cmd.Env = append(cmd.Env, extra...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	expect := func(name, got, pattern string) []string {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("%s printed %q; want a match for %s", name, got, pattern)
		}
		return m
	}
	today := time.Now().UTC().Format("Jan 2 2006")

	expect("get-balance", runProg("get-balance", oldSecret), `^Account balance: 10\.171275 EUR$`)
	expect("configure-account", runProg("configure-account", oldSecret), `^Incoming SMS sent to: https://example\.com/webhooks/inbound-sms\n$`)

	list := runProg("list-secrets", oldSecret)
	oldID := expect("list-secrets", list, `^Secret ([0-9a-f-]{36}) created `+regexp.QuoteMeta(today)+`\n$`)[1]

	expect("get-secret", runProg("get-secret", oldSecret, "SECRET_ID="+oldID), `^Secret `+oldID+` created `+regexp.QuoteMeta(today)+`\n$`)

	newID := expect("create-secret", runProg("create-secret", oldSecret), `^Secret ([0-9a-f-]{36}) created `+regexp.QuoteMeta(today)+`\n$`)[1]
	if newID == oldID {
		t.Fatalf("create-secret returned the old id")
	}
	// A third secret is refused, and the seed prints the problem's title and detail.
	expect("create-secret (third)", runProg("create-secret", oldSecret), `^ERROR: Secret Addition Forbidden: .+\n$`)

	// Rotate: the application now uses the new secret and revokes the old one.
	expect("revoke-secret", runProg("revoke-secret", newSecret, "SECRET_ID="+oldID), `^Secret deleted\n$`)

	// The old secret stops working at once; the new one works.
	cmd := exec.Command(filepath.Join(bin, "get-balance"))
	cmd.Env = append(os.Environ(), "VONAGE_BASE_URL="+base, "VONAGE_API_KEY="+key, "VONAGE_API_SECRET="+oldSecret)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("get-balance with the revoked secret succeeded: %s", out)
	} else if bytes.Contains(out, []byte(oldSecret)) {
		t.Fatalf("the failure output shows the secret: %s", out)
	}
	expect("list-secrets (after)", runProg("list-secrets", newSecret), `^Secret `+newID+` created `+regexp.QuoteMeta(today)+`\n$`)

	// The last secret cannot be revoked.
	expect("revoke-secret (last)", runProg("revoke-secret", newSecret, "SECRET_ID="+newID), `^ERROR: Secret Deletion Forbidden: .+\n$`)
}

func build(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// startServer runs `vonage serve` on a random port and returns its base URL,
// read from the line the server prints once it listens.
func startServer(t *testing.T, bin, db string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	cmd.Env = append(os.Environ(), "VONAGE_ADMIN_TOKEN="+adminToken, "VONAGE_BOOTSTRAP_API_KEY=boot0001", "VONAGE_BOOTSTRAP_API_SECRET=Boot-S3cret-1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Listening on "); ok {
				urls <- u
			}
		}
		close(urls)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("server did not exit cleanly on SIGTERM: %v\n%s", err, logs.String())
		}
	})
	select {
	case u, ok := <-urls:
		if ok {
			return u
		}
	case <-time.After(30 * time.Second):
	}
	t.Fatalf("server did not start")
	return ""
}

func adminCreate(t *testing.T, base, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/admin/accounts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("admin create: %d %v", resp.StatusCode, out)
	}
}
