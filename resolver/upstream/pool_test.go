package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// rawServer is a UDP server on loopback handing each datagram, with its
// sender, to a handler that sends whatever it likes (or nothing), in order.
type rawServer struct {
	pc   *net.UDPConn
	Addr string
	done chan struct{}
}

func startRaw(t *testing.T, addr string, h func(s *rawServer, q []byte, from netip.AddrPort)) *rawServer {
	t.Helper()
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{pc: pc, Addr: pc.LocalAddr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			h(s, append([]byte(nil), buf[:n]...), from)
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *rawServer) stop() { s.pc.Close(); <-s.done }

func (s *rawServer) send(b []byte, to netip.AddrPort) { _, _ = s.pc.WriteToUDPAddrPort(b, to) }

// replyA is the reply to the packed query q with one A record ip; edit, if
// not nil, changes it first (a spoofer's doing).
func replyA(t *testing.T, q []byte, ip string, edit func(*dns.Msg)) []byte {
	m := new(dns.Msg)
	if err := m.Unpack(q); err != nil {
		t.Errorf("server: %v", err)
		return nil
	}
	r := new(dns.Msg)
	r.SetReply(m) // the question as asked, in its case
	r.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: m.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)}}
	if edit != nil {
		edit(r)
	}
	b, err := r.Pack()
	if err != nil {
		t.Errorf("server: %v", err)
	}
	return b
}

// plainPool is a plain UDP upstream for addr whose pool has the given size.
func plainPool(t *testing.T, addr string, sockets, maxUses int) *plain {
	t.Helper()
	a, err := parseAddress("udp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	u, err := newPlain(a, zerolog.Nop(), true)
	if err != nil {
		t.Fatal(err)
	}
	if u.pool, err = newUDPPool(a.hostPort(), sockets, maxUses); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.Close)
	return u
}

// TestPoolOutOfOrder: 60 queries at once over 4 sockets, answered in
// reverse order once all have arrived: each gets its own answer.
func TestPoolOutOfOrder(t *testing.T) {
	const n = 60
	var (
		mu    sync.Mutex
		held  [][]byte
		from  []netip.AddrPort
		ports = map[uint16]bool{}
	)
	s := startRaw(t, "127.0.0.1:0", func(s *rawServer, q []byte, f netip.AddrPort) {
		mu.Lock()
		defer mu.Unlock()
		held, from = append(held, q), append(from, f)
		ports[f.Port()] = true
		if len(held) < n {
			return
		}
		for i := len(held) - 1; i >= 0; i-- {
			m := new(dns.Msg)
			_ = m.Unpack(held[i])
			var k int
			fmt.Sscanf(strings.ToLower(m.Question[0].Name), "q%d.", &k)
			s.send(replyA(t, held[i], fmt.Sprintf("10.0.0.%d", k), nil), from[i])
		}
	})
	u := plainPool(t, s.Addr, 4, 1000)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			name := fmt.Sprintf("q%d.pool.example.", i)
			r, err := u.Exchange(ctx, query(name, dns.TypeA))
			switch {
			case err != nil:
				errs <- err
			case len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != fmt.Sprintf("10.0.0.%d", i):
				errs <- fmt.Errorf("%s: answer %v", name, r.Answer)
			case r.Question[0].Name != name:
				errs <- fmt.Errorf("question %q, want %q", r.Question[0].Name, name)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(ports) > 4 || len(ports) < 2 {
		t.Errorf("queries came from %d source ports, want 2 to 4 (the pool's sockets)", len(ports))
	}
	if k := u.pool.inFlight(); k != 0 {
		t.Errorf("%d queries still registered", k)
	}
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 32
		case 'A' <= r && r <= 'Z':
			return r + 32
		}
		return r
	}, s)
}

