package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// lockedBuffer is an output written by listen's handlers while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until cond holds, or fails the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startListen runs `vonage listen args…` until the returned function ends
// it as Ctrl-C would, and returns its stdout, stderr and that function,
// which returns the error run returned (its exit code: 130).
func startListen(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr *lockedBuffer, stop func() error) {
	t.Helper()
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"listen"}, args...), func(n string) string { return env[n] }, strings.NewReader(stdin), stdout, stderr)
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel(errInterrupted) // what main does on SIGINT
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("listen did not end within 15s of its cancellation")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stdout, stderr, stop
}

// TestListenSetCallbacks is the walk: listen points the account's
// callbacks at itself, an inbound SMS and a receipt triggered through the
// admin API arrive signed and are printed, and on exit the URLs the
// account had before are back.
func TestListenSetCallbacks(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	cfg.DB = filepath.Join(t.TempDir(), "db")
	cfg.AdminToken = adminToken
	cfg.DataKey = base64.StdEncoding.EncodeToString(make([]byte, account.DataKeyLen)) // signature secrets need one
	srv := testutil.StartServer(t, cfg)
	s := &testServer{url: srv.URL, svc: srv.Service}
	key, env := s.newUser(t)
	const sigSecret = "0123456789abcdef0123456789abcdef"
	sig, err := s.svc.PrepareSignature(key, sigSecret, account.SigSHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.svc.SetSignature(t.Context(), key, sig); err != nil {
		t.Fatal(err)
	}
	const oldMO, oldDR = "https://example.com/old-mo", "https://example.com/old-dr"
	cliRun(t, env, "settings", "--mo-url", oldMO, "--dr-url", oldDR).want(t, exitOK)

	out, errOut, stop := startListen(t, env, sigSecret+"\n", "--port", "0", "--set-callbacks", "--signature-secret-stdin", "--signature-method", "sha256")
	var mo string
	waitFor(t, 10*time.Second, "the callback URLs never pointed at listen", func() bool {
		var got settingsJSON
		r := cliRun(t, env, "settings", "--json")
		_ = json.Unmarshal([]byte(r.stdout), &got)
		mo = got.MoCallbackURL
		return strings.HasPrefix(mo, "http://127.0.0.1:") && strings.HasPrefix(got.DrCallbackURL, "http://127.0.0.1:")
	})

	admin := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.url+"/admin/accounts/"+key+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	admin("/inbound-sms", `{"to":"447700900000","msisdn":"447700900001","text":"hello listener"}`)
	waitFor(t, 15*time.Second, "the inbound SMS was not printed:\n"+out.String(), func() bool { return strings.Contains(out.String(), "hello listener") })
	admin("/delivery-receipts", `{"messageId":"0B00000127FDBC63","to":"Vonage","msisdn":"447700900001","status":"delivered"}`)
	waitFor(t, 15*time.Second, "the receipt was not printed:\n"+out.String(), func() bool { return strings.Contains(out.String(), "delivery receipt") })

	got := out.String()
	for _, want := range []string{
		"POST " + listenMOPath + " inbound SMS, signature ok\n",
		"POST " + listenDRPath + " delivery receipt, signature ok\n",
		"  keyword            HELLO\n", "  msisdn             447700900001\n", "  status             delivered\n", "  api-key            " + key + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("listen's output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "BAD") || strings.Contains(errOut.String(), sigSecret) || strings.Contains(got, sigSecret) {
		t.Errorf("output:\n%s\nstderr:\n%s", got, errOut.String())
	}

	if err := stop(); exitCode(err) != exitInterrupted {
		t.Fatalf("listen ended with %v (exit %d), want exit 130; stderr:\n%s", err, exitCode(err), errOut.String())
	}
	// The URLs are restored, then the one line saying it stopped.
	if e := errOut.String(); !regexp.MustCompile(`\nCallback URLs restored: [^\n]+\nvonage: listen stopped \(interrupted\) after 2 callbacks\n\z`).MatchString(e) {
		t.Errorf("stderr does not end with the restored URLs and then the stopped line:\n%s", e)
	}
	var after settingsJSON
	r := cliRun(t, env, "settings", "--json").want(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &after); err != nil || after.MoCallbackURL != oldMO || after.DrCallbackURL != oldDR {
		t.Fatalf("after listen the URLs are %+v (%v), want %s and %s back", after, err, oldMO, oldDR)
	}
	if !strings.Contains(errOut.String(), "Callback URLs restored") {
		t.Errorf("stderr does not say the URLs were restored:\n%s", errOut.String())
	}
}

// TestListenPrinter: each way a delivery can come (query, form, JSON) is
// read, its kind guessed and its signature judged; --json is one object
// per line.
func TestListenPrinter(t *testing.T) {
	t.Parallel()
	const secret = "listen-secret-1"
	var out bytes.Buffer
	p := &callbackPrinter{out: &out, asJSON: true, secret: secret, method: account.SigMD5Hash}
	signedQuery := "msisdn=447700900001&status=delivered&messageId=0B00000127FDBC63&timestamp=1700000000"
	params, _ := callbackParams(httptest.NewRequest(http.MethodGet, "/?"+signedQuery, nil))
	good := md5Sig(t, params, secret)

	for _, tc := range []struct {
		name, method, target, contentType, body string
		kind, signature                         string
	}{
		{"GET signed", http.MethodGet, "/?" + signedQuery + "&sig=" + good, "", "", "delivery receipt", "ok"},
		{"GET tampered", http.MethodGet, "/?" + strings.Replace(signedQuery, "delivered", "failed", 1) + "&sig=" + good, "", "", "delivery receipt", "BAD"},
		{"form unsigned", http.MethodPost, "/", "application/x-www-form-urlencoded", "text=hi+there&msisdn=1", "inbound SMS", "missing"},
		{"JSON", http.MethodPost, "/", "application/json; charset=utf-8", `{"text":"hi","n":3}`, "inbound SMS", "missing"},
		{"neither", http.MethodPost, "/", "application/json", `{"x":"y"}`, "unknown callback", "missing"},
	} {
		out.Reset()
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: answered %d", tc.name, rec.Code)
		}
		if strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%s: --json printed %q, want one line", tc.name, out.String())
		}
		var d callbackJSON
		if err := json.Unmarshal(out.Bytes(), &d); err != nil || d.Kind != tc.kind || d.Signature != tc.signature || d.Method != tc.method {
			t.Errorf("%s: %+v (%v), want kind %q, signature %q", tc.name, d, err, tc.kind, tc.signature)
		}
		if tc.name == "JSON" && (d.Fields["text"] != "hi" || d.Fields["n"] != "3") {
			t.Errorf("JSON fields %v", d.Fields)
		}
	}
}

// md5Sig signs params as the server signs a callback with md5hash: the
// legacy string (sorted "&name=value", '&' and '=' in values as '_')
// followed by the secret, MD5 in hex.
func md5Sig(t *testing.T, params []account.Param, secret string) string {
	t.Helper()
	sorted := slices.Clone(params)
	slices.SortFunc(sorted, func(a, b account.Param) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for _, p := range sorted {
		b.WriteString("&" + p.Name + "=" + strings.NewReplacer("&", "_", "=", "_").Replace(p.Value))
	}
	sum := md5.Sum([]byte(b.String() + secret))
	return hex.EncodeToString(sum[:])
}
