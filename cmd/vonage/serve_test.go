package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// serving is one "vonage serve" started through run, with the lines it
// printed to stdout up to and including "Listening on http://...".
type serving struct {
	url    string
	out    string
	logs   *logWatch
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startServe runs "vonage serve" on a random port, with any extra flags,
// and waits, by reading its stdout, until it listens.
func startServe(t *testing.T, db string, env map[string]string, flags ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &serving{logs: &logWatch{}, cancel: cancel, done: make(chan error, 1)}
	getenv := func(name string) string { return env[name] }
	go func() {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, flags...)
		err := run(ctx, args, getenv, strings.NewReader(""), pw, s.logs)
		pw.CloseWithError(fmt.Errorf("serve returned %v", err)) // unblocks the reader below
		s.done <- err
	}()
	t.Cleanup(func() { _ = s.stop() })

	sc := bufio.NewScanner(pr)
	var out strings.Builder
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if addr, ok := strings.CutPrefix(line, "Listening on "); ok {
			s.url = addr
			break
		}
	}
	s.out = out.String()
	if s.url == "" {
		t.Fatalf("serve never listened: %v\nstdout:\n%s\nstderr:\n%s", sc.Err(), s.out, s.logs)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return s
}

// stop cancels serve's context (main's SIGTERM) and returns what run returned.
func (s *serving) stop() error {
	s.cancel()
	return s.wait()
}

func (s *serving) wait() error {
	s.once.Do(func() { s.err = <-s.done })
	return s.err
}

// logWatch collects serve's log and tells when a text has appeared in it.
type logWatch struct {
	mu      sync.Mutex
	buf     strings.Builder
	waiters []logWaiter
}

type logWaiter struct {
	text string
	ch   chan struct{}
}

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	kept := w.waiters[:0]
	for _, wt := range w.waiters {
		if strings.Contains(w.buf.String(), wt.text) {
			close(wt.ch)
		} else {
			kept = append(kept, wt)
		}
	}
	w.waiters = kept
	return len(p), nil
}

