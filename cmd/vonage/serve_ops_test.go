package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeBindsFirst: an address that cannot be bound (malformed, or a
// port already taken) stops serve before it touches anything: no
// database file, no bootstrap secret file.
func TestServeBindsFirst(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, addr := range []string{"8080", taken.Addr().String()} {
		dir := t.TempDir()
		db := filepath.Join(dir, "vonage.db")
		var stdout, stderr strings.Builder
		err := run(context.Background(), []string{"serve", "--addr", addr, "--db", db}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "listen on "+addr) {
			t.Errorf("--addr %s: %v, want a listen error", addr, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("--addr %s left %d files in the database's directory (%s...)", addr, len(entries), entries[0].Name())
		}
		if stdout.Len() != 0 {
			t.Errorf("--addr %s printed %q", addr, stdout.String())
		}
	}
}

// TestServeLogs: every request line written before a clean shutdown is
// in the log once serve returns, although lines are buffered; the text
// lines name what an operator needs; health probes are at Debug.
func TestServeLogs(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "vonage.db")
	s := startServe(t, db, nil)
	key, secret := readBootstrapFile(t, db+".bootstrap-secret")
	const n = 40
	for i := range n {
		path := "/account/get-balance?api_key=" + key + "&api_secret=" + secret
		if i%2 == 1 {
			path = "/healthz" // not logged at Info
		}
		req, _ := http.NewRequest("GET", s.url+path, nil)
		req.Header.Set("User-Agent", "ops-test/1.0 "+strings.Repeat("x", 300))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	logs := s.logs.String()
	lines := regexp.MustCompile(`(?m)^.* msg=request .*$`).FindAllString(logs, -1)
	if len(lines) != n/2 {
		t.Fatalf("%d request lines at Info after a clean shutdown, want %d:\n%s", len(lines), n/2, logs)
	}
	line := regexp.MustCompile(`^time=\S+ level=INFO msg=request client=127\.0\.0\.1 api_key=` + key +
		` method=GET route=/account/get-balance status=200 duration_ms=[0-9.]+ bytes=\d+ request_id=[0-9a-f]{32} user_agent="ops-test/1\.0 x{115}\.\.\."$`)
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("request line\n%s\ndoes not match\n%s", l, line)
			break
		}
	}
	if strings.Contains(logs, secret) {
		t.Error("the log shows the secret")
	}
	if !strings.Contains(logs, "msg=\"server stopped\"") {
		t.Errorf("the last line is missing:\n%s", logs)
	}
}