// TestPoolSpoofWrongCase: a reply with the right ID but the question in
// another case (a spoofer's, arriving first) is not taken; the query is
// asked again from another port, and the real answer is accepted.
func TestPoolSpoofWrongCase(t *testing.T) {
	var (
		mu    sync.Mutex
		ports []uint16
	)
	s := startRaw(t, "127.0.0.1:0", func(s *rawServer, q []byte, f netip.AddrPort) {
		mu.Lock()
		first := len(ports) == 0
		ports = append(ports, f.Port())
		mu.Unlock()
		if first {
			s.send(replyA(t, q, "6.6.6.6", func(r *dns.Msg) {
				r.Question[0].Name = swapCase(r.Question[0].Name)
				r.Answer[0].Header().Name = r.Question[0].Name
			}), f)
		}
		s.send(replyA(t, q, "192.0.2.1", nil), f)
	})
	u := plainPool(t, s.Addr, 4, 1000)
	r := exchange(t, u, query(longName, dns.TypeA))
	wantA(t, r, "192.0.2.1")
	mu.Lock()
	defer mu.Unlock()
	if len(ports) != 2 || ports[0] == ports[1] {
		t.Errorf("asked from ports %v, want twice, from two ports", ports)
	}
	if u.noCase.Load() {
		t.Error("one wrong-case reply turned 0x20 off")
	}
	if u.pool.replaced.Load() != 1 {
		t.Errorf("%d sockets replaced, want 1 (the one a spoofer reached)", u.pool.replaced.Load())
	}
}

// TestPoolSpoofWrongQuestion: a reply with the right ID for another name is
// dropped, and the real one, on the same socket, is still taken.
func TestPoolSpoofWrongQuestion(t *testing.T) {
	s := startRaw(t, "127.0.0.1:0", func(s *rawServer, q []byte, f netip.AddrPort) {
		s.send(replyA(t, q, "6.6.6.6", func(r *dns.Msg) {
			r.Question[0].Name = "other.example."
			r.Answer[0].Header().Name = "other.example."
		}), f)
		s.send(replyA(t, q, "192.0.2.1", nil), f)
	})
	u := plainPool(t, s.Addr, 1, 1000)
	wantA(t, exchange(t, u, query(longName, dns.TypeA)), "192.0.2.1")
	if d := u.pool.dropped.Load(); d != 1 {
		t.Errorf("dropped %d replies, want 1", d)
	}
}

