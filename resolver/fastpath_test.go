package resolver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
)

// fakeConn is a worker's socket for tests and benchmarks: it keeps the
// last answer written (in a reused buffer) and counts the writes.
type fakeConn struct {
	mu     sync.Mutex
	last   []byte
	writes int
	// inline, when set, is the goroutine of the worker: writes made from
	// it are counted in inlineWrites (a slow-path goroutine can finish
	// before handle returns, so counting writes then is not enough).
	inline       uint64
	inlineWrites int
}

func (c *fakeConn) WriteMsgUDPAddrPort(b, _ []byte, _ netip.AddrPort) (int, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = append(c.last[:0], b...)
	c.writes++
	if c.inline != 0 && goroutineID() == c.inline {
		c.inlineWrites++
	}
	return len(b), 0, nil
}

// goroutineID is the calling goroutine's number, from its stack trace's
// first line ("goroutine 42 [running]:").
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, _ = bytes.CutPrefix(b, []byte("goroutine "))
	id, _, _ := bytes.Cut(b, []byte(" "))
	n, _ := strconv.ParseUint(string(id), 10, 64)
	return n
}

func (c *fakeConn) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }

// testWorker is a worker of s writing to a fakeConn.
func testWorker(s *Server) (*udpWorker, *fakeConn) {
	c := &fakeConn{}
	return newUDPWorker(&udpServer{s: s}, c), c
}

var benchClient = netip.MustParseAddrPort("192.168.1.20:5353")

func packQuery(t testing.TB, name string, qtype uint16, edns bool) ([]byte, *dns.Msg) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = 4711
	if edns {
		m.SetEdns0(1232, true)
	}
	pkt, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return pkt, m
}

// familyServer is a server with the family's policy (192.168.1.20 is a
// child's tablet) on a fixed school-day noon, www.example.com cached.
func familyServer(t testing.TB, rec Recorder) *Server {
	t.Helper()
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	cfg.AllowClients = append(cfg.AllowClients, "192.168.0.0/16")
	cfg.RateLimit = RateLimitConfig{QPS: 1 << 30, Burst: 1 << 30}
	opts := Options{Clock: clocktest.New(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)), Policy: familyEngine(t), Journal: rec}
	s, addr := startWith(t, cfg, opts)
	ask(t, addr, "www.example.com.", dns.TypeA)
	ask(t, addr, "www.example.com.", dns.TypeA, withEDNS(1232, true))
	return s
}

// TestFastPathAnswersAsServeDNS: for the queries the worker answers
// inline, its answer is byte for byte ServeDNS's, and it is written before
// handle returns (not by the slow path on another goroutine).
func TestFastPathAnswersAsServeDNS(t *testing.T) {
	s := familyServer(t, nil)
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		edns  bool
		from  string
	}{
		{"hit", "WWW.Example.com.", dns.TypeA, false, "192.168.1.20:5353"},
		{"hit-edns", "www.example.COM.", dns.TypeA, true, "192.168.1.20:5353"},
		{"blocked", "www.Roblox.com.", dns.TypeA, false, "192.168.1.20:5353"},
		{"blocked-edns", "www.roblox.com.", dns.TypeAAAA, true, "192.168.1.20:5353"},
		{"blocked-malware-household", "www.roblox.com.", dns.TypeA, true, "192.168.2.7:5353"},
		{"refused", "www.example.com.", dns.TypeA, true, "10.1.1.1:5353"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkt, req := packQuery(t, tc.qname, tc.qtype, tc.edns)
			from := netip.MustParseAddrPort(tc.from)
			dw := dnstest.NewDiscardWriter(net.IP(from.Addr().AsSlice()))
			s.ServeDNS(dw, req)
			want := append([]byte(nil), dw.Last...)
			wk, c := testWorker(s)
			wk.handle(pkt, from, nil)
			if c.writes != 1 {
				t.Fatalf("%d answers written inline, want 1 (the fast path)", c.writes)
			}
			if !bytes.Equal(c.last, want) {
				t.Errorf("fast path answer\n%v\nServeDNS's\n%v", unpack(t, c.last), unpack(t, want))
			}
		})
	}
}

