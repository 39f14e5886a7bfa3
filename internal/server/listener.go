package server

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// connLimits are what the listener enforces on the connections it hands to
// the http.Server.
type connLimits struct {
	// max bounds the open connections: Accept waits while max are open,
	// leaving further clients in the kernel's backlog. 0: no bound.
	max int
	// perAddr bounds the open connections of one peer address (IPv6: one
	// /64); one more is closed at once. 0: no bound. The address is the
	// TCP peer: a forwarding header cannot be read before accepting.
	perAddr int
	// exempt are the peers perAddr does not apply to: the trusted
	// proxies, each carrying many clients.
	exempt []netip.Prefix
	// crowdedIdle is the idle timeout of keep-alive connections while at
	// least 3/4 of max are open. 0: the http.Server's IdleTimeout always.
	crowdedIdle time.Duration
}

// limitConnections returns ln enforcing lim, or ln itself when lim bounds
// nothing. With lim.max, Accept waits while max connections are open,
// leaving further clients in the kernel's backlog, so a flood of
// connections cannot exhaust memory or file descriptors.
// (golang.org/x/net/netutil has the global cap; it is not worth a
// dependency.)
//
// Idle connections are the cheapest to give up: their client reconnects on
// its next request. So, when the server has an http.Server whose ConnState
// is the listener's (see Server.Listen), the idle keep-alive connections
// make room first:
//   - once 3/4 of lim.max are open ("crowded"), a connection idle for
//     lim.crowdedIdle is closed, instead of after the server's IdleTimeout;
//   - when lim.max are open, the connection idle the longest is closed at
//     once, so a new client waits for no idle one.
//
// Together with lim.perAddr, one address cannot fill the cap, and many
// addresses cannot keep it full with idle connections.
func limitConnections(ln net.Listener, lim connLimits) net.Listener {
	if lim.max <= 0 && lim.perAddr <= 0 {
		return ln
	}
	l := &limitListener{
		Listener: ln,
		lim:      lim,
		done:     make(chan struct{}),
		idleNote: make(chan struct{}, 1),
		perAddr:  make(map[netip.Addr]int),
		idle:     make(map[*limitConn]idleMark),
	}
	if lim.max > 0 {
		l.slots = make(chan struct{}, lim.max)
		if lim.crowdedIdle > 0 {
			l.crowdedAt = max(1, lim.max*3/4)
		}
	}
	return l
}

type limitListener struct {
	net.Listener
	lim       connLimits
	slots     chan struct{} // one per open connection; nil: no global bound
	crowdedAt int           // open connections from which the idle timeout is crowdedIdle; 0: never
	done      chan struct{}
	closeOnce sync.Once
	idleNote  chan struct{} // a connection became idle (a note, not a count)

	mu      sync.Mutex
	open    int
	perAddr map[netip.Addr]int
	idle    map[*limitConn]idleMark
}

// idleMark is when a connection became idle; gen tells a timer armed for
// an earlier idle period from the current one.
type idleMark struct {
	since time.Time
	gen   uint64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		if err := l.takeSlot(); err != nil {
			return nil, err
		}
		c, err := l.Listener.Accept()
		if err != nil {
			l.giveSlot()
			return nil, err
		}
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
		// Over its address's cap: refused at once, before the http.Server
		// spends anything on it.
		c.Close()
		l.giveSlot()
	}
}

// takeSlot waits for room for one more connection. While the cap is
// reached, each connection that is or becomes idle is closed, the longest
// idle first, until one slot is free.
func (l *limitListener) takeSlot() error {
	if l.slots == nil {
		return nil
	}
	for {
		select {
		case l.slots <- struct{}{}:
			return nil
		default:
		}
		l.closeLongestIdle()
		select {
		case l.slots <- struct{}{}:
			return nil
		case <-l.idleNote:
		case <-l.done:
			return net.ErrClosed
		}
	}
}

func (l *limitListener) giveSlot() {
	if l.slots != nil {
		<-l.slots
	}
}

