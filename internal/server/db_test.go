package server_test

import (
	"errors"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/server"
)

// TestCheckDB: the database deadline, the verification cache size and the
// hash wait that cannot work are refused, naming their field.
func TestCheckDB(t *testing.T) {
	t.Parallel()
	for field, spoil := range map[string]func(*server.Config){
		"DBTimeout":               func(c *server.Config) { c.DBTimeout = 0 },
		"VerifyCacheSize":         func(c *server.Config) { c.VerifyCacheSize = -1 },
		"HashConcurrency.MaxWait": func(c *server.Config) { c.HashConcurrency.MaxWait = -1 },
	} {
		cfg := server.DefaultConfig()
		spoil(&cfg)
		var ce *server.ConfigError
		if err := cfg.Check(); !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: Check() = %v, want a ConfigError naming it", field, err)
		}
	}
}
