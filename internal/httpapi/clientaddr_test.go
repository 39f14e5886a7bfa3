package httpapi

import (
	"net/http"
	"net/netip"
	"testing"
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
