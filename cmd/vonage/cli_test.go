package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/buildinfo"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

func TestCompletion(t *testing.T) {
	t.Parallel()
	for shell, want := range map[string]string{
		"bash": "__start_vonage", "zsh": "#compdef vonage", "fish": "complete -c vonage", "powershell": "Register-ArgumentCompleter",
	} {
		r := cliRun(t, nil, "completion", shell).want(t, exitOK)
		if !strings.Contains(r.stdout, want) || r.stderr != "" {
			t.Errorf("completion %s lacks %q (stderr %q)", shell, want, r.stderr)
		}
	}
	cliRun(t, nil, "completion", "tcsh").want(t, exitUsage)
	// What the scripts ask for: the commands of a group, a command's flags,
	// and serve's flags from its own table.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "secrets", ""}, []string{"list", "get", "create", "rotate", "revoke"}},
		{[]string{"__complete", "admin", "account", ""}, []string{"create", "show", "update"}},
		{[]string{"__complete", "balance", "--"}, []string{"--api-key", "--base-url", "--json", "--profile", "--debug"}},
		{[]string{"__complete", "serve", "--"}, []string{"--addr", "--db", "--tls-self-signed"}},
	} {
		r := cliRun(t, nil, tc.args...).want(t, exitOK)
		for _, w := range tc.want {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(w) + `(\t|$)`).MatchString(r.stdout) {
				t.Errorf("%q offers no %s:\n%s", tc.args, w, r.stdout)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	a := cliRun(t, nil, "version").want(t, exitOK)
	b := cliRun(t, nil, "--version").want(t, exitOK)
	if !strings.HasPrefix(a.stdout, "vonage ") || a.stdout != b.stdout || !strings.Contains(a.stdout, "client ") {
		t.Errorf("version %q, --version %q", a.stdout, b.stdout)
	}
	var v version
	r := cliRun(t, nil, "version", "--json").want(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version == "" || v.Go == "" {
		t.Errorf("version --json = %+v, %v", v, err)
	}
	if b := buildinfo.Get(); v.Version != b.Version { // what the server's GET /version says
		t.Errorf("version --json %q, buildinfo %q", v.Version, b.Version)
	}
}

// TestJSONErrors: with --json every failure is one JSON object on stderr,
// stdout stays empty, and the exit code is the one without --json.
func TestJSONErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)
	wrong := s.env(key, "Wr0ngSecretX")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		kind string
	}{
		{env, []string{"--json", "balanc"}, exitUsage, "usage"},
		{env, []string{"balance", "--json", "--nosuchflag"}, exitUsage, "usage"},
		{env, []string{"secrets", "get", "--json"}, exitUsage, "usage"},
		{wrong, []string{"balance", "--json"}, exitAuth, "authentication"},
		{env, []string{"secrets", "get", "nosuch", "--json"}, exitNotFound, "not_found"},
		{s.adminEnv(), []string{"admin", "account", "show", "nosuchkey", "--json"}, exitNotFound, "not_found"},
		{env, []string{"balance", "--json", "--base-url", "http://127.0.0.1:1"}, exitError, "error"},
	} {
		r := cliRun(t, tc.env, tc.args...).want(t, tc.code)
		var got errorJSON
		if err := json.Unmarshal([]byte(r.stderr), &got); err != nil || r.stdout != "" {
			t.Errorf("%q: stderr is not one JSON object (%v) or stdout is not empty:\nstdout %q\nstderr %q", tc.args, err, r.stdout, r.stderr)
			continue
		}
		if got.ExitCode != tc.code || got.Kind != tc.kind || got.Error == "" {
			t.Errorf("%q: %+v, want exit_code %d, kind %s", tc.args, got, tc.code, tc.kind)
		}
	}
}

// TestDebug: --debug shows each request and its answer, never a secret.
func TestDebug(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)
	r := cliRun(t, env, "balance", "--debug").want(t, exitOK)
	re := regexp.MustCompile(`(?m)^> GET http://127\.0\.0\.1:\d+/account/get-balance\?api_key=` + key + `&api_secret=REDACTED\n< 200 OK \S+ in [0-9.]+[µm]?s, request id [0-9a-f]{32}$`)
	if !re.MatchString(r.stderr) || !strings.Contains(r.stdout, "Balance:") {
		t.Errorf("balance --debug:\nstdout %q\nstderr %q", r.stdout, r.stderr)
	}
	r = cliRun(t, s.adminEnv(), "admin", "account", "show", key, "--debug").want(t, exitOK)
	if !regexp.MustCompile(`(?m)^< 200 OK http://\S+/admin/accounts/` + key + ` in .*, request id [0-9a-f]+$`).MatchString(r.stderr) {
		t.Errorf("admin --debug:\n%s", r.stderr)
	}
	r = cliRun(t, env, "balance", "--debug", "--base-url", "http://127.0.0.1:1").want(t, exitError)
	if !strings.Contains(r.stderr, "failed after") || strings.Contains(r.stderr, userSecret) {
		t.Errorf("a failed request under --debug:\n%s", r.stderr)
	}
}

