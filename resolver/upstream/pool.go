package upstream

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

// The UDP socket pool of a plain upstream.
const (
	poolSockets = 4    // connected sockets per plain upstream
	poolMaxUses = 1000 // queries one socket serves before it is replaced
	// readBufSize holds any datagram; a reply larger than its query
	// advertised is dropped after the read.
	readBufSize = dns.MaxMsgSize
)

var (
	errPoolClosed = errors.New("upstream closed")
	errNoID       = errors.New("no free query ID on the socket")
)

// udpPool is a bounded set of connected UDP sockets to one server, shared by
// the queries in flight. Each socket has its own source port, chosen at
// random by the kernel when it connects, and is replaced after maxUses
// queries or on any error (a failed read or write, or a reply in the wrong
// letter case: a spoofer may know its port), so the ports keep changing.
//
// Many queries wait on one socket at once, each under a random ID unused on
// that socket. One reader goroutine per socket hands each reply to the query
// with its ID and question (name in the case sent, type, class); a reply
// matching no query is dropped and counted.
type udpPool struct {
	raddr   *net.UDPAddr
	maxUses int
	socks   []atomic.Pointer[udpSock]
	next    atomic.Uint32

	mu   sync.Mutex // serialises dialing and Close
	live map[*udpSock]struct{}

	dropped  atomic.Int64 // replies matching no query in flight
	replaced atomic.Int64 // sockets retired before Close
}

func newUDPPool(hostPort string, sockets, maxUses int) (*udpPool, error) {
	ra, err := net.ResolveUDPAddr("udp", hostPort) // an IP address: no lookup
	if err != nil {
		return nil, err
	}
	return &udpPool{
		raddr:   ra,
		maxUses: maxUses,
		socks:   make([]atomic.Pointer[udpSock], sockets),
		live:    make(map[*udpSock]struct{}),
	}, nil
}

// udpSock is one connected socket and the queries waiting on it.
type udpSock struct {
	pool *udpPool
	slot int
	conn *net.UDPConn
	buf  []byte        // the reader's
	done chan struct{} // closed when the reader has returned

	mu      sync.Mutex
	waiting map[uint16]*waiter
	ids     *rand.ChaCha8
	uses    int
	dead    bool // takes no new query; closed once none waits
	closed  bool
}

// waiter is one query waiting for its reply.
type waiter struct {
	question []byte     // the question section as sent: name (its case), type, class
	exact    bool       // only a reply in the same letter case is taken
	size     int        // the largest reply the query allows
	ch       chan reply // one delivery
}

type reply struct {
	msg   *dns.Msg
	exact bool // the reply kept the question's letter case
	err   error
}

var waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan reply, 1)} }}

// exchange sends wire (a packed query with one question; question is its
// question section, within wire) on one of the pool's sockets and waits for
// the reply, until ctx ends. It writes the ID into wire. With exact, a reply
// whose question differs in letter case only ends the exchange with errCase.
// It reports whether the reply kept the case.
func (p *udpPool) exchange(ctx context.Context, wire, question []byte, exact bool, size int) (*dns.Msg, bool, error) {
	w := waiters.Get().(*waiter)
	w.question, w.exact, w.size = question, exact, size
	defer func() { w.question = nil; waiters.Put(w) }()
	s, id, err := p.register(w)
	if err != nil {
		return nil, false, err
	}
	wire[0], wire[1] = byte(id>>8), byte(id)
	if _, err := s.conn.Write(wire); err != nil {
		if s.leave(id, w) {
			s.fail(fmt.Errorf("write: %w", err))
			return nil, false, ctxErr(ctx, fmt.Errorf("write: %w", err))
		}
		r := <-w.ch // failed meanwhile by the reader
		return r.msg, r.exact, r.err
	}
	select {
	case r := <-w.ch:
		return r.msg, r.exact, r.err
	case <-ctx.Done():
		if !s.leave(id, w) {
			r := <-w.ch // delivered just now
			return r.msg, r.exact, r.err
		}
		return nil, false, fmt.Errorf("read: %w", ctx.Err())
	}
}

// register places w on a socket under a free random ID.
func (p *udpPool) register(w *waiter) (*udpSock, uint16, error) {
	for range 4 {
		s, err := p.sock()
		if err != nil {
			return nil, 0, err
		}
		s.mu.Lock()
		if s.dead {
			s.mu.Unlock()
			continue
		}
		id, ok := s.freeID()
		if !ok {
			s.mu.Unlock()
			return nil, 0, errNoID
		}
		s.waiting[id] = w
		if s.uses++; s.uses >= p.maxUses {
			s.retireLocked()
		}
		s.mu.Unlock()
		return s, id, nil
	}
	return nil, 0, errors.New("no usable socket")
}