// admit counts c under its peer address, or returns nil when that address
// is at its cap.
func (l *limitListener) admit(c net.Conn) *limitConn {
	key := peerKey(c.RemoteAddr())
	capped := l.lim.perAddr > 0 && !l.exempt(key)
	l.mu.Lock()
	if capped && l.perAddr[key] >= l.lim.perAddr {
		l.mu.Unlock()
		return nil
	}
	l.perAddr[key]++
	l.open++
	lc := &limitConn{Conn: c, l: l, key: key}
	var expired []*limitConn
	if l.crowdedAt > 0 && l.open == l.crowdedAt {
		expired = l.crowdedLocked(time.Now())
	}
	l.mu.Unlock()
	for _, c := range expired {
		c.Close()
	}
	return lc
}

// exempt reports whether key is a trusted proxy's address.
func (l *limitListener) exempt(key netip.Addr) bool {
	for _, p := range l.lim.exempt {
		if p.Contains(key) {
			return true
		}
	}
	return false
}

// crowdedLocked runs when the listener becomes crowded: it returns the idle
// connections already idle for lim.crowdedIdle, to close, and arms the
// timer of the others.
func (l *limitListener) crowdedLocked(now time.Time) []*limitConn {
	var expired []*limitConn
	for c, m := range l.idle {
		if left := l.lim.crowdedIdle - now.Sub(m.since); left > 0 {
			l.armLocked(c, m.gen, left)
			continue
		}
		delete(l.idle, c)
		expired = append(expired, c)
	}
	return expired
}

// armLocked closes c after d if it is then still in the same idle period
// and the listener still crowded.
func (l *limitListener) armLocked(c *limitConn, gen uint64, d time.Duration) {
	time.AfterFunc(d, func() {
		l.mu.Lock()
		m, ok := l.idle[c]
		expire := ok && m.gen == gen && l.open >= l.crowdedAt
		if expire {
			delete(l.idle, c)
		}
		l.mu.Unlock()
		if expire {
			c.Close()
		}
	})
}

// closeLongestIdle closes the connection idle the longest, if any.
func (l *limitListener) closeLongestIdle() {
	l.mu.Lock()
	var oldest *limitConn
	var since time.Time
	for c, m := range l.idle {
		if oldest == nil || m.since.Before(since) {
			oldest, since = c, m.since
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
	}
	l.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
}

// ConnState is the http.Server's ConnState hook: it tells the listener
// which connections are idle. An HTTPS connection is seen through its
// *tls.Conn; a connection of another listener (the Server's other one)
// is not this one's.
func (l *limitListener) ConnState(c net.Conn, st http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	lc, ok := c.(*limitConn)
	if !ok || lc.l != l {
		return
	}
	l.mu.Lock()
	if lc.closed {
		l.mu.Unlock()
		return
	}
	lc.gen++
	if st != http.StateIdle {
		delete(l.idle, lc)
		l.mu.Unlock()
		return
	}
	l.idle[lc] = idleMark{since: time.Now(), gen: lc.gen}
	if l.crowdedAt > 0 && l.open >= l.crowdedAt {
		l.armLocked(lc, lc.gen, l.lim.crowdedIdle)
	}
	l.mu.Unlock()
	select {
	case l.idleNote <- struct{}{}:
	default:
	}
}

// release forgets a closed connection.
func (l *limitListener) release(c *limitConn) {
	l.mu.Lock()
	c.closed = true
	delete(l.idle, c)
	l.open--
	if l.perAddr[c.key]--; l.perAddr[c.key] <= 0 {
		delete(l.perAddr, c.key)
	}
	l.mu.Unlock()
	l.giveSlot()
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// peerKey is the address a connection is counted under: its peer's IP,
// IPv4-mapped addresses as IPv4, IPv6 by /64 (one host commonly holds a
// whole /64).
func peerKey(a net.Addr) netip.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// limitConn gives its slot back when closed, once.
type limitConn struct {
	net.Conn
	l    *limitListener
	key  netip.Addr
	once sync.Once
	// gen and closed are guarded by l.mu.
	gen    uint64
	closed bool
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}