// TestKindErrors: each failure says what to check.
func TestKindErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)

	// A refused signature names the key and where key and secret came from.
	wrong := s.env(key, "Wr0ngSecretX")
	cliRun(t, wrong, "balance").wantErr(t, exitAuth, "API key "+key+" from VONAGE_API_KEY", "secret from VONAGE_API_SECRET")
	cliRun(t, wrong, "secrets", "list", "--api-secret", "Wr0ngSecretY").wantErr(t, exitAuth, "secret from --api-secret")

	// A server that is not there: its URL and what set it.
	cliRun(t, env, "balance", "--base-url", "http://127.0.0.1:1").wantErr(t, exitError, "could not reach http://127.0.0.1:1", "set by --base-url")
	cliRun(t, s.adminEnv(), "admin", "account", "show", key, "--base-url", "http://127.0.0.1:1").wantErr(t, exitError, "could not reach http://127.0.0.1:1", "set by --base-url")

	// A server without the admin API: say which setting turns it on.
	cfg := server.TestConfig()
	cfg.DB = filepath.Join(t.TempDir(), "db")
	bare := testutil.StartServer(t, cfg)
	cliRun(t, map[string]string{"VONAGE_ADMIN_TOKEN": adminToken, "VONAGE_BASE_URL": bare.URL}, "admin", "account", "show", key).
		wantErr(t, exitNotFound, "No admin API", "VONAGE_ADMIN_TOKEN set")
	// ...but an unknown account on a server with one is just that.
	if r := cliRun(t, s.adminEnv(), "admin", "account", "show", "nosuchkey").want(t, exitNotFound); strings.Contains(r.stderr, "admin API") {
		t.Errorf("an unknown account reads as a missing admin API: %s", r.stderr)
	}

	// The secret rules are checked before the second prompt.
	tty := &fakeTerminal{entries: []string{"weak", "weak"}}
	invoke(t, env, tty, "secrets", "create").wantErr(t, exitError, "Invalid secret", "8 to 25 characters")
	if tty.reads != 1 {
		t.Errorf("a weak secret was asked for %d times, want once", tty.reads)
	}
}

// blockingTerminal is a prompt nobody answers: ReadPassword waits for the
// context, as the real one does for Ctrl-C.
type blockingTerminal struct{ fakeTerminal }

func (b *blockingTerminal) ReadPassword(ctx context.Context) ([]byte, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

func TestInterruptAtPrompt(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	_, env := s.newUser(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	var stdout, stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"secrets", "create"}, func(k string) string { return env[k] }, &blockingTerminal{}, &stdout, &stderr)
	}()
	cancel(errInterrupted) // what main does on SIGINT
	err := <-done
	if exitCode(err) != exitInterrupted || !strings.HasSuffix(stderr.String(), "vonage: interrupted\n") {
		t.Errorf("Ctrl-C at the prompt: %v (exit %d), stderr %q", err, exitCode(err), stderr.String())
	}
}

// TestRealHostsNotice: with no base URL anywhere the command says, once,
// that it talks to Vonage's own hosts. The context is over, so nothing is
// sent.
func TestRealHostsNotice(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr strings.Builder
	env := map[string]string{"VONAGE_API_KEY": "abcdef12", "VONAGE_API_SECRET": "Unus3dSecret"}
	_ = run(ctx, []string{"balance"}, func(k string) string { return env[k] }, strings.NewReader(""), &strings.Builder{}, &stderr)
	if n := strings.Count(stderr.String(), "talking to Vonage's own hosts"); n != 1 {
		t.Errorf("the notice appears %d times, want once:\n%s", n, stderr.String())
	}
	env["VONAGE_BASE_URL"] = "http://127.0.0.1:1"
	stderr.Reset()
	_ = run(ctx, []string{"balance"}, func(k string) string { return env[k] }, strings.NewReader(""), &strings.Builder{}, &stderr)
	if strings.Contains(stderr.String(), "own hosts") {
		t.Errorf("notice with a base URL set:\n%s", stderr.String())
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"10.5": "10.50000000", "-3.50": "-3.50000000", "0": "0.00000000", "10.17127500": "10.17127500",
		"1.123456789": "1.123456789", "abc": "abc", "": "", "1.2.3": "1.2.3", "-": "-",
	} {
		if got := money(in); got != want {
			t.Errorf("money(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskDBURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://user:s3cret@db:5432/x?sslmode=disable": "postgres://user:xxxxx@db:5432/x?sslmode=disable",
		"host=db user=u password=s3cret dbname=x":          "host=db user=u password=xxxxx dbname=x",
		"vonage.db":            "vonage.db",
		"postgres://user@db/x": "postgres://user@db/x",
	} {
		if got := maskDBURL(in); got != want {
			t.Errorf("maskDBURL(%q) = %q, want %q", in, got, want)
		}
	}
	err := maskDBPassword(errors.New("connect postgres://u:s3cret@h/db: refused"), "postgres://u:s3cret@h/db")
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("maskDBPassword left the password: %v", err)
	}
}

// TestServeMasksDBPassword: a PostgreSQL URL's password shows neither in
// serve -h nor in the error of a database that cannot be reached.
func TestServeMasksDBPassword(t *testing.T) {
	t.Parallel()
	const pw = "Pa55-w0rd-never-shown"
	env := map[string]string{"VONAGE_DB": "postgres://vonage:" + pw + "@127.0.0.1:1/vonage?connect_timeout=2", "VONAGE_DB_TIMEOUT": "2s"}
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--addr", "127.0.0.1:0"}} {
		r := cliRun(t, env, args...)
		if strings.Contains(r.all(), pw) {
			t.Errorf("%q shows the database password:\n%s", args, r.all())
		}
	}
}

