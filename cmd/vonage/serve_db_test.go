package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesBadDBSettings: the database deadline, the cache size and
// the hash wait are flags and variables, refused like the others.
func TestServeRefusesBadDBSettings(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "never.db")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--db-timeout", "0s"}, "--db-timeout"},
		{nil, []string{"--verify-cache-size", "-1"}, "--verify-cache-size"},
		{nil, []string{"--hash-wait", "-1s"}, "--hash-wait"},
		{map[string]string{"VONAGE_DB_TIMEOUT": "soon"}, nil, "VONAGE_DB_TIMEOUT"},
		{map[string]string{"VONAGE_DB_TIMEOUT": "0s"}, nil, "VONAGE_DB_TIMEOUT"},
		{map[string]string{"VONAGE_VERIFY_CACHE_SIZE": "many"}, nil, "VONAGE_VERIFY_CACHE_SIZE"},
	} {
		var stderr strings.Builder
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, tc.args...)
		err := run(context.Background(), args, func(k string) string { return tc.env[k] }, strings.NewReader(""), io.Discard, &stderr)
		if exitCode(err) != exitUsage || !strings.Contains(fmt.Sprint(err)+stderr.String(), tc.want) {
			t.Errorf("%v %v: %v (exit %d), stderr %q; want a usage error naming %s", tc.env, tc.args, err, exitCode(err), stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused serve created its database")
	}
}
