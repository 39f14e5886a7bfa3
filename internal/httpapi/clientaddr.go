package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The client address is what failed authentications are counted under
// (contract section 7). It is the connection's peer address, unless that
// peer is one of Config.TrustedProxies: then it is the right-most address
// of the forwarding header (X-Forwarded-For, or Forwarded when configured)
// that is not itself a trusted proxy. Everything left of that address was
// written by the client and proves nothing; everything right of it was
// written by proxies the operator trusts.

// Forwarding headers Config.ClientIPHeader may name.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded"
)

// maxForwardHops bounds how many hops of a forwarding header are examined,
// right to left; a longer chain of trusted proxies is a misconfiguration.
const maxForwardHops = 32

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes or
// single addresses ("10.0.0.0/8, 192.0.2.7, 2001:db8::/32"); empty means
// none.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not a CIDR prefix", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR prefix", item)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ClientAddrFunc returns what finds a request's client address the way the
// API does, for handlers mounted beside it (the dashboard counts its
// sign-in failures under the same address). header is HeaderForwarded or,
// otherwise, HeaderXForwardedFor.
func ClientAddrFunc(trusted []netip.Prefix, header string) func(*http.Request) string {
	c := clientAddrResolver{trusted: trusted, header: HeaderXForwardedFor}
	if header == HeaderForwarded {
		c.header = HeaderForwarded
	}
	return c.addr
}

// clientAddrResolver finds a request's client address.
type clientAddrResolver struct {
	trusted []netip.Prefix
	header  string // HeaderXForwardedFor or HeaderForwarded
}

func (c clientAddrResolver) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addr returns the client address of r as text: an IP address, or the raw
// peer address when even that does not parse (a test's fake RemoteAddr).
func (c clientAddrResolver) addr(r *http.Request) string {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if len(c.trusted) == 0 || !c.isTrusted(peer) {
		return peer.String()
	}
	var hops []string
	if c.header == HeaderForwarded {
		hops = forwardedFor(r.Header.Values(HeaderForwarded))
	} else {
		hops = xForwardedFor(r.Header.Values(HeaderXForwardedFor))
	}
	client := peer
	for i, n := len(hops)-1, 0; i >= 0 && n < maxForwardHops; i, n = i-1, n+1 {
		a, ok := parseHop(hops[i])
		if !ok {
			// Not an address ("unknown", an obfuscated node, garbage): the
			// last trusted hop cannot vouch for anything further left.
			break
		}
		client = a
		if !c.isTrusted(a) {
			break
		}
	}
	return client.String()
}

// xForwardedFor splits X-Forwarded-For header lines into hops, left to
// right, the lines in the order received.
func xForwardedFor(lines []string) []string {
	var hops []string
	for _, line := range lines {
		for _, h := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

// forwardedFor returns the for= value of each element of RFC 7239
// Forwarded header lines, left to right; an element without one gives "".
// Commas and semicolons inside quoted strings do not split.
func forwardedFor(lines []string) []string {
	var hops []string
	for _, line := range lines {
		for _, elem := range splitQuoted(line, ',') {
			hop := ""
			for _, pair := range splitQuoted(elem, ';') {
				name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(strings.TrimSpace(name), "for") {
					hop = unquote(strings.TrimSpace(value))
				}
			}
			hops = append(hops, hop)
		}
	}
	return hops
}

// splitQuoted splits s at sep outside double-quoted strings (with
// backslash escapes inside them).
func splitQuoted(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unquote removes the quotes (and backslash escapes) of an RFC 7230
// quoted-string; anything else is returned as it is.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseHop parses one address as proxies write them: "192.0.2.1",
// "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]:4711" or "[2001:db8::1]".
// IPv4-mapped IPv6 addresses become IPv4 and zones are dropped, so one host
// always reads the same.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		host := s
		if h, _, err := net.SplitHostPort(s); err == nil {
			host = h
		} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// HTTPSFunc returns what tells whether a request's client used HTTPS: the
// connection itself is TLS, or its peer is one of the trusted proxies and
// says so, in the last X-Forwarded-Proto value or, when header is
// HeaderForwarded, in the proto= of the last Forwarded element (the one
// the nearest proxy wrote). A client that is not a trusted proxy cannot
// claim HTTPS with a header. The dashboard marks its cookies Secure by it,
// so that behind a TLS-terminating proxy they are never sent over plain
// HTTP.
func HTTPSFunc(trusted []netip.Prefix, header string) func(*http.Request) bool {
	c := clientAddrResolver{trusted: trusted, header: HeaderXForwardedFor}
	if header == HeaderForwarded {
		c.header = HeaderForwarded
	}
	return c.https
}

func (c clientAddrResolver) https(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if len(c.trusted) == 0 {
		return false
	}
	if peer, ok := parseHop(r.RemoteAddr); !ok || !c.isTrusted(peer) {
		return false
	}
	proto := ""
	if c.header == HeaderForwarded {
		lines := r.Header.Values(HeaderForwarded)
		if len(lines) == 0 {
			return false
		}
		elems := splitQuoted(lines[len(lines)-1], ',')
		for _, pair := range splitQuoted(elems[len(elems)-1], ';') {
			name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "proto") {
				proto = unquote(strings.TrimSpace(value))
			}
		}
	} else {
		lines := r.Header.Values("X-Forwarded-Proto")
		if len(lines) == 0 {
			return false
		}
		vals := strings.Split(lines[len(lines)-1], ",")
		proto = strings.TrimSpace(vals[len(vals)-1])
	}
	return strings.EqualFold(proto, "https")
}