// TestProfiles covers the config commands and the precedence of a setting:
// flag, then environment, then profile.
func TestProfiles(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, _ := s.newUser(t)
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	file := filepath.Join(dir, "vonage", "config.json")

	cliRun(t, env, "config", "set", "base-url", s.url).want(t, exitOK)
	cliRun(t, env, "config", "set", "api-key", key).want(t, exitOK)
	invoke(t, env, strings.NewReader(userSecret+"\n"), "config", "set", "api-secret", "-").want(t, exitOK)
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if r := cliRun(t, env, "config", "get", "api-key").want(t, exitOK); r.stdout != key+"\n" {
		t.Errorf("config get api-key = %q", r.stdout)
	}
	// The secret is never printed, by get, list or list --json.
	for _, args := range [][]string{{"config", "get", "api-secret"}, {"config", "list"}, {"config", "list", "--json"}} {
		r := cliRun(t, env, args...).want(t, exitOK)
		if strings.Contains(r.all(), userSecret) || !strings.Contains(r.stdout, "not shown") {
			t.Errorf("%q:\n%s", args, r.all())
		}
	}
	cliRun(t, env, "config", "get", "ca-file").want(t, exitNotFound)
	cliRun(t, env, "config", "set", "colour", "blue").want(t, exitUsage)

	// Everything from the profile.
	cliRun(t, env, "balance").want(t, exitOK)
	// The environment wins over the profile, and the flag over both.
	env[envAPISecret] = "Wr0ngSecretX"
	cliRun(t, env, "balance").wantErr(t, exitAuth, "secret from VONAGE_API_SECRET")
	cliRun(t, env, "balance", "--api-secret", userSecret).want(t, exitOK)
	delete(env, envAPISecret)
	env[envBaseURL] = "http://127.0.0.1:1"
	cliRun(t, env, "balance").wantErr(t, exitError, "set by VONAGE_BASE_URL")
	cliRun(t, env, "balance", "--base-url", s.url).want(t, exitOK)
	delete(env, envBaseURL)

	// A second profile, chosen by --profile, by VONAGE_PROFILE, or by
	// config use; its secret from a command.
	cliRun(t, env, "config", "use", "other").want(t, exitNotFound)
	cliRun(t, env, "--profile", "other", "config", "set", "base-url", s.url).want(t, exitOK)
	cliRun(t, env, "--profile", "other", "config", "set", "api-key", key).want(t, exitOK)
	cliRun(t, env, "config", "set", "api-secret-command", "echo Wr0ngSecretX", "--profile", "other").want(t, exitOK)
	cliRun(t, env, "balance", "--profile", "other").wantErr(t, exitAuth, `profile "other" (api-secret-command)`)
	cliRun(t, env, "config", "set", "api-secret-command", "printf '%s\\n' "+userSecret, "--profile", "other").want(t, exitOK)
	cliRun(t, env, "balance", "--profile", "other").want(t, exitOK)
	cliRun(t, env, "config", "use", "other").want(t, exitOK)
	if r := cliRun(t, env, "config", "list").want(t, exitOK); !regexp.MustCompile(`(?m)^\* other\s+api-key`).MatchString(r.stdout) {
		t.Errorf("config list does not mark the active profile:\n%s", r.stdout)
	}
	cliRun(t, env, "config", "set", "api-secret-command", "exit 3").want(t, exitOK)
	cliRun(t, env, "balance").wantErr(t, exitError, "api-secret-command")
	env[envProfile] = "default"
	cliRun(t, env, "balance").want(t, exitOK)

	// No config directory at all: the profile is empty, nothing fails.
	cliRun(t, map[string]string{"VONAGE_API_KEY": key, "VONAGE_API_SECRET": userSecret, "VONAGE_BASE_URL": s.url}, "balance").want(t, exitOK)
}