// TestFastPathLeavesTheRest: queries the fast path must not answer reach
// ServeDNS (the slow path, on a goroutine) and get its answer.
func TestFastPathLeavesTheRest(t *testing.T) {
	s := familyServer(t, nil)
	ecs := new(dns.Msg)
	ecs.SetQuestion("www.example.com.", dns.TypeA)
	ecs.SetEdns0(1232, false)
	ecs.IsEdns0().Option = append(ecs.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 32, Address: net.IPv4(192, 168, 1, 20).To4()})
	any := new(dns.Msg).SetQuestion("example.com.", dns.TypeANY)
	local := new(dns.Msg).SetQuestion("printer.lan.", dns.TypeA)
	for name, m := range map[string]*dns.Msg{"ecs": ecs, "any": any, "local": local} {
		pkt, _ := m.Pack()
		wk, c := testWorker(s)
		c.inline = goroutineID()
		wk.handle(pkt, benchClient, nil)
		wk.u.inflight.Wait()
		if c.inlineWrites != 0 {
			t.Errorf("%s: answered inline", name)
		}
		if c.writes != 1 {
			t.Fatalf("%s: %d answers from the slow path, want 1", name, c.writes)
		}
		dw := dnstest.NewDiscardWriter(net.IPv4(192, 168, 1, 20))
		s.ServeDNS(dw, m)
		if r := unpack(t, c.last); r.Id != m.Id || r.Rcode != unpack(t, dw.Last).Rcode {
			t.Errorf("%s: answer %v, want %v", name, r, unpack(t, dw.Last))
		}
	}
}

// TestFastPathAllocations: a cache hit and a blocked answer, with or
// without EDNS (whose Extended DNS Error text is written into the worker's
// buffer), allocate nothing in the worker.
func TestFastPathAllocations(t *testing.T) {
	s := familyServer(t, nil)
	for _, tc := range []struct {
		qname string
		edns  bool
		max   float64
	}{{"www.example.com.", false, 0}, {"www.example.com.", true, 0}, {"www.roblox.com.", false, 0}, {"www.roblox.com.", true, 0}} {
		pkt, _ := packQuery(t, tc.qname, dns.TypeA, tc.edns)
		wk, c := testWorker(s)
		wk.handle(pkt, benchClient, nil)
		if n := testing.AllocsPerRun(200, func() { wk.handle(pkt, benchClient, nil) }); n > tc.max {
			t.Errorf("%s (EDNS %v): %.1f allocations per query, want at most %v", tc.qname, tc.edns, n, tc.max)
		}
		if c.writes != 202 {
			t.Errorf("%s: %d answers inline, want 202", tc.qname, c.writes)
		}
	}
}

// TestUDPLoopDropsResponses: a response packet sent to Hearth gets no
// answer (it could be a reflection), and the loop goes on answering.
func TestUDPLoopDropsResponses(t *testing.T) {
	t.Parallel()
	_, _, addr, _ := upstreamAndServer(t, nil)
	m := new(dns.Msg).SetQuestion("example.com.", dns.TypeA)
	m.Response = true
	pkt, _ := m.Pack()
	if raw := askRaw(t, addr, pkt, 300*time.Millisecond); raw != nil {
		t.Errorf("a response got a reply %x", raw)
	}
	if r := ask(t, addr, "example.com.", dns.TypeA, withEDNS(1232, false)); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after a response packet: %s", dns.RcodeToString[r.Rcode])
	}
}

// TestUDPLoopSharesThePort: every socket of a listen address has the same
// port, and queries spread over them are all answered.
func TestUDPLoopSharesThePort(t *testing.T) {
	t.Parallel()
	_, s, addr, _ := upstreamAndServer(t, nil)
	s.mu.Lock()
	var conns []*net.UDPConn
	for _, l := range s.listeners {
		conns = l.udp.conns
	}
	s.mu.Unlock()
	if len(conns) != udpSockets() {
		t.Fatalf("%d sockets, want %d", len(conns), udpSockets())
	}
	for _, c := range conns {
		if c.LocalAddr().String() != addr {
			t.Errorf("socket on %s, want %s", c.LocalAddr(), addr)
		}
	}
	for i := range 20 {
		if r := ask(t, addr, "example.com.", dns.TypeA); r.Rcode != dns.RcodeSuccess {
			t.Errorf("query %d: %s", i, dns.RcodeToString[r.Rcode])
		}
	}
}