// sock returns the next socket in turn, dialing it if its slot is empty.
func (p *udpPool) sock() (*udpSock, error) {
	i := int(p.next.Add(1) % uint32(len(p.socks)))
	if s := p.socks[i].Load(); s != nil {
		return s, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.socks[i].Load(); s != nil {
		return s, nil
	}
	conn, err := net.DialUDP("udp", nil, p.raddr)
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails (Go 1.24+)
	s := &udpSock{
		pool:    p,
		slot:    i,
		conn:    conn,
		buf:     make([]byte, readBufSize),
		done:    make(chan struct{}),
		waiting: make(map[uint16]*waiter),
		ids:     rand.NewChaCha8(seed),
	}
	p.live[s] = struct{}{}
	p.socks[i].Store(s)
	go s.read()
	return s, nil
}

// freeID picks a random ID no query waits under. s.mu held.
func (s *udpSock) freeID() (uint16, bool) {
	for range 64 {
		id := uint16(s.ids.Uint64())
		if _, used := s.waiting[id]; !used {
			return id, true
		}
	}
	return 0, false
}

// retireLocked takes s out of its slot: it takes no new query and closes
// once no query waits on it. s.mu held.
func (s *udpSock) retireLocked() {
	if s.dead {
		return
	}
	s.dead = true
	if s.pool.socks[s.slot].CompareAndSwap(s, nil) {
		s.pool.replaced.Add(1)
	}
	s.closeIfIdleLocked()
}

func (s *udpSock) closeIfIdleLocked() {
	if s.dead && !s.closed && len(s.waiting) == 0 {
		s.closed = true
		_ = s.conn.Close()
	}
}

// leave removes w (waiting under id) from s. It reports false when w was no
// longer there: its reply is then on w.ch, or about to be.
func (s *udpSock) leave(id uint16, w *waiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting[id] != w {
		return false
	}
	delete(s.waiting, id)
	s.closeIfIdleLocked()
	return true
}

// fail retires and closes s, ending every query waiting on it with err.
func (s *udpSock) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retireLocked()
	for id, w := range s.waiting {
		delete(s.waiting, id)
		w.ch <- reply{err: err}
	}
	s.closeIfIdleLocked()
}

// read delivers the socket's datagrams until it is closed.
func (s *udpSock) read() {
	defer func() {
		s.pool.mu.Lock()
		delete(s.pool.live, s)
		s.pool.mu.Unlock()
		close(s.done)
	}()
	for {
		n, err := s.conn.Read(s.buf)
		if err != nil {
			// Closed by us, or an error (ICMP unreachable: ECONNREFUSED):
			// the socket is done either way.
			s.fail(fmt.Errorf("read: %w", err))
			return
		}
		s.deliver(s.buf[:n])
	}
}

// deliver hands the datagram b to the query it answers, or drops it.
func (s *udpSock) deliver(b []byte) {
	// A response (QR) with one question.
	if len(b) < 12 || b[2]&0x80 == 0 || b[4] != 0 || b[5] != 1 {
		s.pool.dropped.Add(1)
		return
	}
	id := uint16(b[0])<<8 | uint16(b[1])
	w, exact := s.match(id, b)
	if w == nil {
		s.pool.dropped.Add(1)
		return
	}
	if w.exact && !exact {
		// The right ID and question in another case: a spoof (who may
		// know this port), or a server that does not keep case.
		if s.take(id, w, b) {
			w.ch <- reply{err: errCase}
			s.mu.Lock()
			s.retireLocked()
			s.mu.Unlock()
		}
		return
	}
	m := new(dns.Msg)
	if m.Unpack(b) != nil {
		s.pool.dropped.Add(1) // garbage: the real reply may follow
		return
	}
	if !s.take(id, w, b) {
		s.pool.dropped.Add(1) // the query gave up meanwhile
		return
	}
	w.ch <- reply{msg: m, exact: exact}
}

// match returns the query waiting under id whose question b answers, and
// whether the case is the same.
func (s *udpSock) match(id uint16, b []byte) (*waiter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.waiting[id]
	if w == nil || len(b) > w.size {
		return nil, false
	}
	exact, ok := sameQuestion(b[12:], w.question)
	if !ok {
		return nil, false
	}
	return w, exact
}

// take removes w from the queries waiting, if it still waits under id for
// the question in b.
func (s *udpSock) take(id uint16, w *waiter, b []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting[id] != w {
		return false
	}
	if _, ok := sameQuestion(b[12:], w.question); !ok {
		return false
	}
	delete(s.waiting, id)
	s.closeIfIdleLocked()
	return true
}

// sameQuestion reports whether b starts with the question q (a name in
// uncompressed wire form, type, class), ignoring ASCII letter case, and
// whether the case is the same too.
func sameQuestion(b, q []byte) (exact, ok bool) {
	if len(b) < len(q) {
		return false, false
	}
	exact = true
	for i, c := range q {
		d := b[i]
		if c == d {
			continue
		}
		exact = false
		if lower(c) != lower(d) {
			return false, false
		}
	}
	return exact, true
}

// lower is c in lower case if it is an ASCII letter. Label lengths (at most
// 63) are never letters, so folding a name's wire form folds its letters only.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c | 0x20
	}
	return c
}

// Close ends every query waiting on the pool with an error and closes its
// sockets, their readers gone when it returns. A later exchange dials anew.
func (p *udpPool) Close() {
	p.mu.Lock()
	socks := make([]*udpSock, 0, len(p.live))
	for s := range p.live {
		socks = append(socks, s)
	}
	p.mu.Unlock()
	for _, s := range socks {
		s.mu.Lock()
		if !s.dead {
			s.dead = true
			s.pool.socks[s.slot].CompareAndSwap(s, nil)
		}
		s.mu.Unlock()
		s.fail(errPoolClosed) // closes it: dead, and no query waits now
	}
	for _, s := range socks {
		<-s.done
	}
}

// inFlight is the number of queries waiting on the pool's sockets (tests).
func (p *udpPool) inFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for s := range p.live {
		s.mu.Lock()
		n += len(s.waiting)
		s.mu.Unlock()
	}
	return n
}
