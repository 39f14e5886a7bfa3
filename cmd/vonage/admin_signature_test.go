package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// testDataKey lets the test server seal signature secrets.
var testDataKey = base64.StdEncoding.EncodeToString([]byte("data-key-for-cli-tests-012345678"))

// signedBalance asks for key's balance with a signed request (sha256, the
// legacy signing string "&api_key=K&timestamp=T") and returns the status.
func signedBalance(t *testing.T, s *testServer, key, secret string) int {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("&api_key=" + key + "&timestamp=" + ts))
	q := url.Values{"api_key": {key}, "timestamp": {ts}, "sig": {hex.EncodeToString(mac.Sum(nil))}}
	resp, err := http.Get(s.url + "/account/get-balance?" + q.Encode())
	if err != nil {
		t.Fatalf("signed request: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func showSignature(t *testing.T, s *testServer, key string) string {
	t.Helper()
	r := cliRun(t, s.adminEnv(), "admin", "account", "show", key, "--json").want(t, exitOK)
	var acct accountJSON
	if err := json.Unmarshal([]byte(r.stdout), &acct); err != nil {
		t.Fatalf("admin account show --json: %v\n%s", err, r.stdout)
	}
	return acct.SignatureMethod
}

func TestAdminSignature(t *testing.T) {
	t.Parallel()
	s := startServerConfig(t, func(cfg *server.Config) { cfg.DataKey = testDataKey })
	key, _ := s.newUser(t)
	const sigSecret = "S1gnature-secret-for-cli"

	if got := signedBalance(t, s, key, sigSecret); got != http.StatusUnauthorized {
		t.Fatalf("signed request before any signature: %d, want 401", got)
	}

	// From stdin's first line; the answer shows the method, never the secret.
	r := invoke(t, s.adminEnv(), strings.NewReader(sigSecret+"\n"), "admin", "account", "signature", key, "--method", "sha256", "--json").want(t, exitOK)
	var acct accountJSON
	if err := json.Unmarshal([]byte(r.stdout), &acct); err != nil || acct.SignatureMethod != "sha256" || acct.APIKey != key {
		t.Fatalf("admin account signature --json = %s (%v)", r.stdout, err)
	}
	if got := signedBalance(t, s, key, sigSecret); got != http.StatusOK {
		t.Errorf("signed request with the secret set: %d, want 200", got)
	}
	if got := signedBalance(t, s, key, sigSecret+"x"); got != http.StatusUnauthorized {
		t.Errorf("signed request with another secret: %d, want 401", got)
	}
	r = invoke(t, s.adminEnv(), strings.NewReader(""), "admin", "account", "show", key).want(t, exitOK)
	if !strings.Contains(r.stdout, "Signature:") || !strings.Contains(r.stdout, "sha256 (secret set, never shown)") {
		t.Errorf("admin account show lacks the signature method:\n%s", r.stdout)
	}

	// Typed at a "terminal": twice, the same.
	tty := &fakeTerminal{entries: []string{"An0ther-signature", "An0ther-signature"}}
	r = invoke(t, s.adminEnv(), tty, "admin", "account", "signature", key, "--method", "md5hash").want(t, exitOK)
	if !strings.Contains(r.stdout, "md5hash (secret set") || !strings.Contains(r.stderr, "New signature secret: ") || !strings.Contains(r.stderr, "Repeat the signature secret: ") {
		t.Errorf("signature from a terminal:\n%s", r.all())
	}
	if got := signedBalance(t, s, key, sigSecret); got != http.StatusUnauthorized {
		t.Errorf("the replaced sha256 secret still signs: %d", got)
	}

	// Refused before anything is sent; the method stays md5hash.
	invoke(t, s.adminEnv(), &fakeTerminal{entries: []string{"An0ther-signature", "An0ther-signaturf"}},
		"admin", "account", "signature", key, "--method", "sha1").wantErr(t, exitError, "differ")
	tty = &fakeTerminal{entries: []string{"short", "short"}}
	invoke(t, s.adminEnv(), tty, "admin", "account", "signature", key, "--method", "sha1").wantErr(t, exitError, "Invalid signature secret", "8 to 128")
	if tty.reads != 1 {
		t.Errorf("a short secret was asked for again (%d reads)", tty.reads)
	}
	invoke(t, s.adminEnv(), strings.NewReader("has a space\n"), "admin", "account", "signature", key, "--method", "sha1").wantErr(t, exitError, "printable ASCII")
	invoke(t, s.adminEnv(), strings.NewReader(""), "admin", "account", "signature", key, "--method", "sha1").wantErr(t, exitError, "no secret given")
	cliRun(t, s.adminEnv(), "admin", "account", "signature", key).wantErr(t, exitUsage, "--method", "--off")
	cliRun(t, s.adminEnv(), "admin", "account", "signature", key, "--off", "--method", "sha1").wantErr(t, exitUsage, "cannot be combined")
	cliRun(t, s.adminEnv(), "admin", "account", "signature", key, "--method", "sha384").wantErr(t, exitUsage, "md5hash, md5, sha1, sha256, sha512")
	if got := showSignature(t, s, key); got != "md5hash" {
		t.Errorf("after refused changes the method is %q, want md5hash", got)
	}
	invoke(t, s.adminEnv(), strings.NewReader(sigSecret+"\n"), "admin", "account", "signature", "nosuchkey", "--method", "sha256").want(t, exitNotFound)

	// --off removes it: signed requests are refused again.
	r = cliRun(t, s.adminEnv(), "admin", "account", "signature", key, "--off").want(t, exitOK)
	if !strings.Contains(r.stdout, "Signature:") || !strings.Contains(r.stdout, "(none)") {
		t.Errorf("after --off:\n%s", r.stdout)
	}
	if got := showSignature(t, s, key); got != "" {
		t.Errorf("after --off the method is %q", got)
	}
}

// A server without a data key refuses a signature secret, and says why.
func TestAdminSignatureNoDataKey(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, _ := s.newUser(t)
	invoke(t, s.adminEnv(), strings.NewReader("S1gnature-secret-for-cli\n"), "admin", "account", "signature", key, "--method", "sha256").
		wantErr(t, exitError, "Bad Request", "no data key")
	if got := showSignature(t, s, key); got != "" {
		t.Errorf("a refused signature left the method %q", got)
	}
}
