package webhook

import (
	"net/netip"
	"testing"
)

func TestPrivateKind(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "127.9.9.9": "loopback", "::1": "loopback",
		"10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private", "fd00::1": "private", "100.64.0.1": "private",
		"169.254.169.254": "link-local", "fe80::1": "link-local",
		"0.0.0.0": "unspecified", "::": "unspecified",
		"224.0.0.1": "multicast", "ff02::1": "multicast",
		"93.184.216.34": "", "2606:4700::1111": "", "172.32.0.1": "", "100.128.0.1": "",
	} {
		if got := privateKind(netip.MustParseAddr(addr)); got != want {
			t.Errorf("privateKind(%s) = %q, want %q", addr, got, want)
		}
	}
	// an IPv4-mapped IPv6 address is judged as the IPv4 address it maps
	if err := refusePrivate("tcp6", "[::ffff:127.0.0.1]:80", nil); err == nil || err.Error() != "destination 127.0.0.1 is a loopback address; --webhook-block-private refuses it" {
		t.Errorf("mapped loopback: %v", err)
	}
	if err := refusePrivate("tcp4", "93.184.216.34:443", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}
