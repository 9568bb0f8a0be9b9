package resolver

// The encrypted listeners' common part: a listener that holds at most
// tls.max_connections open, completes each TLS handshake on its own
// goroutine (with a deadline) and hands on only the connections whose
// handshake succeeded, counting those that failed.

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const handshakeTimeout = 10 * time.Second

// encCounters are one encrypted protocol's connection figures.
type encCounters struct {
	accepted   atomic.Int64 // connections whose handshake succeeded, since start
	open       atomic.Int64 // connections open now
	handshakes atomic.Int64 // handshakes that failed (or timed out), since start
}

type tlsListener struct {
	net.Listener
	cfg   *tls.Config
	sem   chan struct{} // a slot per open connection; nil: no limit
	cnt   *encCounters
	wrap  bool // hand on conns that free their slot on Close (DoT); else the server calls release (DoH)
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	err   error
}

func newTLSListener(ln net.Listener, cfg *tls.Config, max int, cnt *encCounters, wrap bool) *tlsListener {
	l := &tlsListener{Listener: ln, cfg: cfg, cnt: cnt, wrap: wrap, conns: make(chan net.Conn), done: make(chan struct{})}
	if max > 0 {
		l.sem = make(chan struct{}, max)
	}
	go l.acceptLoop()
	return l
}

func (l *tlsListener) acceptLoop() {
	for {
		if l.sem != nil {
			select {
			case l.sem <- struct{}{}:
			case <-l.done:
				return
			}
		}
		c, err := l.Listener.Accept()
		if err != nil {
			l.release()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, net.ErrClosed) {
				continue
			}
			l.stop(err)
			return
		}
		l.cnt.open.Add(1)
		go l.handshake(c)
	}
}

// release frees a connection's slot.
func (l *tlsListener) release() {
	if l.sem != nil {
		<-l.sem
	}
}

// closed is told that a connection handed on has closed.
func (l *tlsListener) closed() {
	l.cnt.open.Add(-1)
	l.release()
}

func (l *tlsListener) handshake(c net.Conn) {
	tc := tls.Server(c, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		l.cnt.handshakes.Add(1)
		c.Close()
		l.closed()
		return
	}
	l.cnt.accepted.Add(1)
	var out net.Conn = tc
	if l.wrap {
		out = &slotConn{Conn: tc, l: l}
	}
	select {
	case l.conns <- out:
	case <-l.done:
		tc.Close()
		l.closed()
	}
}

func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

func (l *tlsListener) stop(err error) { l.once.Do(func() { l.err = err; close(l.done) }) }

func (l *tlsListener) Close() error {
	err := l.Listener.Close()
	l.stop(net.ErrClosed)
	return err
}

// slotConn is a DoT connection: closing it frees its slot, once. Its
// ConnectionState (from *tls.Conn) is what miekg/dns's ResponseWriter
// reports.
type slotConn struct {
	*tls.Conn
	l    *tlsListener
	once sync.Once
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.l.closed)
	return err
}