// BenchmarkUDPWorker feeds wire queries to a worker's handle with a fake
// socket: a cache hit, a blocked name with the journal on, and a miss
// answered by a local upstream (cache off), as BenchmarkCacheHit/family,
// BenchmarkBlocked/journal and BenchmarkCacheMiss measure them via ServeDNS.
func BenchmarkUDPWorker(b *testing.B) {
	b.Run("hit", func(b *testing.B) {
		s := familyServer(b, nil)
		pkt, _ := packQuery(b, "WWW.example.com.", dns.TypeA, false)
		wk, c := testWorker(s)
		b.ReportAllocs()
		for b.Loop() {
			wk.handle(pkt, benchClient, nil)
		}
		if r := unpack(b, c.last); len(r.Answer) != 1 {
			b.Fatalf("last answer %v", r)
		}
	})
	b.Run("blocked-journal", func(b *testing.B) {
		j := journal.Open(journal.Config{Queue: 1 << 16, FlushInterval: time.Second, RetentionDays: 1, MaxSizeMB: 100},
			journal.Options{Dir: b.TempDir()})
		b.Cleanup(func() { _ = j.Close(context.Background()) })
		s := familyServer(b, j)
		pkt, _ := packQuery(b, "www.roblox.com.", dns.TypeA, true)
		wk, c := testWorker(s)
		b.ReportAllocs()
		for b.Loop() {
			wk.handle(pkt, benchClient, nil)
		}
		if r := unpack(b, c.last); r.Rcode != dns.RcodeNameError {
			b.Fatalf("last answer %v", r)
		}
	})
	b.Run("miss", func(b *testing.B) {
		up := dnstest.NewServer(b)
		cfg := testConfig("udp://" + up.Addr)
		cfg.Cache.Size = 0
		s, _ := start(b, cfg, nil)
		pkt, _ := packQuery(b, "www.example.com.", dns.TypeA, false)
		wk, c := testWorker(s)
		from := netip.MustParseAddrPort("127.0.0.1:5353")
		b.ReportAllocs()
		for b.Loop() {
			wk.handle(pkt, from, nil)
			wk.u.inflight.Wait()
		}
		if r := unpack(b, c.last); len(r.Answer) != 1 {
			b.Fatalf("last answer %v", r)
		}
	})
}

// BenchmarkUDPWorkerParallel runs one worker per goroutine (as Hearth runs
// one per socket and core), each with its own fake socket, on 500
// different names (the test cache holds 1,000): cache hits, and blocked
// names with the journal on, from the child's tablet with the family's
// policy, the rate limit off as in scripts/loadmix.sh (one client asks
// everything). With -cpu 1,2 it shows how Hearth's own work per query
// scales across cores, without the kernel's sockets or a load generator
// sharing them: ns/op at -cpu 2 is half of -cpu 1's when nothing shared
// is written.
func BenchmarkUDPWorkerParallel(b *testing.B) {
	schoolNoon := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const names = 500
	server := func(b *testing.B, j Recorder) *Server {
		up := dnstest.NewServer(b)
		cfg := testConfig("udp://" + up.Addr)
		cfg.AllowClients = append(cfg.AllowClients, "192.168.0.0/16")
		s, _ := startWith(b, cfg, Options{Clock: fixedClock{schoolNoon}, Policy: familyEngine(b), Journal: j})
		return s
	}
	run := func(b *testing.B, s *Server, pkts [][]byte) {
		var workers atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			wk, _ := testWorker(s)
			wk.queue = int(workers.Add(1)) // as udpServer.read numbers them
			i := 0
			for pb.Next() {
				wk.handle(pkts[i%names], benchClient, nil)
				i++
			}
		})
	}
	b.Run("hit", func(b *testing.B) {
		s := server(b, nil)
		pkts := make([][]byte, names)
		wk, c := testWorker(s)
		for i := range pkts {
			pkts[i], _ = packQuery(b, fmt.Sprintf("www.name%d.example.", i), dns.TypeA, false)
			wk.handle(pkts[i], benchClient, nil) // a miss: asks the local upstream
			wk.u.inflight.Wait()
		}
		for i := range pkts { // each now a hit answered inline
			// (The answer reaches the client before the cache holds
			// it: a miss's goroutine may still be storing.)
			for try := 0; ; try++ {
				c.writes = 0
				wk.handle(pkts[i], benchClient, nil)
				if c.writes == 1 && len(unpack(b, c.last).Answer) == 1 {
					break
				}
				wk.u.inflight.Wait()
				if try == 100 {
					b.Fatalf("name %d: no cache hit answered inline", i)
				}
			}
		}
		run(b, s, pkts)
	})
	b.Run("blocked-journal", func(b *testing.B) {
		j := journal.Open(journal.Config{Queue: 1 << 16, FlushInterval: time.Second, RetentionDays: 1, MaxSizeMB: 100},
			journal.Options{Dir: b.TempDir()})
		b.Cleanup(func() { _ = j.Close(context.Background()) })
		s := server(b, j)
		pkts := make([][]byte, names)
		wk, c := testWorker(s)
		for i := range pkts {
			pkts[i], _ = packQuery(b, fmt.Sprintf("n%d.roblox.com.", i), dns.TypeA, true)
			wk.handle(pkts[i], benchClient, nil)
			if r := unpack(b, c.last); r.Rcode != dns.RcodeNameError {
				b.Fatalf("name %d: answer %v", i, r)
			}
		}
		run(b, s, pkts)
	})
}

// fixedClock is a clock stopped at one instant that takes no lock
// (clocktest.Fake's would be shared by every core in a parallel benchmark).
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
