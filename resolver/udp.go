package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Hearth reads UDP itself: per listen address one socket per core (see
// udp_linux.go), each read by one long-lived worker with its own buffers.
// The worker screens each packet as miekg/dns would (acceptQuery), answers
// what it can from the wire bytes inline (fastpath.go: cache hits, blocked
// names, refusals), and hands the rest to a goroutine: a query it has
// already decided continues there from the cache step; anything else is
// unpacked and served by ServeDNS, as before. TCP stays on dns.Server.

// udpReadSize is the largest query read (as dns.Server's UDPSize was).
const udpReadSize = 4096

// packetConn is what a worker writes to: a *net.UDPConn, or a test's fake.
type packetConn interface {
	WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error)
	LocalAddr() net.Addr
}

var _ packetConn = (*net.UDPConn)(nil)

// udpServer is the UDP side of one listen address.
type udpServer struct {
	s        *Server
	conns    []*net.UDPConn
	workers  sync.WaitGroup // one per socket
	inflight sync.WaitGroup // queries handed to a goroutine
	stopping atomic.Bool
}

func newUDPServer(s *Server, conns []*net.UDPConn) *udpServer {
	return &udpServer{s: s, conns: conns}
}

func (u *udpServer) start() {
	for i, c := range u.conns {
		u.workers.Add(1)
		go u.read(c, i+1)
	}
}

// shutdown stops reading, waits (up to ctx) for the queries in flight to be
// answered, then closes the sockets.
func (u *udpServer) shutdown(ctx context.Context) error {
	u.stopping.Store(true)
	for _, c := range u.conns {
		_ = c.SetReadDeadline(time.Unix(1, 0)) // wakes the worker's read
	}
	done := make(chan struct{})
	go func() { u.workers.Wait(); u.inflight.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	closeAll(u.conns)
	return err
}

// read is one socket's worker, the n-th of its listen address.
func (u *udpServer) read(c *net.UDPConn, n int) {
	defer u.workers.Done()
	wk := newUDPWorker(u, c)
	wk.queue = n
	in := make([]byte, udpReadSize)
	oob := make([]byte, oobSize)
	for {
		n, oobn, _, from, err := c.ReadMsgUDPAddrPort(in, oob)
		if err != nil {
			if u.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if u.s.logs.allow(logSubject{kind: "udp-read"}, u.s.clock.Now()) {
				u.s.log.Warn().Err(err).Msg("reading a UDP query failed")
			}
			continue
		}
		wk.handle(in[:n], from, oob[:oobn])
	}
}

// udpWorker is one worker's reused state: nothing in it is allocated per
// query.
type udpWorker struct {
	u    *udpServer
	s    *Server
	conn packetConn
	out  []byte    // the answer being built
	ede  []byte    // the Extended DNS Error text of a blocked answer
	oob  []byte    // the control message of the answer
	name [256]byte // the question's name in presentation form
	key  [maxKeyLen]byte
	// queue is the journal's queue for this worker's lookups
	// (journal.Event.Queue): workers on different cores do not share one.
	queue int
}

func newUDPWorker(u *udpServer, c packetConn) *udpWorker {
	return &udpWorker{u: u, s: u.s, conn: c, out: make([]byte, 0, udpReadSize), oob: make([]byte, oobSize)}
}

// handle answers one packet: dropped, rejected, answered inline, or handed
// to a goroutine.
func (wk *udpWorker) handle(pkt []byte, from netip.AddrPort, oob []byte) {
	if len(pkt) < headerLen {
		return // garbage: any reply could amplify
	}
	dh := dns.Header{Id: binary.BigEndian.Uint16(pkt), Bits: binary.BigEndian.Uint16(pkt[2:]),
		Qdcount: binary.BigEndian.Uint16(pkt[4:]), Ancount: binary.BigEndian.Uint16(pkt[6:]),
		Nscount: binary.BigEndian.Uint16(pkt[8:]), Arcount: binary.BigEndian.Uint16(pkt[10:])}
	switch acceptQuery(dh) {
	case dns.MsgIgnore:
		return
	case dns.MsgReject:
		wk.send(appendReject(wk.out[:0], pkt, dns.RcodeFormatError), from, oob)
		return
	case dns.MsgRejectNotImplemented:
		wk.send(appendReject(wk.out[:0], pkt, dns.RcodeNotImplemented), from, oob)
		return
	}
	if !wk.fast(pkt, from, oob) {
		wk.slow(pkt, from, oob)
	}
}

// send writes an answer to from, from the address the query came to.
func (wk *udpWorker) send(b []byte, to netip.AddrPort, oob []byte) {
	_, _, _ = wk.conn.WriteMsgUDPAddrPort(b, replyOOB(wk.oob, oob), to)
	wk.out = b[:0]
}

// slow copies the packet and serves it on a goroutine with ServeDNS, as
// miekg/dns's server would.
func (wk *udpWorker) slow(pkt []byte, from netip.AddrPort, oob []byte) {
	w := wk.writer(from, oob)
	buf := append([]byte(nil), pkt...)
	wk.u.inflight.Add(1)
	wk.s.handoff.run(func() {
		defer wk.u.inflight.Done()
		req := new(dns.Msg)
		if err := req.Unpack(buf); err != nil {
			// As dns.Server: FORMERR with the header as read (and
			// whatever question could be read), no records.
			req.SetRcodeFormatError(req)
			req.Zero = false
			req.Ns, req.Answer, req.Extra = nil, nil, nil
			_ = w.WriteMsg(req)
			return
		}
		wk.s.ServeDNS(w, req)
	})
}

// writer is a ResponseWriter answering from on the worker's socket, for a
// query served on another goroutine.
func (wk *udpWorker) writer(from netip.AddrPort, oob []byte) *udpWriter {
	w := &udpWriter{conn: wk.conn, to: from}
	if r := replyOOB(make([]byte, oobSize), oob); r != nil {
		w.oob = r
	}
	return w
}

// udpWriter is the dns.ResponseWriter of a UDP query served off the worker.
type udpWriter struct {
	conn packetConn
	to   netip.AddrPort
	oob  []byte
}

func (w *udpWriter) LocalAddr() net.Addr { return w.conn.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: w.to.Addr().AsSlice(), Port: int(w.to.Port()), Zone: w.to.Addr().Zone()}
}
func (w *udpWriter) Write(b []byte) (int, error) {
	n, _, err := w.conn.WriteMsgUDPAddrPort(b, w.oob, w.to)
	return n, err
}
func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *udpWriter) Close() error        { return nil }
func (w *udpWriter) TsigStatus() error   { return nil }
func (w *udpWriter) TsigTimersOnly(bool) {}
func (w *udpWriter) Hijack()             {}

var _ dns.ResponseWriter = (*udpWriter)(nil)
