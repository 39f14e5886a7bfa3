package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// selfSignedValidity is how long a generated certificate is valid. One
// that has expired, or expires within selfSignedRenewBefore, is replaced on
// the next start (clients then trust the new file).
const (
	selfSignedValidity    = 365 * 24 * time.Hour
	selfSignedRenewBefore = 24 * time.Hour
)

// selfSignedHosts are the names the generated certificate is valid for.
var selfSignedHosts = []string{"localhost", "127.0.0.1", "::1"}

// TLSEnabled reports whether the server serves HTTPS.
func (c Config) TLSEnabled() bool { return c.TLSSelfSigned || c.TLSCertFile != "" }

// SelfSignedPaths returns where the self-signed certificate (the PEM file
// clients trust) and its key live: beside a SQLite database file
// (vonage.db → vonage.db-tls-cert.pem, vonage.db-tls-key.pem); for an
// in-memory or PostgreSQL database, in TLSDir, else the working directory,
// as vonage-tls-cert.pem and vonage-tls-key.pem. TLSDir, when set, wins
// for a SQLite file too.
func (c Config) SelfSignedPaths() (certFile, keyFile string) {
	dir, base := c.TLSDir, "vonage"
	if c.DB != sqlite.Memory && c.DB != "" && !IsPostgresURL(c.DB) {
		base = filepath.Base(c.DB)
		if dir == "" {
			dir = filepath.Dir(c.DB)
		}
	}
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, base+"-tls-cert.pem"), filepath.Join(dir, base+"-tls-key.pem")
}

// tlsConfig returns the server's tls.Config (TLS 1.2 and later, Go's
// default cipher suites, all AEAD with forward secrecy) and, for a
// self-signed certificate, the path of the PEM file clients must trust.
// It returns nil when the Config serves no HTTPS.
func (c Config) tlsConfig(now time.Time) (*tls.Config, string, error) {
	if !c.TLSEnabled() {
		return nil, "", nil
	}
	certFile, keyFile, caFile := c.TLSCertFile, c.TLSKeyFile, ""
	if c.TLSSelfSigned {
		certFile, keyFile = c.SelfSignedPaths()
		caFile = certFile
		if err := ensureSelfSigned(certFile, keyFile, now); err != nil {
			return nil, "", err
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		// "h2" named here makes http.Server set HTTP/2 up whichever of
		// Serve (plain HTTP beside) and ServeTLS runs first: Serve alone
		// would otherwise settle "no HTTP/2" for both, while ServeTLS
		// still offered h2 to clients, which then could not talk.
		NextProtos: []string{"h2", "http/1.1"},
	}, caFile, nil
}

// ensureSelfSigned keeps a usable self-signed certificate at certFile and
// keyFile: the one there when it loads, covers selfSignedHosts and is
// valid for at least selfSignedRenewBefore more; a new one otherwise.
func ensureSelfSigned(certFile, keyFile string, now time.Time) error {
	if selfSignedUsable(certFile, keyFile, now) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("self-signed certificate: %w", err)
	}
	certPEM, keyPEM, err := newSelfSigned(now)
	if err != nil {
		return fmt.Errorf("generate a self-signed certificate: %w", err)
	}
	// The key first: a certificate file is only ever beside its key.
	if err := writeFile0600(keyFile, keyPEM); err != nil {
		return err
	}
	return writeFile0600(certFile, certPEM)
}

func selfSignedUsable(certFile, keyFile string, now time.Time) bool {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil || pair.Leaf == nil {
		return false
	}
	if now.Before(pair.Leaf.NotBefore) || now.Add(selfSignedRenewBefore).After(pair.Leaf.NotAfter) {
		return false
	}
	for _, h := range selfSignedHosts {
		if pair.Leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// newSelfSigned returns a PEM certificate and PEM PKCS#8 key: ECDSA P-256,
// self-signed and CA-capable (so clients can trust it as a root), for
// localhost, 127.0.0.1 and ::1, valid selfSignedValidity from now.
func newSelfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	ski := sha1.Sum(pub) // a key identifier, not a security use of SHA-1
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vonage serve (self-signed)", Organization: []string{"vonage serve"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski[:],
		AuthorityKeyId:        ski[:],
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), nil
}

// writeFile0600 replaces path with data, created 0600 and renamed into
// place, so a reader never sees half a file.
func writeFile0600(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