// waitFor returns a channel closed once text is in the log.
func (w *logWatch) waitFor(text string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if strings.Contains(w.buf.String(), text) {
		close(ch)
	} else {
		w.waiters = append(w.waiters, logWaiter{text, ch})
	}
	return ch
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServe runs the real "vonage serve" (with the OWASP argon2 cost, so it
// makes few authenticated calls): bootstrap, health, draining on shutdown,
// restart, and a chosen bootstrap account.
func TestServe(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "vonage.db")

	// On an empty database the first account is created; stdout is not a
	// terminal, so its secret goes to a 0600 file beside the database,
	// whose path is printed, and never to stdout.
	s := startServe(t, db, nil)
	key, secret := readBootstrapFile(t, db+".bootstrap-secret")
	if !strings.Contains(s.out, db+".bootstrap-secret") || strings.Contains(s.out, secret) {
		t.Errorf("stdout should name the secret's file, not the secret:\n%s", s.out)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code := getStatus(t, s.url+path); code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
	}

	// Draining: a request whose body is still arriving when shutdown starts
	// is answered in full, and run then returns nil (exit 0). The request
	// asks for "100 Continue", whose arrival proves its handler is running
	// before the context is cancelled.
	u, _ := url.Parse(s.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	body := url.Values{"api_key": {key}, "api_secret": {secret}, "moCallBackUrl": {"https://example.com/drained"}}.Encode()
	head := fmt.Sprintf("POST /account/settings HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", u.Host, len(body))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v, %v", resp, err)
	}
	if _, err := io.WriteString(conn, body[:len(body)-1]); err != nil {
		t.Fatal(err)
	}
	draining := s.logs.waitFor("shutting down")
	s.cancel()
	<-draining
	if _, err := io.WriteString(conn, body[len(body)-1:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the drained response: %v\nlogs:\n%s", err, s.logs)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(data), "https://example.com/drained") {
		t.Errorf("drained response: %d %q (%v)", resp.StatusCode, data, err)
	}
	if err := s.wait(); err != nil {
		t.Errorf("run returned %v after draining, want nil", err)
	}
	if code := exitCode(s.wait()); code != exitOK {
		t.Errorf("exit code %d, want 0", code)
	}
	if strings.Contains(s.logs.String(), secret) {
		t.Errorf("the log shows the bootstrap secret")
	}

	// A second start on the same database creates nothing and prints no
	// secret; the drained change was kept.
	s = startServe(t, db, nil)
	if strings.Contains(s.out, "secret") || strings.Contains(s.out, "Created") {
		t.Errorf("second start printed:\n%s", s.out)
	}
	r := cliRun(t, map[string]string{"VONAGE_API_KEY": key, "VONAGE_API_SECRET": secret, "VONAGE_BASE_URL": s.url}, "settings", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, "https://example.com/drained") {
		t.Errorf("settings after restart:\n%s", r.stdout)
	}
	if err := s.stop(); err != nil {
		t.Errorf("run returned %v on cancel, want nil", err)
	}

	// VONAGE_BOOTSTRAP_API_KEY/SECRET create exactly that account, and
	// print no secret.
	const bootKey, bootSecret = "bootkey01", "B00tSecretXyz"
	s = startServe(t, filepath.Join(t.TempDir(), "chosen.db"), map[string]string{
		"VONAGE_BOOTSTRAP_API_KEY": bootKey, "VONAGE_BOOTSTRAP_API_SECRET": bootSecret,
	})
	if strings.Contains(s.out, bootSecret) || strings.Contains(s.out, "API secret") {
		t.Errorf("chosen bootstrap printed:\n%s", s.out)
	}
	cliRun(t, map[string]string{"VONAGE_API_KEY": bootKey, "VONAGE_API_SECRET": bootSecret, "VONAGE_BASE_URL": s.url}, "balance").want(t, exitOK)
	if err := s.stop(); err != nil {
		t.Errorf("run returned %v on cancel, want nil", err)
	}
	if strings.Contains(s.logs.String(), bootSecret) {
		t.Errorf("the log shows the bootstrap secret")
	}
}

// readBootstrapFile returns the key and secret of a bootstrap secret
// file, checking that only its owner may read it.
func readBootstrapFile(t *testing.T, path string) (key, secret string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no bootstrap secret file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k := regexp.MustCompile(`(?m)^VONAGE_API_KEY=(\S+)$`).FindStringSubmatch(string(data))
	m := regexp.MustCompile(`(?m)^VONAGE_API_SECRET=(\S+)$`).FindStringSubmatch(string(data))
	if k == nil || m == nil {
		t.Fatalf("bootstrap secret file holds %d bytes without a key and secret", len(data))
	}
	return k[1], m[1]
}

// TestServeRefusesBadLimits: settings that cannot work stop serve before
// it opens anything, with a usage error.
func TestServeRefusesBadLimits(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "never.db")
	// Each setting is a flag or its variable: a bad value in either is
	// refused, naming it, never silently replaced by the default.
	for _, tc := range []struct {
		setting, value string // "--flag" or "VONAGE_VARIABLE"
		want           string // what the error says; the setting's name when empty
	}{
		{"VONAGE_PEPPER", "short", ""},
		{"VONAGE_ADMIN_TOKEN", "admintok", "VONAGE_ADMIN_TOKEN must be at least 24 characters"},
		{"--trusted-proxies", "10.0.0.0/8,nonsense", ""},
		{"--client-ip-header", "X-Real-IP", ""},
		{"--auth-fail-limit-pair", "-1", ""},
		{"--auth-fail-window", "0s", ""},
		{"--max-in-flight", "-5", ""},
		{"--db-timeout", "0s", ""},
		{"--verify-cache-size", "-1", ""},
		{"--hash-wait", "-1s", ""},
		{"--dashboard-session-lifetime", "0s", ""},
		{"VONAGE_DASHBOARD_SESSION_LIFETIME", "800h", ""},
		{"VONAGE_MAX_IN_FLIGHT", "abc", ""},
		{"VONAGE_RATE_LIMIT", "nope", ""},
		{"VONAGE_AUTH_FAIL_WINDOW", "soon", ""},
		{"VONAGE_AUTH_FAIL_WINDOW", "0s", ""},
		{"VONAGE_MAX_CONNECTIONS", "-1", ""},
		{"VONAGE_PG_MAX_CONNS", "4x", ""},
		{"VONAGE_CLIENT_IP_HEADER", "X-Real-IP", ""},
		{"VONAGE_DB_TIMEOUT", "soon", ""},
		{"VONAGE_DB_TIMEOUT", "0s", ""},
		{"VONAGE_VERIFY_CACHE_SIZE", "many", ""},
		{"--limits-url", "http://u:short@127.0.0.1:6379/", ""}, // the password is not echoed (below)
		{"VONAGE_LIMITS_URL", "127.0.0.1:6379", ""},
	} {
		args := []string{"serve", "--addr", "127.0.0.1:0", "--db", db}
		env := map[string]string{}
		if strings.HasPrefix(tc.setting, "--") {
			args = append(args, tc.setting, tc.value)
		} else {
			env[tc.setting] = tc.value
		}
		want := cmp.Or(tc.want, tc.setting)
		var stderr strings.Builder
		err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &stderr)
		if exitCode(err) != exitUsage || !strings.Contains(fmt.Sprint(err)+stderr.String(), want) {
			t.Errorf("%s=%q: %v (exit %d), stderr %q; want a usage error naming %s", tc.setting, tc.value, err, exitCode(err), stderr.String(), want)
		}
		if strings.Contains(stderr.String(), "short") {
			t.Errorf("the pepper was echoed: %q", stderr.String())
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused serve created its database")
	}
}

// TestServeAuthLimits runs serve behind a "proxy" (the test, trusted as
// 127.0.0.1) with a low per-pair limit: the attacker's address is refused
// with 429 and Retry-After, the owner's is not, and the account call rate
// is enforced by default.
func TestServeAuthLimits(t *testing.T) {
	t.Parallel()
	const key, secret = "limits001", "L1mitsSecretX"
	s := startServe(t, filepath.Join(t.TempDir(), "limits.db"), map[string]string{
		"VONAGE_BOOTSTRAP_API_KEY": key, "VONAGE_BOOTSTRAP_API_SECRET": secret, "VONAGE_ADMIN_TOKEN": "limits-admin-token-6e2a91",
		"VONAGE_AUTH_FAIL_LIMIT_PAIR": "3", // from the environment; the rest from flags
	}, "--trusted-proxies", "127.0.0.1/32", "--auth-fail-window", "1h", "--log-level", "debug")
	get := func(from, secret string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", s.url+"/account/get-balance?"+url.Values{"api_key": {key}, "api_secret": {secret}}.Encode(), nil)
		req.Header.Set("X-Forwarded-For", from)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	for i := range 3 {
		if res := get("203.0.113.66", "Wrong1Secret"); res.StatusCode != 401 {
			t.Fatalf("guess %d: %d", i+1, res.StatusCode)
		}
	}
	res := get("203.0.113.66", secret)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("past the limit: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := get("198.51.100.7", secret); res.StatusCode != 200 {
		t.Errorf("owner from another address: %d", res.StatusCode)
	}

	// max-calls-per-second is on by default: an account limited to one
	// call a second is refused its second call at once.
	req, _ := http.NewRequest("PATCH", s.url+"/admin/accounts/"+key, strings.NewReader(`{"limits":{"max-calls-per-second":1}}`))
	req.Header.Set("Authorization", "Bearer limits-admin-token-6e2a91")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("PATCH limits: %v %v", res, err)
	}
	statuses := []int{get("198.51.100.7", secret).StatusCode, get("198.51.100.7", secret).StatusCode}
	if statuses[1] != 429 {
		t.Errorf("two calls at once on a 1/s account: %v", statuses)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "request throttled") || strings.Contains(logs, secret) || strings.Contains(logs, "Wrong1Secret") {
		t.Errorf("logs: throttle line missing or a secret shown:\n%s", logs)
	}
}

// TestServePepper: with VONAGE_PEPPER new secrets are peppered; restarted
// without it, such a secret fails and the log says why, once; with the
// pepper back it works again.
func TestServePepper(t *testing.T) {
	t.Parallel()
	const key, secret, pepper = "pepper001", "Pepp3rSecretX", "a-long-server-side-pepper-value"
	db := filepath.Join(t.TempDir(), "pepper.db")
	env := map[string]string{"VONAGE_BOOTSTRAP_API_KEY": key, "VONAGE_BOOTSTRAP_API_SECRET": secret, "VONAGE_PEPPER": pepper}
	balance := func(s *serving) int {
		return getStatus(t, s.url+"/account/get-balance?"+url.Values{"api_key": {key}, "api_secret": {secret}}.Encode())
	}
	s := startServe(t, db, env)
	if code := balance(s); code != 200 {
		t.Errorf("with the pepper: %d", code)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	delete(env, "VONAGE_PEPPER")
	s = startServe(t, db, env)
	for range 2 {
		if code := balance(s); code != 401 {
			t.Errorf("without the pepper: %d", code)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	if strings.Count(logs, "VONAGE_PEPPER") != 1 || strings.Contains(logs, secret) {
		t.Errorf("want one warning naming VONAGE_PEPPER and no secret:\n%s", logs)
	}

	env["VONAGE_PEPPER"] = pepper
	s = startServe(t, db, env)
	if code := balance(s); code != 200 {
		t.Errorf("with the pepper back: %d", code)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.logs.String(), pepper) {
		t.Error("the log shows the pepper")
	}
}
