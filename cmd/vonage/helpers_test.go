package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// adminToken is long and odd so a leak check cannot match ordinary words.
const adminToken = "adm1n-t0ken-for-cli-tests"

// testServer is the real server (service, SQLite, HTTP API) on a random
// port, with argon2 parameters cheap enough for tests.
type testServer struct {
	url string
	svc *account.Service
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith is startServer with wrap around the server's handler (when
// not nil), to inject failures in front of the real server.
func startServerWith(t *testing.T, wrap func(http.Handler) http.Handler) *testServer {
	t.Helper()
	return startServerConfig(t, func(cfg *server.Config) { cfg.Wrap = wrap })
}

// startServerConfig is startServer with the configuration changed by
// configure first.
func startServerConfig(t *testing.T, configure func(*server.Config)) *testServer {
	t.Helper()
	cfg := server.TestConfig()
	cfg.DB = filepath.Join(t.TempDir(), "db")
	cfg.AdminToken = adminToken
	configure(&cfg)
	srv := testutil.StartServer(t, cfg)
	return &testServer{url: srv.URL, svc: srv.Service}
}

// highLimits keeps the per-account call rate out of the way of fast tests.
var highLimits = account.Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 10_000}

// newAccount creates an account with the given secret directly through the
// service, and returns its key.
func (s *testServer) newAccount(t *testing.T, secret string, balance account.Money, reload *account.AutoReload) string {
	t.Helper()
	limits := highLimits
	acct, _, err := s.svc.CreateAccount(context.Background(), account.NewAccount{
		Secret: secret, Balance: balance, AutoReload: reload, Limits: &limits,
	})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return acct.APIKey
}

// newUser creates an account with userSecret and no money, and returns its
// key and its user's environment: what most tests start from.
func (s *testServer) newUser(t *testing.T) (key string, env map[string]string) {
	t.Helper()
	key = s.newAccount(t, userSecret, 0, nil)
	return key, s.env(key, userSecret)
}

// newSubaccount creates a subaccount of primary with the given secret, and
// returns its key.
func (s *testServer) newSubaccount(t *testing.T, primary, secret string) string {
	t.Helper()
	limits := highLimits
	acct, _, err := s.svc.CreateAccount(context.Background(), account.NewAccount{
		Secret: secret, PrimaryAPIKey: primary, Limits: &limits,
	})
	if err != nil {
		t.Fatalf("CreateAccount(subaccount of %s): %v", primary, err)
	}
	return acct.APIKey
}

// env returns the environment of a CLI user of that account.
func (s *testServer) env(key, secret string) map[string]string {
	return map[string]string{"VONAGE_API_KEY": key, "VONAGE_API_SECRET": secret, "VONAGE_BASE_URL": s.url}
}

// adminEnv returns the environment of an operator.
func (s *testServer) adminEnv() map[string]string {
	return map[string]string{"VONAGE_ADMIN_TOKEN": adminToken, "VONAGE_BASE_URL": s.url}
}

// result is one run of the CLI as main would report it.
type result struct {
	code           int
	stdout, stderr string
	err            error
}

// all is everything the user would see: stdout and stderr, where run
// reports its error.
func (r result) all() string { return r.stdout + r.stderr }

// invoke runs the CLI with exactly env as its environment and stdin as its
// input. It fails the test if anything shown contains a secret it was given
// (the API secret, the admin token, or a line of stdin).
func invoke(t *testing.T, env map[string]string, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var secrets []string
	for _, name := range []string{"VONAGE_API_SECRET", "VONAGE_ADMIN_TOKEN"} {
		if v := env[name]; v != "" {
			secrets = append(secrets, v)
		}
	}
	if sr, ok := stdin.(*strings.Reader); ok {
		data, _ := io.ReadAll(sr)
		for line := range strings.SplitSeq(string(data), "\n") {
			if line = strings.TrimRight(line, "\r"); line != "" {
				secrets = append(secrets, line)
			}
		}
		stdin = strings.NewReader(string(data))
	}
	if ft, ok := stdin.(*fakeTerminal); ok {
		for _, e := range ft.entries {
			if e != "" {
				secrets = append(secrets, e)
			}
		}
	}
	getenv := func(name string) string { return env[name] }
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, getenv, stdin, &stdout, &stderr)
	r := result{code: exitCode(err), stdout: stdout.String(), stderr: stderr.String(), err: err}
	for _, s := range secrets {
		if strings.Contains(r.all(), s) {
			t.Errorf("vonage %s: output shows a secret:\n%s", strings.Join(args, " "), r.all())
		}
	}
	return r
}

// cliRun runs the CLI with env and no input.
func cliRun(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return invoke(t, env, nil, args...)
}

// want fails the test unless the run ended with the exit code.
func (r result) want(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s\nerr: %v", r.code, code, r.stdout, r.stderr, r.err)
	}
	return r
}

// wantErr fails the test unless the run failed with code and the error line
// contains each of the texts.
func (r result) wantErr(t *testing.T, code int, texts ...string) result {
	t.Helper()
	r.want(t, code)
	if r.err == nil {
		t.Fatalf("no error, want exit code %d", code)
	}
	for _, text := range texts {
		if !strings.Contains(r.err.Error(), text) {
			t.Errorf("error %q does not contain %q", r.err.Error(), text)
		}
	}
	return r
}

// fakeTerminal is an interactive stdin: each ReadPassword returns the next
// entry, as if typed without echo.
type fakeTerminal struct {
	entries []string
	reads   int
}

func (f *fakeTerminal) Read([]byte) (int, error) {
	return 0, errors.New("a terminal is read with ReadPassword")
}

func (f *fakeTerminal) ReadPassword(context.Context) ([]byte, error) {
	if f.reads >= len(f.entries) {
		return nil, io.EOF
	}
	f.reads++
	return []byte(f.entries[f.reads-1]), nil
}
