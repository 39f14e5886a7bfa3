package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeTLSSelfSigned: `vonage serve --tls-self-signed` serves HTTPS and
// prints the CA file, 0600 beside the database; the CLI's account, secrets
// and admin commands reach it with --ca-file or VONAGE_CA_FILE, and fail
// on the certificate without; a restart reuses the certificate.
func TestServeTLSSelfSigned(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tls.db")
	const key, secret, token = "tlscli01", "Tls-Cli-Secret-123", "an-admin-token-of-24-chars-or-more"
	env := map[string]string{"VONAGE_BOOTSTRAP_API_KEY": key, "VONAGE_BOOTSTRAP_API_SECRET": secret, "VONAGE_ADMIN_TOKEN": token}
	s := startServe(t, db, env, "--tls-self-signed")
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("serve --tls-self-signed listens on %s", s.url)
	}
	m := regexp.MustCompile(`clients must trust (\S+)`).FindStringSubmatch(s.out)
	if m == nil {
		t.Fatalf("no CA file printed:\n%s", s.out)
	}
	caFile := m[1]
	if caFile != db+"-tls-cert.pem" {
		t.Errorf("CA file %s, want beside %s", caFile, db)
	}
	for _, f := range []string{caFile, db + "-tls-key.pem"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v; want mode 0600", f, err)
		}
	}
	user := map[string]string{"VONAGE_API_KEY": key, "VONAGE_API_SECRET": secret, "VONAGE_BASE_URL": s.url}
	r := cliRun(t, user, "balance")
	if r.code == exitOK || !strings.Contains(r.all(), "certificate") {
		t.Errorf("balance without the CA file: exit %d\n%s", r.code, r.all())
	}
	cliRun(t, user, "balance", "--ca-file", caFile).want(t, exitOK)
	user["VONAGE_CA_FILE"] = caFile
	cliRun(t, user, "balance").want(t, exitOK)
	cliRun(t, user, "secrets", "list").want(t, exitOK)
	cliRun(t, user, "balance", "--ca-file", filepath.Join(t.TempDir(), "none.pem")).wantErr(t, exitUsage, "none.pem")

	admin := map[string]string{"VONAGE_ADMIN_TOKEN": token, "VONAGE_BASE_URL": s.url}
	if r := cliRun(t, admin, "admin", "account", "show", key); r.code == exitOK {
		t.Errorf("admin without the CA file succeeded:\n%s", r.all())
	}
	cliRun(t, admin, "admin", "account", "show", key, "--ca-file", caFile).want(t, exitOK)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	before, _ := os.ReadFile(caFile)
	s = startServe(t, db, env, "--tls-self-signed")
	if after, _ := os.ReadFile(caFile); string(after) != string(before) {
		t.Error("the restart made a new certificate")
	}
	cliRun(t, map[string]string{"VONAGE_API_KEY": key, "VONAGE_API_SECRET": secret, "VONAGE_BASE_URL": s.url, "VONAGE_CA_FILE": caFile}, "balance").want(t, exitOK)
}

// TestServeTLSBesideHTTP: --tls-addr serves HTTPS beside plain HTTP.
func TestServeTLSBesideHTTP(t *testing.T) {
	db := filepath.Join(t.TempDir(), "both.db")
	s := startServe(t, db, nil, "--tls-self-signed", "--tls-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`Serving HTTPS on (\S+)`).FindStringSubmatch(s.out)
	if !strings.HasPrefix(s.url, "http://") || m == nil {
		t.Fatalf("url %s, stdout:\n%s", s.url, s.out)
	}
	if code := getStatus(t, s.url+"/healthz"); code != 200 {
		t.Errorf("HTTP /healthz: %d", code)
	}
	user := map[string]string{"VONAGE_API_KEY": "nokey123", "VONAGE_API_SECRET": "No-Such-Secret-1", "VONAGE_BASE_URL": m[1], "VONAGE_CA_FILE": db + "-tls-cert.pem"}
	// The CLI's client speaks HTTP/2 over TLS: it must work on TLSAddr too.
	cliRun(t, user, "balance").wantErr(t, exitAuth, "")
}

// TestServeRefusesBadTLS: a certificate without its key stops serve with a
// usage error naming the flag and its variable.
func TestServeRefusesBadTLS(t *testing.T) {
	r := cliRun(t, nil, "serve", "--db", filepath.Join(t.TempDir(), "x.db"), "--tls-cert", "c.pem")
	r.wantErr(t, exitUsage, "--tls-key (VONAGE_TLS_KEY) is needed with a certificate file")
	r = cliRun(t, map[string]string{"VONAGE_TLS_ADDR": "127.0.0.1:8443"}, "serve", "--db", filepath.Join(t.TempDir(), "y.db"))
	r.wantErr(t, exitUsage, "--tls-addr (VONAGE_TLS_ADDR)")
}
