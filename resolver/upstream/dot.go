package upstream

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Connection pool limits for DoT.
const (
	dotMaxIdle     = 4                // idle connections kept per upstream
	dotIdleTimeout = 10 * time.Second // idle connections older than this are closed
)

// dialFunc dials a TCP address (host:port), as net.Dialer.DialContext does.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dialerFor returns a dialer using bootstrap for host names, or a plain
// net.Dialer for IP literals.
func dialerFor(a address, boot *Bootstrap) (dialFunc, error) {
	if a.ip {
		var d net.Dialer
		return d.DialContext, nil
	}
	if boot == nil {
		return nil, fmt.Errorf("%q: host name %q needs bootstrap servers to be resolved", a.raw, a.host)
	}
	return boot.DialContext, nil
}

// dot is DNS-over-TLS (RFC 7858) with a small pool of idle connections.
type dot struct {
	addr address
	dial dialFunc
	tls  *tls.Config

	mu     sync.Mutex
	idle   []idleConn // most recently used last
	closed bool
}

type idleConn struct {
	co    *dns.Conn
	since time.Time
}

var _ Upstream = (*dot)(nil)

func newDoT(a address, opts Options, boot *Bootstrap) (*dot, error) {
	dial, err := dialerFor(a, boot)
	if err != nil {
		return nil, err
	}
	return &dot{
		addr: a,
		dial: dial,
		tls:  &tls.Config{ServerName: a.host, RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
	}, nil
}

func (u *dot) String() string { return u.addr.raw }

// Exchange sends q on an idle connection, or a new one. If a reused
// connection fails (the server may have closed it), it retries once on a
// fresh connection.
func (u *dot) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	id := dns.Id()
	wire, err := packWithID(q, id)
	if err != nil {
		return nil, err
	}
	co, reused := u.get()
	for {
		if co == nil {
			if co, err = u.connect(ctx); err != nil {
				return nil, err
			}
		}
		r, err := exchangeConn(ctx, co, q, wire, id, false)
		if err == nil {
			u.put(co)
			return r, nil
		}
		co.Close()
		if !reused || ctx.Err() != nil {
			return nil, err
		}
		co, reused = nil, false
	}
}

// connect dials a new TLS connection.
func (u *dot) connect(ctx context.Context) (*dns.Conn, error) {
	c, err := u.dial(ctx, "tcp", u.addr.hostPort())
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, u.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return &dns.Conn{Conn: tc}, nil
}

// get takes the most recently used idle connection, closing stale ones.
func (u *dot) get() (*dns.Conn, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	for len(u.idle) > 0 {
		ic := u.idle[len(u.idle)-1]
		u.idle = u.idle[:len(u.idle)-1]
		if now.Sub(ic.since) < dotIdleTimeout {
			return ic.co, true
		}
		ic.co.Close()
	}
	return nil, false
}

// put returns a healthy connection to the pool, or closes it if full.
func (u *dot) put(co *dns.Conn) {
	_ = co.SetDeadline(time.Time{})
	u.mu.Lock()
	if !u.closed && len(u.idle) < dotMaxIdle {
		u.idle = append(u.idle, idleConn{co: co, since: time.Now()})
		co = nil
	}
	u.mu.Unlock()
	if co != nil {
		co.Close()
	}
}

// Close closes the idle connections; connections in use close when done.
func (u *dot) Close() {
	u.mu.Lock()
	idle := u.idle
	u.idle, u.closed = nil, true
	u.mu.Unlock()
	for _, ic := range idle {
		ic.co.Close()
	}
}