// TestPoolSocketReplacedAfterError: when the server's port closes, the
// socket's error (ICMP port unreachable) fails the query at once and
// retires the socket; the next query goes out from a new port.
func TestPoolSocketReplacedAfterError(t *testing.T) {
	addr := dnstest.FreeAddrOn(t, "127.0.0.77")
	var (
		mu    sync.Mutex
		ports []uint16
	)
	h := func(s *rawServer, q []byte, f netip.AddrPort) {
		mu.Lock()
		ports = append(ports, f.Port())
		mu.Unlock()
		s.send(replyA(t, q, "192.0.2.1", nil), f)
	}
	s := startRaw(t, addr, h)
	u := plainPool(t, addr, 1, 1000)
	wantA(t, exchange(t, u, query("a.example.", dns.TypeA)), "192.0.2.1")

	s.stop()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := u.Exchange(ctx, query("b.example.", dns.TypeA)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("closed port: err %v, want an error at once", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("the error took %v", el)
	}
	if u.pool.replaced.Load() != 1 {
		t.Errorf("%d sockets replaced, want 1", u.pool.replaced.Load())
	}

	startRaw(t, addr, h)
	wantA(t, exchange(t, u, query("c.example.", dns.TypeA)), "192.0.2.1")
	mu.Lock()
	defer mu.Unlock()
	if len(ports) != 2 || ports[0] == ports[1] {
		t.Errorf("answered from ports %v, want two different ports", ports)
	}
}

// TestPoolReplacedAfterMaxUses: a socket serves maxUses queries, then the
// next query goes out from a new port.
func TestPoolReplacedAfterMaxUses(t *testing.T) {
	var (
		mu    sync.Mutex
		ports []uint16
	)
	s := startRaw(t, "127.0.0.1:0", func(s *rawServer, q []byte, f netip.AddrPort) {
		mu.Lock()
		ports = append(ports, f.Port())
		mu.Unlock()
		s.send(replyA(t, q, "192.0.2.1", nil), f)
	})
	u := plainPool(t, s.Addr, 1, 3)
	for range 7 {
		wantA(t, exchange(t, u, query("a.example.", dns.TypeA)), "192.0.2.1")
	}
	mu.Lock()
	defer mu.Unlock()
	p := ports
	if len(p) != 7 || p[0] != p[1] || p[1] != p[2] || p[3] != p[4] || p[4] != p[5] ||
		p[2] == p[3] || p[5] == p[6] || p[0] == p[6] {
		t.Errorf("source ports %v, want three queries per port", p)
	}
}

// TestPoolTimeoutFreesID: a query that times out leaves no ID registered,
// its socket stays, and its late reply is dropped.
func TestPoolTimeoutFreesID(t *testing.T) {
	var (
		mu   sync.Mutex
		late []byte
	)
	s := startRaw(t, "127.0.0.1:0", func(s *rawServer, q []byte, f netip.AddrPort) {
		mu.Lock()
		defer mu.Unlock()
		if late == nil { // the first query is answered only with the second
			late = q
			return
		}
		s.send(replyA(t, late, "192.0.2.1", nil), f)
		s.send(replyA(t, q, "192.0.2.2", nil), f)
	})
	u := plainPool(t, s.Addr, 1, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := u.Exchange(ctx, query("slow.example.", dns.TypeA)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if k := u.pool.inFlight(); k != 0 {
		t.Fatalf("%d IDs still registered after the timeout", k)
	}
	wantA(t, exchange(t, u, query("fast.example.", dns.TypeA)), "192.0.2.2")
	if d := u.pool.dropped.Load(); d != 1 {
		t.Errorf("dropped %d replies, want 1 (the late one)", d)
	}
	if r := u.pool.replaced.Load(); r != 0 {
		t.Errorf("%d sockets replaced after a timeout, want 0", r)
	}
}

// readers counts the goroutines reading a pool's socket.
func readers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "upstream.(*udpSock).read(")
}

// TestPoolCloseWhileWaiting: Close ends the queries waiting at once, with
// an error, and leaves no reader goroutine; a later query opens a new socket.
func TestPoolCloseWhileWaiting(t *testing.T) {
	const n = 20
	got := make(chan struct{}, n)
	var (
		mu     sync.Mutex
		answer bool
	)
	s := startRaw(t, "127.0.0.1:0", func(s *rawServer, q []byte, f netip.AddrPort) {
		mu.Lock()
		a := answer
		mu.Unlock()
		if a {
			s.send(replyA(t, q, "192.0.2.1", nil), f)
			return
		}
		got <- struct{}{}
	})
	before := readers()
	u := plainPool(t, s.Addr, 4, 1000)
	errs := make(chan error, n)
	start := time.Now()
	for i := range n {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := u.Exchange(ctx, query(fmt.Sprintf("w%d.example.", i), dns.TypeA))
			errs <- err
		}()
	}
	for range n {
		<-got
	}
	if r := readers(); r != before+4 {
		t.Fatalf("%d socket readers, want %d", r, before+4)
	}
	u.Close()
	for range n {
		if err := <-errs; err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("query waiting at Close: err %v, want the close error", err)
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("queries ended %v after they started, want at once", el)
	}
	if r := readers(); r != before {
		t.Errorf("%d socket readers after Close, want %d", r, before)
	}
	mu.Lock()
	answer = true
	mu.Unlock()
	wantA(t, exchange(t, u, query("after.example.", dns.TypeA)), "192.0.2.1")
}
