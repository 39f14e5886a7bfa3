package httpapi

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestHTTPSFunc: only TLS or a trusted proxy's word makes a request HTTPS.
func TestHTTPSFunc(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name, peer, header string
		lines              []string
		tls                bool
		want               bool
	}{
		{"plain", "127.0.0.1:1", HeaderXForwardedFor, nil, false, false},
		{"own TLS", "127.0.0.1:1", HeaderXForwardedFor, nil, true, true},
		{"untrusted peer claims https", "127.0.0.2:1", HeaderXForwardedFor, []string{"https"}, false, false},
		{"trusted proxy says https", "10.1.2.3:1", HeaderXForwardedFor, []string{"https"}, false, true},
		{"trusted proxy says http", "10.1.2.3:1", HeaderXForwardedFor, []string{"http"}, false, false},
		{"client wrote https, proxy appended http", "10.1.2.3:1", HeaderXForwardedFor, []string{"https, http"}, false, false},
		{"trusted proxy, no header", "10.1.2.3:1", HeaderXForwardedFor, nil, false, false},
		{"Forwarded proto=https", "10.1.2.3:1", HeaderForwarded, []string{`for=192.0.2.1;proto=http, for="192.0.2.9";proto=https`}, false, true},
		{"Forwarded, last element http", "10.1.2.3:1", HeaderForwarded, []string{`for=192.0.2.1;proto=https, for=192.0.2.9;proto=http`}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/dashboard/", nil)
			r.RemoteAddr = c.peer
			name := "X-Forwarded-Proto"
			if c.header == HeaderForwarded {
				name = HeaderForwarded
			}
			for _, l := range c.lines {
				r.Header.Add(name, l)
			}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := HTTPSFunc(trusted, c.header)(r); got != c.want {
				t.Errorf("HTTPSFunc = %v, want %v", got, c.want)
			}
		})
	}
}
