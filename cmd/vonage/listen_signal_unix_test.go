//go:build unix

package main

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestListenCtrlC sends a real SIGINT to a `vonage listen` process (the
// test binary, which TestMain runs as the command): it prints what
// arrived, stops, says so in one line on stderr and exits 130, like every
// command stopped by Ctrl-C.
func TestListenCtrlC(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("vonage") // put on PATH by TestMain (testscript)
	if err != nil {
		t.Skipf("no vonage command on PATH: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "listen", "--port", "0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	listening := regexp.MustCompile(`Listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	waitFor(t, 20*time.Second, "listen never said where it listens:\n"+stderr.String(), func() bool {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	resp, err := http.PostForm(base+listenMOPath, url.Values{"msisdn": {"447700900001"}, "text": {"hello ctrl-c"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitFor(t, 10*time.Second, "the delivery was not printed:\n"+stdout.String(), func() bool { return strings.Contains(stdout.String(), "hello ctrl-c") })

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("listen did not exit within 15s of SIGINT; stderr:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Errorf("listen after SIGINT: %v, want exit status 130", err)
	}
	if e := stderr.String(); !strings.HasSuffix(e, "\nvonage: listen stopped (interrupted) after 1 callback\n") {
		t.Errorf("stderr does not end with the stopped line:\n%s", e)
	}
	if _, err := http.Get(base + listenMOPath); err == nil {
		t.Errorf("%s still answers after listen exited", base)
	}
}
