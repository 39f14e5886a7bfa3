package server_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// TestCheckDataKey: VONAGE_DATA_KEY and --data-key-file take 32 bytes of
// standard base64; anything else is a ConfigError that names the field
// and never quotes the key.
func TestCheckDataKey(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodFile := file("good", good+"\n") // as `openssl rand -base64 32 > F` writes it
	for _, c := range []struct {
		name, key, file, field string // field "": accepted
	}{
		{"none", "", "", ""},
		{"key", good, "", ""},
		{"key file", "", goodFile, ""},
		{"not base64", "not-base64!!", "", "DataKey"},
		{"url-safe alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString([]byte("\xfb\xff0123456789abcdef0123456789ab"))), "", "DataKey"},
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), "", "DataKey"},
		{"33 bytes", base64.StdEncoding.EncodeToString(make([]byte, 33)), "", "DataKey"},
		{"both", good, goodFile, "DataKeyFile"},
		{"missing file", "", filepath.Join(dir, "nope"), "DataKeyFile"},
		{"short file", "", file("short", "c2hvcnQ="), "DataKeyFile"},
	} {
		cfg := server.DefaultConfig()
		cfg.DataKey, cfg.DataKeyFile = c.key, c.file
		err := cfg.Check()
		var ce *server.ConfigError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: Check() = %v, want nil", c.name, err)
		case c.field != "" && (!errors.As(err, &ce) || ce.Field != c.field):
			t.Errorf("%s: Check() = %v, want a ConfigError naming %s", c.name, err, c.field)
		case err != nil && c.key != "" && strings.Contains(err.Error(), c.key):
			t.Errorf("%s: the error quotes the key: %v", c.name, err)
		}
	}
}
