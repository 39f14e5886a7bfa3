package server

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// listenLimited listens on a free loopback port and returns that listener
// and the one limitConnections wraps it in under lim, closed when the test
// ends.
func listenLimited(t *testing.T, lim connLimits) (raw, ln net.Listener) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = limitConnections(raw, lim)
	t.Cleanup(func() { ln.Close() })
	return raw, ln
}

// acceptAll accepts ln's connections into the channel it returns (room
// for two waiting), which it closes once Accept fails.
func acceptAll(ln net.Listener) <-chan net.Conn {
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	return accepted
}

func TestCapConnections(t *testing.T) {
	t.Parallel()
	raw, ln := listenLimited(t, connLimits{max: 1})
	accepted := acceptAll(ln)
	c1, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	first := <-accepted
	c2, err := net.Dial("tcp", raw.Addr().String()) // completes in the kernel's backlog
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	select {
	case <-accepted:
		t.Fatal("a second connection was accepted while the first is open")
	case <-time.After(50 * time.Millisecond): // proving an absence takes a bound
	}
	first.Close()
	second := <-accepted
	if second == nil {
		t.Fatal("the second connection was not accepted after the first closed")
	}
	second.Close()
	first.Close() // closing twice gives back one slot
	ln.Close()
	if _, ok := <-accepted; ok {
		t.Error("Accept after Close")
	}
	if limitConnections(raw, connLimits{}) != raw {
		t.Error("no limit should not wrap")
	}
}

// TestConnectionsPerAddr: past lim.perAddr, a connection from the same
// address is closed at once, and one from a trusted proxy is not.
func TestConnectionsPerAddr(t *testing.T) {
	t.Parallel()
	raw, ln := listenLimited(t, connLimits{max: 8, perAddr: 1})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open until the listener closes
		}
	}()
	c1, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a second connection from one address: read %v, want it closed at once", err)
	}
	c1.SetReadDeadline(time.Now().Add(50 * time.Millisecond)) // proving an absence takes a bound
	if _, err := c1.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the first connection: read %v, want it still open", err)
	}

	// A trusted proxy's connections are not capped per address.
	raw2, proxy := listenLimited(t, connLimits{max: 8, perAddr: 1, exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	accepted := acceptAll(proxy)
	for range 2 { // both open at once
		c, err := net.Dial("tcp", raw2.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		select {
		case ac := <-accepted:
			defer ac.Close()
		case <-time.After(5 * time.Second):
			t.Fatal("a trusted proxy's second connection was not accepted")
		}
	}
}
