package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.7 ,2001:db8:ffff::/48,")
	if err != nil {
		t.Fatal(err)
	}
	xff := clientAddrResolver{trusted: proxies, header: HeaderXForwardedFor}
	fwd := clientAddrResolver{trusted: proxies, header: HeaderForwarded}
	none := clientAddrResolver{header: HeaderXForwardedFor}
	tests := []struct {
		name     string
		c        clientAddrResolver
		remote   string
		xff, fwd []string
		want     string
	}{
		{"no proxies: the peer", none, "198.51.100.1:5555", []string{"203.0.113.1"}, nil, "198.51.100.1"},
		{"untrusted peer: header ignored", xff, "198.51.100.1:5555", []string{"203.0.113.1"}, nil, "198.51.100.1"},
		{"trusted peer, one hop", xff, "10.1.2.3:5555", []string{"203.0.113.1"}, nil, "203.0.113.1"},
		{"client-forged hops left of the real one", xff, "10.1.2.3:5555", []string{"1.1.1.1, 2.2.2.2, 203.0.113.1"}, nil, "203.0.113.1"},
		{"chain of trusted proxies", xff, "10.1.2.3:5555", []string{"1.1.1.1, 203.0.113.1, 192.0.2.7", "10.9.9.9"}, nil, "203.0.113.1"},
		{"every hop trusted: the left-most", xff, "10.1.2.3:5555", []string{"10.0.0.1, 10.0.0.2"}, nil, "10.0.0.1"},
		{"trusted peer, no header", xff, "10.1.2.3:5555", nil, nil, "10.1.2.3"},
		{"garbage right of the client: the last trusted hop", xff, "10.1.2.3:5555", []string{"203.0.113.1, nonsense"}, nil, "10.1.2.3"},
		{"hop with a port", xff, "10.1.2.3:5555", []string{"203.0.113.1:4711"}, nil, "203.0.113.1"},
		{"IPv6 hop", xff, "[2001:db8:ffff::1]:5555", []string{"[2001:db8::17]:4711"}, nil, "2001:db8::17"},
		{"mapped IPv4", xff, "[::ffff:10.0.0.1]:5555", []string{"::ffff:203.0.113.1"}, nil, "203.0.113.1"},
		{"Forwarded", fwd, "10.1.2.3:5555", nil, []string{`for=1.1.1.1, for="[2001:db8::17]:4711";proto=https, for=192.0.2.7;by=10.0.0.1`}, "2001:db8::17"},
		{"Forwarded quoted comma", fwd, "10.1.2.3:5555", nil, []string{`for="1.1.1.1,2.2.2.2", For=203.0.113.5`}, "203.0.113.5"},
		{"Forwarded unknown", fwd, "10.1.2.3:5555", nil, []string{`for=unknown`}, "10.1.2.3"},
		{"Forwarded ignores X-Forwarded-For", fwd, "10.1.2.3:5555", []string{"1.1.1.1"}, []string{"for=203.0.113.5"}, "203.0.113.5"},
		{"X-Forwarded-For ignores Forwarded", xff, "10.1.2.3:5555", []string{"203.0.113.1"}, []string{"for=1.1.1.1"}, "203.0.113.1"},
		{"unparsable peer", xff, "pipe", []string{"203.0.113.1"}, nil, "pipe"},
	}
	for _, tc := range tests {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		for _, v := range tc.fwd {
			r.Header.Add("Forwarded", v)
		}
		if got := tc.c.addr(r); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "10.0.0.1/8/1"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
	if p, _ := ParseTrustedProxies("10.1.2.3/8"); len(p) != 1 || p[0] != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("prefix not masked: %v", p)
	}
}

func TestLimitListener(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(raw, 1)
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
	if LimitListener(raw, 0) != raw {
		t.Error("n = 0 should not wrap")
	}
}
