//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns both ends of a new pseudo-terminal: what the test types
// into (the master) and what the CLI sees as its stdin (the slave).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// waitEcho waits until the terminal's echo is on or off. The state lives in
// the kernel and nothing signals its change, so it is polled.
func waitEcho(t *testing.T, tty *os.File, on bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatalf("tcgetattr: %v", err)
		}
		if (tio.Lflag&unix.ECHO != 0) == on {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("echo never turned %v", on)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPromptOnTerminal types a secret into a real pseudo-terminal: it is
// read twice with echo off, and echo is back on afterwards.
func TestPromptOnTerminal(t *testing.T) {
	master, slave := openPTY(t)
	if _, ok := asTerminal(slave); !ok {
		t.Fatal("a pseudo-terminal is not taken for a terminal")
	}
	prompt := &logWatch{}
	type result struct {
		secret string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		s, err := readNewSecret(context.Background(), slave, prompt, "secret", nil)
		done <- result{s, err}
	}()

	const typed = "Typ3dOnATerminal"
	waitEcho(t, slave, false)
	if _, err := master.WriteString(typed + "\r"); err != nil {
		t.Fatal(err)
	}
	<-prompt.waitFor("Repeat the secret: ")
	waitEcho(t, slave, false)
	if _, err := master.WriteString(typed + "\r"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.secret != typed {
		t.Fatalf("readNewSecret = %q, %v; want the typed secret", r.secret, r.err)
	}
	waitEcho(t, slave, true)

	// Everything the terminal displayed, up to a marker written after the
	// prompts: the secret must not be there.
	if _, err := slave.WriteString("END-OF-TEST\n"); err != nil {
		t.Fatal(err)
	}
	var shown strings.Builder
	br := bufio.NewReader(master)
	for !strings.Contains(shown.String(), "END-OF-TEST") {
		line, err := br.ReadString('\n')
		shown.WriteString(line)
		if err != nil {
			t.Fatalf("reading the terminal: %v (so far %q)", err, shown.String())
		}
	}
	if strings.Contains(shown.String(), typed) || strings.Contains(prompt.String(), typed) {
		t.Errorf("the secret was echoed: terminal %q, prompt %q", shown.String(), prompt.String())
	}
}

// TestPromptCancelled checks that cancelling (Ctrl-C) at the prompt returns
// at once and turns echo back on.
func TestPromptCancelled(t *testing.T) {
	master, slave := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readNewSecret(ctx, slave, &logWatch{}, "secret", nil)
		done <- err
	}()
	waitEcho(t, slave, false)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("readNewSecret after cancel = %v, want context.Canceled", err)
	}
	waitEcho(t, slave, true)
	// End the abandoned read, as the process's exit would.
	_, _ = master.WriteString("\r")
}
