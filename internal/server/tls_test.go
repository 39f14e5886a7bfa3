package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// TestCheckTLS: TLS settings that cannot work are refused, naming the field.
func TestCheckTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		spoil func(*server.Config)
	}{
		{"TLSKeyFile", func(c *server.Config) { c.TLSCertFile = "cert.pem" }},
		{"TLSCertFile", func(c *server.Config) { c.TLSKeyFile = "key.pem" }},
		{"TLSSelfSigned", func(c *server.Config) { c.TLSSelfSigned, c.TLSCertFile, c.TLSKeyFile = true, "c.pem", "k.pem" }},
		{"TLSAddr", func(c *server.Config) { c.TLSAddr = "127.0.0.1:8443" }},
		{"TLSAddr", func(c *server.Config) { c.TLSSelfSigned, c.TLSAddr = true, c.Addr }},
		{"TLSDir", func(c *server.Config) { c.TLSDir = t.TempDir() }},
	} {
		cfg := server.DefaultConfig()
		tc.spoil(&cfg)
		var ce *server.ConfigError
		if err := cfg.Check(); !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: Check() = %v, want a ConfigError naming it", tc.field, err)
		}
	}
	for _, ok := range []func(*server.Config){
		func(c *server.Config) { c.TLSCertFile, c.TLSKeyFile = "c.pem", "k.pem" },
		func(c *server.Config) { c.TLSSelfSigned, c.TLSAddr, c.TLSDir = true, "127.0.0.1:8443", "/tmp" },
	} {
		cfg := server.DefaultConfig()
		ok(&cfg)
		if err := cfg.Check(); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

func startTLS(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	return srv
}

// trusting returns an http.Client whose only root is the PEM file caFile.
func trusting(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
}

// TestSelfSignedTLS: a self-signed server answers over HTTPS a client that
// trusts its CA file, by name and by both loopback addresses' URL form, and
// refuses one that does not; the files are 0600 and reused on restart.
func TestSelfSignedTLS(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "made") // a missing TLSDir is made
	cfg := server.TestConfig()
	cfg.TLSSelfSigned, cfg.TLSDir = true, dir
	srv := startTLS(t, cfg)
	if !strings.HasPrefix(srv.URL, "https://") || srv.TLSURL != srv.URL {
		t.Fatalf("URL %q, TLSURL %q: want one https URL", srv.URL, srv.TLSURL)
	}
	certFile, keyFile := cfg.SelfSignedPaths()
	if srv.CAFile != certFile || filepath.Dir(certFile) != dir {
		t.Errorf("CAFile %q, want %q in %s", srv.CAFile, certFile, dir)
	}
	for _, f := range []string{certFile, keyFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode().Perm())
		}
	}
	c := trusting(t, srv.CAFile)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{srv.URL, "https://localhost" + port} {
		res, err := c.Get(u + "/healthz")
		if err != nil {
			t.Fatalf("GET %s/healthz trusting the CA file: %v", u, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 || res.ProtoMajor != 2 {
			t.Errorf("GET %s/healthz: %d, TLS %+v", u, res.StatusCode, res.TLS)
		}
	}
	_, err := (&http.Client{Timeout: 10 * time.Second}).Get(srv.URL + "/healthz")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("a client not trusting the CA file: %v, want x509.UnknownAuthorityError", err)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Transport.(*http.Transport).TLSClientConfig.RootCAs, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(srv.URL + "/healthz"); err == nil {
		t.Error("TLS 1.1 was accepted")
	}
	srv.Close()

	before, _ := os.ReadFile(certFile)
	srv2 := startTLS(t, cfg)
	after, _ := os.ReadFile(certFile)
	if !bytes.Equal(before, after) {
		t.Error("the self-signed certificate was not reused on restart")
	}
	res, err := c.Get(srv2.URL + "/healthz")
	if err != nil {
		t.Fatalf("restarted server, same CA file: %v", err)
	}
	res.Body.Close()
}

// TestTLSBesideHTTP: with TLSAddr, Addr serves HTTP and TLSAddr HTTPS; a
// certificate and key from files serve as well as a generated one.
func TestTLSBesideHTTP(t *testing.T) {
	t.Parallel()
	gen := server.TestConfig()
	gen.DB = filepath.Join(t.TempDir(), "gen.db")
	gen.TLSSelfSigned = true
	first := startTLS(t, gen)
	first.Close()
	certFile, keyFile := gen.SelfSignedPaths()
	if certFile != gen.DB+"-tls-cert.pem" || keyFile != gen.DB+"-tls-key.pem" {
		t.Errorf("paths %s %s, want beside %s", certFile, keyFile, gen.DB)
	}

	cfg := server.TestConfig()
	cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TLSAddr = certFile, keyFile, "127.0.0.1:0"
	srv := startTLS(t, cfg)
	if !strings.HasPrefix(srv.URL, "http://") || !strings.HasPrefix(srv.TLSURL, "https://") || srv.CAFile != "" {
		t.Fatalf("URL %q, TLSURL %q, CAFile %q", srv.URL, srv.TLSURL, srv.CAFile)
	}
	for _, get := range []struct {
		c *http.Client
		u string
	}{{http.DefaultClient, srv.URL}, {trusting(t, certFile), srv.TLSURL}} {
		res, err := get.c.Get(get.u + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s/healthz: %d", get.u, res.StatusCode)
		}
		if strings.HasPrefix(get.u, "https:") && res.ProtoMajor != 2 {
			t.Errorf("%s/healthz over %s, want HTTP/2", get.u, res.Proto)
		}
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestTLSIdleNearCap: the listener still sees HTTPS connections go idle
// (through the *tls.Conn), so near the cap an idle one is closed after
// IdleTimeoutNearCap, not IdleTimeout.
func TestTLSIdleNearCap(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	cfg.TLSSelfSigned, cfg.TLSDir = true, t.TempDir()
	cfg.MaxConnections, cfg.IdleTimeoutNearCap = 2, 100*time.Millisecond
	srv := startTLS(t, cfg)
	pem, _ := os.ReadFile(srv.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(srv.URL, "https://"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = br.ReadByte()
	var ne interface{ Timeout() bool }
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("idle HTTPS connection still open after %v (err %v)", time.Since(start), err)
	}
}
