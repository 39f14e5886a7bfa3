package conformance_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// nodeDir holds the Node side: package.json pinning @vonage/accounts, its
// lockfile, and the script that drives the SDK.
const nodeDir = "../../conformance/node"

const adminToken = "conformance-admin-token-0123456789"

// Bounds: the build, the server's start, and each run of the script.
const (
	buildTimeout = 3 * time.Minute
	startTimeout = 30 * time.Second
	nodeTimeout  = 90 * time.Second
)

// TestNodeSDK runs conformance/node/accounts.test.mjs, which drives every
// Accounts and Secrets method of the published Node SDK and their error
// paths, against `vonage serve` over plain HTTP and over HTTPS trusting the
// server's --tls-self-signed certificate through NODE_EXTRA_CA_CERTS. It
// also checks that the SDK refuses that certificate when it is not trusted,
// so the HTTPS run cannot pass with verification off.
//
// It skips when `npm ci` has not been run in conformance/node, unless
// VONAGE_TEST_NODE=1 (CI sets it), which makes a missing Node or SDK a
// failure.
func TestNodeSDK(t *testing.T) {
	node := requireNode(t)
	srv := startServe(t, buildVonage(t))
	admin := adminapi.New(srv.url, adminToken)

	runs := []struct {
		name, base string
		trustCA    bool
	}{
		{"http", srv.url, false},
		{"https", srv.tlsURL, true},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			env := setUpAccounts(t, admin, run.name)
			env["VONAGE_BASE_URL"] = run.base
			if run.trustCA {
				env["NODE_EXTRA_CA_CERTS"] = srv.caFile
			}
			runScript(t, node, env)
		})
	}
	t.Run("https untrusted", func(t *testing.T) {
		runScript(t, node, map[string]string{
			"VONAGE_BASE_URL":         srv.tlsURL,
			"VONAGE_API_KEY":          "untrusted",
			"VONAGE_API_SECRET":       "Untrusted1",
			"VONAGE_EXPECT_UNTRUSTED": "1",
		})
	})
}

// requireNode returns the node binary, or skips (fails under
// VONAGE_TEST_NODE=1) when Node or the installed SDK is missing.
func requireNode(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the vonage binary and runs Node; skipped with -short")
	}
	missing := t.Skipf
	if os.Getenv("VONAGE_TEST_NODE") == "1" {
		missing = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed (%v); CI installs it, see .ci/run", err)
	}
	sdk := filepath.Join(nodeDir, "node_modules", "@vonage", "accounts", "package.json")
	if _, err := os.Stat(sdk); err != nil {
		missing("the Node SDK is not installed: run `npm ci` in conformance/node (%v)", err)
	}
	return node
}

// buildVonage builds cmd/vonage into a temporary directory.
func buildVonage(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vonage")
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/vonage").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ../../cmd/vonage: %v\n%s", err, out)
	}
	return bin
}

// serve is a running `vonage serve` with HTTP and HTTPS listeners.
type serve struct {
	url, tlsURL string
	caFile      string // the self-signed certificate clients must trust
}

// caLine is how `vonage serve --tls-self-signed` names the file to trust.
var caLine = regexp.MustCompile(`^TLS: self-signed certificate; clients must trust (.+) \(VONAGE_CA_FILE`)

// startServe starts bin on loopback ports the kernel picks, with a fresh
// SQLite file, the admin API on and a self-signed certificate, and reads
// its URLs and CA file from what it prints. The process is killed when the
// test ends.
func startServe(t *testing.T, bin string) serve {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve",
		"--addr", "127.0.0.1:0", "--tls-addr", "127.0.0.1:0", "--tls-self-signed",
		"--db", filepath.Join(dir, "conformance.db"))
	cmd.Env = append(environ(),
		"VONAGE_ADMIN_TOKEN="+adminToken,
		"VONAGE_BOOTSTRAP_API_KEY=bootstrap01",
		"VONAGE_BOOTSTRAP_API_SECRET=Bootstrap1Secret",
		"VONAGE_LOG_LEVEL=warn",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testutil.LockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting vonage serve: %v", err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	ready := make(chan serve, 1)
	go func() {
		defer close(exited)
		var s serve
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "Serving HTTPS on "); ok {
				s.tlsURL = u
			}
			if m := caLine.FindStringSubmatch(line); m != nil {
				s.caFile = m[1]
			}
			if u, ok := strings.CutPrefix(line, "Listening on "); ok {
				s.url = u
				ready <- s
			}
		}
		_ = cmd.Wait() // after the pipe is drained, as StdoutPipe requires
	}()
	select {
	case s := <-ready:
		if !strings.HasPrefix(s.url, "http://") || !strings.HasPrefix(s.tlsURL, "https://") || s.caFile == "" {
			t.Fatalf("vonage serve printed URL %q, HTTPS URL %q, CA file %q; stderr:\n%s", s.url, s.tlsURL, s.caFile, stderr)
		}
		return s
	case <-exited:
		t.Fatalf("vonage serve ended before listening; stderr:\n%s", stderr)
	case <-time.After(startTimeout):
		t.Fatalf("vonage serve printed no listening line in %v; stderr:\n%s", startTimeout, stderr)
	}
	panic("unreachable")
}

