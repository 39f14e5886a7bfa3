package main

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// newKeyed creates the account key (a subaccount of primary when that is
// not empty) with userSecret.
func (s *testServer) newKeyed(t *testing.T, key, primary string) {
	t.Helper()
	limits := highLimits
	if _, _, err := s.svc.CreateAccount(context.Background(), account.NewAccount{
		APIKey: key, Secret: userSecret, PrimaryAPIKey: primary, Limits: &limits,
	}); err != nil {
		t.Fatalf("CreateAccount(%s): %v", key, err)
	}
}

// listKeys runs admin account list --json with args and returns the keys
// and the next cursor.
func listKeys(t *testing.T, s *testServer, args ...string) ([]string, string) {
	t.Helper()
	r := cliRun(t, s.adminEnv(), append([]string{"admin", "account", "list", "--json"}, args...)...).want(t, exitOK)
	var out accountsJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("admin account list --json: %v\n%s", err, r.stdout)
	}
	keys := []string{}
	for _, a := range out.Accounts {
		keys = append(keys, a.APIKey)
	}
	return keys, out.NextCursor
}

func TestAdminAccountList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	acme := []string{"acme0001", "acme0002", "acme0003", "acme0004", "acme0005"}
	for _, k := range acme {
		s.newKeyed(t, k, "")
	}
	s.newKeyed(t, "prim0001", "")
	s.newKeyed(t, "subb0002", "prim0001")
	s.newKeyed(t, "subb0001", "prim0001")

	if keys, next := listKeys(t, s, "--prefix", "acme"); !slices.Equal(keys, acme) || next != "" {
		t.Errorf("--prefix acme: %v, next %q", keys, next)
	}
	if keys, _ := listKeys(t, s, "--primary", "prim0001"); !slices.Equal(keys, []string{"subb0001", "subb0002"}) {
		t.Errorf("--primary prim0001: %v", keys)
	}
	if keys, _ := listKeys(t, s, "--prefix", "none"); len(keys) != 0 {
		t.Errorf("--prefix none: %v", keys)
	}

	// A page at a time: the table, and on stderr the command for the next.
	r := cliRun(t, s.adminEnv(), "admin", "account", "list", "--prefix", "acme", "--page-size", "2").want(t, exitOK)
	if !strings.HasPrefix(r.stdout, "API KEY") || strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stdout, "acme0002") || strings.Contains(r.stdout, "acme0003") {
		t.Errorf("first page of 2:\n%s", r.stdout)
	}
	m := regexp.MustCompile(`vonage admin account list --prefix acme --cursor (\S+) --page-size 2`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no next-page hint:\n%s", r.stderr)
	}
	if keys, next := listKeys(t, s, "--prefix", "acme", "--page-size", "2", "--cursor", m[1]); !slices.Equal(keys, acme[2:4]) || next == "" {
		t.Errorf("second page: %v, next %q", keys, next)
	}

	// --all follows the pages; the rows come as one page.
	r = cliRun(t, s.adminEnv(), "admin", "account", "list", "--all", "--page-size", "2", "--json").want(t, exitOK)
	var all accountsJSON
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || len(all.Accounts) != 8 || all.NextCursor != "" {
		t.Errorf("--all: %d accounts, next %q (%v)", len(all.Accounts), all.NextCursor, err)
	}
	if !strings.Contains(r.stderr, "Fetched 6 accounts so far") {
		t.Errorf("--all says nothing of its progress: %q", r.stderr)
	}
	if a := all.Accounts[len(all.Accounts)-1]; a.APIKey != "subb0002" || a.PrimaryAPIKey != "prim0001" || len(a.Secrets) != 1 || a.Balance != "0.00000000" {
		t.Errorf("last account: %+v", a)
	}

	cliRun(t, s.adminEnv(), "admin", "account", "list", "--page-size", "0").wantErr(t, exitUsage, "--page-size")
	cliRun(t, s.adminEnv(), "admin", "account", "list", "--page-size", "1001").wantErr(t, exitUsage, "--page-size")
	cliRun(t, s.adminEnv(), "admin", "account", "list", "--cursor", "not a cursor").wantErr(t, exitError, "Bad Request", "cursor")
}

func TestAdminResetSecret(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)
	cliRun(t, env, "balance").want(t, exitOK)

	// Generated: printed once, with a warning; the old secret stops working.
	r := cliRun(t, s.adminEnv(), "admin", "account", "reset-secret", key).want(t, exitOK)
	m := regexp.MustCompile(`(?m)^API secret:\s+(\S+)$`).FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stdout, "Secret id:") {
		t.Fatalf("reset-secret shows no secret:\n%s", r.all())
	}
	if n := strings.Count(r.all(), m[1]); n != 1 {
		t.Errorf("the generated secret is shown %d times", n)
	}
	if !strings.Contains(r.stderr, "will not show it again") || !strings.Contains(r.stderr, "Every earlier secret of "+key+" has stopped working") {
		t.Errorf("stderr: %q", r.stderr)
	}
	cliRun(t, env, "balance").want(t, exitAuth)
	generated := s.env(key, m[1])
	cliRun(t, generated, "balance").want(t, exitOK)

	// Chosen, from stdin: never shown; --json has no api_secret.
	const chosen = "Ch0senAfterReset"
	r = invoke(t, s.adminEnv(), strings.NewReader(chosen+"\n"), "admin", "account", "reset-secret", key, "--secret-stdin", "--json").want(t, exitOK)
	var out resetJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.APIKey != key || out.SecretID == "" || out.APISecret != "" || strings.Contains(r.stdout, "api_secret") {
		t.Errorf("reset-secret --json = %s (%v)", r.stdout, err)
	}
	cliRun(t, generated, "balance").want(t, exitAuth)
	cliRun(t, s.env(key, chosen), "secrets", "list").want(t, exitOK)
	r = cliRun(t, s.adminEnv(), "admin", "account", "show", key).want(t, exitOK)
	if !strings.Contains(r.stdout, out.SecretID) || strings.Count(r.stdout, "created ") != 1 {
		t.Errorf("after the reset the account has not exactly the new secret:\n%s", r.stdout)
	}

	// Refused, and nothing changes.
	invoke(t, s.adminEnv(), strings.NewReader("weak\n"), "admin", "account", "reset-secret", key, "--secret-stdin").wantErr(t, exitError, "Invalid secret")
	invoke(t, s.adminEnv(), &fakeTerminal{entries: []string{"Ch0senTw1ce", "Ch0senTw1cf"}}, "admin", "account", "reset-secret", key, "--secret-stdin").wantErr(t, exitError, "differ")
	cliRun(t, s.adminEnv(), "admin", "account", "reset-secret", "nosuchkey").want(t, exitNotFound)
	cliRun(t, s.env(key, chosen), "balance").want(t, exitOK)
}
