// Package dnstest runs real DNS servers on loopback for tests: plain UDP/TCP,
// DNS-over-TLS and DNS-over-HTTPS, each with knobs to delay, drop, fail or
// truncate replies, and counters to assert on. It is imported only by tests.
package dnstest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Mode is how a Server answers.
type Mode int

const (
	Normal      Mode = iota // answer with the handler
	ServFail                // answer SERVFAIL
	Refused                 // answer REFUSED
	Drop                    // never reply
	TruncateUDP             // over UDP reply TC=1 with no answers; over TCP reply fully
)

// Server is a scriptable DNS server on 127.0.0.1. All knobs are safe to use
// while it runs.
//
// Over UDP, replies in Normal mode are truncated to the size the query
// advertises (512 without EDNS), as a real server does, so "big.test." TXT
// comes back with TC=1 over UDP and whole over TCP.
type Server struct {
	Addr string // "127.0.0.1:PORT"; for DoH the TCP address of the HTTPS server
	URL  string // DoH only: "https://127.0.0.1:PORT/dns-query"

	mu      sync.Mutex
	delay   time.Duration
	mode    Mode
	handler func(q *dns.Msg) *dns.Msg
	last    *dns.Msg

	queries    atomic.Int64
	conns      atomic.Int64
	protoMajor atomic.Int32

	closed    chan struct{} // closed when the test ends: unblocks delays and drops
	closeOnce sync.Once
}

func newServer() *Server { return &Server{closed: make(chan struct{})} }

// SetDelay sets the delay before each reply.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetMode sets how the server answers.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// SetHandler sets the function answering queries in Normal mode; nil restores
// DefaultHandler. h receives a copy of the query; it should build its reply
// with SetReply. A nil reply means no reply is sent.
func (s *Server) SetHandler(h func(q *dns.Msg) *dns.Msg) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Queries is the number of queries received over all transports.
func (s *Server) Queries() int64 { return s.queries.Load() }

// LastQuery returns a copy of the last query received, or nil.
func (s *Server) LastQuery() *dns.Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	return s.last.Copy()
}

// Conns is the number of TCP (or TLS) connections accepted so far.
func (s *Server) Conns() int64 { return s.conns.Load() }

// HTTPProtoMajor is the ProtoMajor of the last DoH request (0 before any).
func (s *Server) HTTPProtoMajor() int { return int(s.protoMajor.Load()) }

func (s *Server) close() { s.closeOnce.Do(func() { close(s.closed) }) }

// answer records q and returns the reply to send, or nil for none. It waits
// for the delay, and in Drop mode until ctx ends or the server closes. udp
// says the query came over UDP.
func (s *Server) answer(ctx context.Context, q *dns.Msg, udp bool) *dns.Msg {
	s.queries.Add(1)
	s.mu.Lock()
	s.last = q.Copy()
	delay, mode, h := s.delay, s.mode, s.handler
	s.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		case <-s.closed:
			return nil
		}
	}
	switch mode {
	case ServFail:
		return rcodeReply(q, dns.RcodeServerFailure)
	case Refused:
		return rcodeReply(q, dns.RcodeRefused)
	case Drop:
		select {
		case <-ctx.Done():
		case <-s.closed:
		}
		return nil
	case TruncateUDP:
		if udp {
			r := rcodeReply(q, dns.RcodeSuccess)
			r.Truncated = true
			return r
		}
	}
	if h == nil {
		h = DefaultHandler
	}
	r := h(q.Copy())
	if r != nil && udp {
		size := dns.MinMsgSize
		if o := q.IsEdns0(); o != nil && int(o.UDPSize()) > size {
			size = int(o.UDPSize())
		}
		r.Truncate(size)
	}
	return r
}

// serveDNS adapts answer to miekg/dns.
func (s *Server) serveDNS(w dns.ResponseWriter, q *dns.Msg) {
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	if r := s.answer(context.Background(), q, udp); r != nil {
		_ = w.WriteMsg(r)
	}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// NewServer starts a plain DNS server with UDP and TCP on the same port of
// 127.0.0.1. It stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := newServer()
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for range 20 {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: listen udp: %v", err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatalf("dnstest: listen tcp on the udp port: %v", err)
	}
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serveDNS), UDPSize: dns.MaxMsgSize}
	tcp := &dns.Server{Listener: countingListener{ln, &s.conns}, Handler: dns.HandlerFunc(s.serveDNS)}
	start(t, s, udp, tcp)
	return s
}

// start runs the dns servers and registers their shutdown.
func start(t testing.TB, s *Server, srvs ...*dns.Server) {
	t.Helper()
	var wg sync.WaitGroup
	for _, srv := range srvs {
		started := make(chan struct{})
		errc := make(chan error, 1)
		srv.NotifyStartedFunc = func() { close(started) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- srv.ActivateAndServe()
		}()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("dnstest: serve: %v", err)
		}
	}
	t.Cleanup(func() {
		s.close()
		for _, srv := range srvs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.ShutdownContext(ctx)
			cancel()
		}
		wg.Wait()
	})
}

// FreeAddr returns a loopback address ("127.0.0.1:PORT") free for both UDP
// and TCP just now, for a server the test starts itself (a child process).
func FreeAddr(t testing.TB) string {
	t.Helper()
	return FreeAddrOn(t, "127.0.0.1")
}

// FreeAddrOn is FreeAddr on another loopback address (any of 127.0.0.0/8).
// A test that checks a port stays unbound uses an address of its own, so the
// ephemeral ports of clients in other packages' tests, which the kernel
// hands out on 127.0.0.1, cannot take it meanwhile.
func FreeAddrOn(t testing.TB, ip string) string {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", addr)
		pc.Close()
		if err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}
