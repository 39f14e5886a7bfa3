package server

import (
	"net"
	"testing"
	"time"
)

func TestCapConnections(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := capConnections(raw, 1)
	defer ln.Close()
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
	if capConnections(raw, 0) != raw {
		t.Error("n = 0 should not wrap")
	}
}
