package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// Bootstrap names the first account to create on an empty database
// (VONAGE_BOOTSTRAP_API_KEY and VONAGE_BOOTSTRAP_API_SECRET); empty
// fields mean a generated key and secret.
type Bootstrap struct {
	APIKey, Secret string
}

// Serve is `vonage serve` after its flags: it binds the listeners, then
// opens and migrates the database (Open), makes sure there is a first
// account (Bootstrap), says where it listens on stdout, and runs until
// ctx ends. stdoutIsTerminal decides where a generated secret goes
// (Server.Bootstrap).
func Serve(ctx context.Context, cfg Config, boot Bootstrap, stdout io.Writer, stdoutIsTerminal bool) error {
	srv, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Bootstrap(ctx, boot, stdout, stdoutIsTerminal); err != nil {
		return err
	}
	if srv.TLSURL != "" && srv.TLSURL != srv.URL {
		fmt.Fprintf(stdout, "Serving HTTPS on %s\n", srv.TLSURL)
	}
	if srv.CAFile != "" {
		ca := absPath(srv.CAFile)
		fmt.Fprintf(stdout, "TLS: self-signed certificate; clients must trust %s (VONAGE_CA_FILE, --ca-file)\n", ca)
		srv.log.Info("self-signed TLS certificate", "ca_file", ca)
	}
	fmt.Fprintf(stdout, "Listening on %s\n", srv.URL)
	cfg = srv.Config
	lim := cfg.AuthLimits
	srv.log.Info("server started", "addr", srv.URL, "tls_addr", srv.TLSURL, "db", DescribeDB(cfg.DB), "admin", cfg.AdminToken != "",
		"pepper", len(cfg.Pepper) > 0, "auth_fail_limit_pair", lim.PerPair, "auth_fail_limit_addr", lim.PerAddr,
		"auth_fail_window", lim.Window.String(), "trusted_proxies", len(cfg.TrustedProxies), "rate_limit", cfg.CallRateLimit,
		"max_in_flight", cfg.MaxInFlight, "max_connections", cfg.MaxConnections, "max_connections_per_addr", cfg.MaxConnectionsPerAddr)
	return srv.Run(ctx)
}

// Bootstrap creates the first account when the database has none (or the
// one boot names, unless it exists). A generated secret is shown once:
// on stdout when stdout is a terminal; otherwise (stdout is often
// collected by a log system) in a file created 0600, BootstrapSecretPath,
// whose path alone is printed and logged. The secret never reaches the
// log.
func (s *Server) Bootstrap(ctx context.Context, boot Bootstrap, stdout io.Writer, stdoutIsTerminal bool) error {
	// The file is made (0600, under a temporary name) before the account,
	// so that a directory that cannot take it fails the start before a
	// secret exists that nobody could read.
	var tmp *os.File
	if boot.APIKey == "" && boot.Secret == "" && !stdoutIsTerminal {
		path := s.Config.BootstrapSecretPath()
		f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
		if err != nil {
			return fmt.Errorf("bootstrap: a file for the first account's secret: %w", err)
		}
		tmp = f
		defer func() {
			tmp.Close()
			os.Remove(tmp.Name()) // gone already once renamed
		}()
	}
	created, key, generated, err := s.Service.Bootstrap(ctx, boot.APIKey, boot.Secret)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	switch {
	case !created:
		return nil
	case generated == "":
		s.log.Info("bootstrap account created", "api_key", key)
	case tmp == nil:
		fmt.Fprintf(stdout, "Created the first account.\n  API key:    %s\n  API secret: %s\nThe secret is shown only this once.\n", key, generated)
		s.log.Info("bootstrap account created", "api_key", key, "secret", "shown once on the terminal")
	default:
		path := s.Config.BootstrapSecretPath()
		if _, err := fmt.Fprintf(tmp, "VONAGE_API_KEY=%s\nVONAGE_API_SECRET=%s\n", key, generated); err != nil {
			return fmt.Errorf("bootstrap: write %s: %w", tmp.Name(), err)
		}
		if err := tmp.Sync(); err != nil {
			return fmt.Errorf("bootstrap: write %s: %w", tmp.Name(), err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
		path = absPath(path)
		fmt.Fprintf(stdout, "Created the first account %s; its secret is in %s (mode 0600): read it, then delete the file.\n", key, path)
		s.log.Info("bootstrap account created", "api_key", key, "secret_file", path)
	}
	return nil
}

// BootstrapSecretPath is the file a generated bootstrap secret is written
// to when stdout is not a terminal: beside a SQLite database
// (vonage.db → vonage.db.bootstrap-secret), else vonage.bootstrap-secret
// in the working directory.
func (c Config) BootstrapSecretPath() string {
	if c.DB != sqlite.Memory && c.DB != "" && !IsPostgresURL(c.DB) {
		return c.DB + ".bootstrap-secret"
	}
	return "vonage.bootstrap-secret"
}

// absPath is path made absolute for a message, or path when that fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
