package vonage

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// envCAFile names a PEM file of certificates the client trusts for HTTPS,
// instead of the system's roots: the file `vonage serve --tls-self-signed`
// prints.
const envCAFile = "VONAGE_CA_FILE"

// WithRootCAs makes the client trust, for HTTPS, the certificates in pool
// instead of the system's roots; certificates are still verified. A nil pool
// restores the system's roots (and drops VONAGE_CA_FILE). It sets up the
// client's own http.Client: with WithHTTPClient, put the roots in that
// client's transport instead.
func WithRootCAs(pool *x509.CertPool) ClientOption {
	return func(c *AccountClient) {
		c.rootCAs, c.rootCAsErr = pool, nil
	}
}

// WithCAFile is WithRootCAs with the certificates of the PEM file at path
// (such as the one `vonage serve --tls-self-signed` prints), read now. A
// file that cannot be read or holds no certificate makes every call fail
// with ErrInvalidRequest, naming the file. An empty path changes nothing.
// VONAGE_CA_FILE, when set, is read the same way by NewAccountClient.
func WithCAFile(path string) ClientOption {
	return func(c *AccountClient) {
		if path == "" {
			return
		}
		c.rootCAs, c.rootCAsErr = nil, nil
		pool, err := CertPoolFromFile(path)
		if err != nil {
			c.rootCAsErr = err
			return
		}
		c.rootCAs = pool
	}
}

// CertPoolFromFile returns a pool of the certificates in the PEM file at
// path, for WithRootCAs or any http.Transport.
func CertPoolFromFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("CA file %s: %w", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// TransportWithRootCAs returns a copy of http.DefaultTransport that trusts
// the certificates in pool for HTTPS (TLS 1.2 and later).
func TransportWithRootCAs(pool *x509.CertPool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t
}

// applyRootCAs gives the client's own http.Client the roots of WithRootCAs,
// WithCAFile or VONAGE_CA_FILE, once every option has run.
func (c *AccountClient) applyRootCAs() {
	if c.rootCAs != nil && !c.ownHTTPClient {
		c.httpClient = &http.Client{Timeout: defaultTimeout, Transport: TransportWithRootCAs(c.rootCAs)}
	}
}
