//go:build linux

package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeBootstrapOnTerminal: with stdout a terminal, the generated
// first secret is shown there, once, and no secret file is written; the
// log has the key only.
func TestServeBootstrapOnTerminal(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	db := filepath.Join(t.TempDir(), "vonage.db")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logWatch{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}, func(string) string { return "" }, strings.NewReader(""), slave, logs)
	}()
	var out strings.Builder
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
read:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break read
			}
			out.WriteString(l + "\n")
			if strings.HasPrefix(l, "Listening on ") {
				break read
			}
		case <-timeout:
			t.Fatalf("serve did not start:\n%s\n%s", out.String(), logs)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	m := regexp.MustCompile(`API secret:\s+(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no secret on the terminal:\n%s", out.String())
	}
	if _, err := os.Stat(db + ".bootstrap-secret"); !os.IsNotExist(err) {
		t.Errorf("a secret file was written beside a terminal: %v", err)
	}
	if strings.Contains(logs.String(), m[1]) || !strings.Contains(logs.String(), `msg="bootstrap account created" api_key=`) {
		t.Errorf("log:\n%s", logs)
	}
}
