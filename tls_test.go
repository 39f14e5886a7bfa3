package vonage_test

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// startSelfSigned starts a server over HTTPS with a self-signed
// certificate and one account; it returns the server and the account's
// credentials.
func startSelfSigned(t *testing.T) (*server.Server, *vonage.KeySecretAuth) {
	t.Helper()
	cfg := server.TestConfig()
	cfg.TLSSelfSigned, cfg.TLSDir = true, t.TempDir()
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	const key, secret = "tlskey01", "Tls-Secret-1234"
	if _, _, _, err := srv.Service.Bootstrap(context.Background(), key, secret); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	return srv, vonage.CreateAuthFromKeySecret(key, secret)
}

// TestCAFile: a client trusting the server's CA file (by option or by
// VONAGE_CA_FILE) gets the balance over HTTPS, with verification on; a
// client that does not trust it fails on the certificate; a CA file that
// cannot be used fails every call naming the file.
func TestCAFile(t *testing.T) {
	srv, auth := startSelfSigned(t)
	pool, err := vonage.CertPoolFromFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VONAGE_CA_FILE", "")
	for name, opt := range map[string]vonage.ClientOption{
		"WithCAFile":  vonage.WithCAFile(srv.CAFile),
		"WithRootCAs": vonage.WithRootCAs(pool),
	} {
		c := vonage.NewAccountClient(auth, vonage.WithBaseURL(srv.URL), opt)
		if bal, _, err := c.GetBalance(); err != nil || bal.Value != 0 {
			t.Errorf("%s: GetBalance over HTTPS = %+v, %v", name, bal, err)
		}
	}

	_, _, err = vonage.NewAccountClient(auth, vonage.WithBaseURL(srv.URL), vonage.WithRetries(0)).GetBalance()
	var unknown x509.UnknownAuthorityError
	if !errors.Is(err, vonage.ErrTransport) || !errors.As(err, &unknown) {
		t.Errorf("without the CA file: %v, want ErrTransport from x509.UnknownAuthorityError", err)
	}

	t.Setenv("VONAGE_CA_FILE", srv.CAFile)
	if _, _, err := vonage.NewAccountClient(auth, vonage.WithBaseURL(srv.URL)).GetBalance(); err != nil {
		t.Errorf("with VONAGE_CA_FILE: %v", err)
	}
	// WithRootCAs(nil) drops VONAGE_CA_FILE: back to the system's roots.
	_, _, err = vonage.NewAccountClient(auth, vonage.WithBaseURL(srv.URL), vonage.WithRetries(0), vonage.WithRootCAs(nil)).GetBalance()
	if !errors.As(err, &unknown) {
		t.Errorf("WithRootCAs(nil) after VONAGE_CA_FILE: %v", err)
	}

	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.pem"), notPEM} {
		t.Setenv("VONAGE_CA_FILE", bad)
		_, _, err := vonage.NewAccountClient(auth, vonage.WithBaseURL(srv.URL)).GetBalance()
		if !errors.Is(err, vonage.ErrInvalidRequest) {
			t.Errorf("VONAGE_CA_FILE=%s: %v, want ErrInvalidRequest", bad, err)
		}
		if _, _, err := vonage.NewAccountClient(auth, vonage.WithBaseURL(srv.URL), vonage.WithCAFile(srv.CAFile)).GetBalance(); err != nil {
			t.Errorf("WithCAFile over a bad VONAGE_CA_FILE: %v", err)
		}
	}
}