// setUpAccounts makes, through the admin API, the two accounts the script
// needs (their keys start with prefix, so each run has its own), and
// returns the script's environment describing them. The second account has
// auto-reload, and a charge below its threshold gives it a reload to top
// up again.
func setUpAccounts(t *testing.T, admin *adminapi.Client, prefix string) map[string]string {
	t.Helper()
	ctx := t.Context()
	const (
		balance   = "12.345"
		secret    = "First1Secret"
		maxCalls  = 500 // the script makes more calls a second than the default 30
		reloadAmt = "20.00"
	)
	calls := maxCalls
	plain, err := admin.CreateAccount(ctx, adminapi.NewAccount{
		APIKey:  prefix + "node01",
		Secret:  secret,
		Balance: balance,
		Limits:  &adminapi.LimitsPatch{MaxCallsPerSecond: &calls},
	})
	if err != nil {
		t.Fatalf("creating the plain account: %v", err)
	}
	reload, err := admin.CreateAccount(ctx, adminapi.NewAccount{
		APIKey:     prefix + "reload01",
		Secret:     "Reload1Secret",
		Balance:    "6.00",
		AutoReload: &adminapi.AutoReload{Threshold: "5.00", Amount: reloadAmt},
		Limits:     &adminapi.LimitsPatch{MaxCallsPerSecond: &calls},
	})
	if err != nil {
		t.Fatalf("creating the auto-reload account: %v", err)
	}
	mv, err := admin.Charge(ctx, reload.APIKey, adminapi.MoneyRequest{Amount: "2.00", Reference: "conformance"})
	if err != nil {
		t.Fatalf("charging below the threshold: %v", err)
	}
	if mv.Reload == nil || mv.Reload.Trx == "" {
		t.Fatalf("a charge below the threshold made no reload: %+v", mv)
	}
	return map[string]string{
		"VONAGE_API_KEY":           plain.APIKey,
		"VONAGE_API_SECRET":        secret,
		"VONAGE_BALANCE":           balance,
		"VONAGE_MAX_CALLS":         strconv.Itoa(maxCalls),
		"VONAGE_RELOAD_API_KEY":    reload.APIKey,
		"VONAGE_RELOAD_API_SECRET": "Reload1Secret",
		"VONAGE_RELOAD_TRX":        mv.Reload.Trx,
		"VONAGE_RELOAD_AMOUNT":     reloadAmt,
		"VONAGE_RELOAD_BALANCE":    mv.Balance,
	}
}

// tapSummary is the node:test TAP summary of a run in which tests ran and
// none failed: a script that ends early or skips everything cannot pass.
var (
	tapPass = regexp.MustCompile(`(?m)^# pass [1-9][0-9]*$`)
	tapFail = regexp.MustCompile(`(?m)^# fail 0$`)
)

// runScript runs the Node script with env added to a cleaned environment
// and fails the test with its output unless every test in it passed.
func runScript(t *testing.T, node string, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test-reporter=tap", "accounts.test.mjs")
	cmd.Dir = nodeDir
	cmd.Env = environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("node ran over %v:\n%s", nodeTimeout, out)
	case err != nil && !errors.As(err, &exit):
		t.Fatalf("running node: %v", err)
	case err != nil || !tapPass.Match(out) || !tapFail.Match(out):
		t.Fatalf("the Node SDK disagrees with the server (%v):\n%s", err, out)
	}
	t.Logf("node: %s", tapPass.Find(out))
}

// environ is this process's environment without the variables that would
// change what the server or Node does behind the test's back: VONAGE_*,
// and NODE_* (NODE_TLS_REJECT_UNAUTHORIZED=0 would turn verification off,
// NODE_EXTRA_CA_CERTS would trust another file, NODE_OPTIONS anything).
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VONAGE_") && !strings.HasPrefix(kv, "NODE_") {
			env = append(env, kv)
		}
	}
	return env
}
