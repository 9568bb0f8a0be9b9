package web

// One port for both: with web.tls on, the dashboard's port speaks TLS to
// clients that begin with a TLS handshake and plain HTTP to the others,
// which are only redirected to https:// (guard). A bookmark of
// http://hearth.lan:8080/ keeps working after TLS is turned on.

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

const sniffTimeout = 10 * time.Second // a client that sends nothing this long is dropped

// sniffListener hands http.Server a *tls.Conn for a client that starts
// with a TLS record (0x16) and the plain connection otherwise.
type sniffListener struct {
	net.Listener
	tls   *tls.Config
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	err   error
}

func newSniffListener(ln net.Listener, cfg *tls.Config) *sniffListener {
	l := &sniffListener{Listener: ln, tls: cfg, conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *sniffListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) && ne.Timeout() {
				continue
			}
			if !errors.Is(err, net.ErrClosed) && isTemporary(err) {
				time.Sleep(50 * time.Millisecond) // out of files: as http.Server does
				continue
			}
			l.stop(err)
			return
		}
		go l.sniff(c)
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

func (l *sniffListener) stop(err error) {
	l.once.Do(func() { l.err = err; close(l.done) })
}

// sniff reads the first byte and hands the connection on.
func (l *sniffListener) sniff(c net.Conn) {
	var first [1]byte
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	if _, err := c.Read(first[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var out net.Conn = &peekedConn{Conn: c, first: first[:]}
	if first[0] == 0x16 { // a TLS handshake record
		out = tls.Server(out, l.tls)
	}
	select {
	case l.conns <- out:
	case <-l.done:
		c.Close()
	}
}

func (l *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

func (l *sniffListener) Close() error {
	err := l.Listener.Close()
	l.stop(net.ErrClosed)
	return err
}

// peekedConn gives back the byte sniff read before the rest.
type peekedConn struct {
	net.Conn
	first []byte
}

func (c *peekedConn) Read(b []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(b, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
