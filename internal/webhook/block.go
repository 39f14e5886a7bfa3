package webhook

import (
	"fmt"
	"net/netip"
	"syscall"
)

// blockedError is an attempt refused by Config.BlockPrivate: the address
// the dialer was about to connect to is not a public one.
type blockedError struct {
	ip   netip.Addr
	kind string
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("destination %s is a %s address; --webhook-block-private refuses it", e.ip, e.kind)
}

// refusePrivate is the dialer's Control func under BlockPrivate. It runs
// after name resolution, on the very address being connected to, so a
// name that resolves to a public address when checked and to a private one
// when dialled (DNS rebinding) is still refused.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("destination %q: %w", address, err)
	}
	ip := ap.Addr().Unmap()
	if kind := privateKind(ip); kind != "" {
		return &blockedError{ip: ip, kind: kind}
	}
	return nil
}

// privateKind names why ip is not a public destination, or is "".
func privateKind(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast():
		return "multicast"
	case sharedCGNAT.Contains(ip):
		return "private"
	}
	return ""
}

// sharedCGNAT is 100.64.0.0/10 (RFC 6598), the carrier-grade NAT space,
// which netip.Addr.IsPrivate does not include.
var sharedCGNAT = netip.MustParsePrefix("100.64.0.0/10")
