package resolver

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
)

// flood sends queries for made-up names from 127.0.0.5 as fast as it can
// until stop is closed, counting the replies by rcode.
func flood(t *testing.T, addr string, stop <-chan struct{}, rcodes *[dns.RcodeBadCookie + 1]atomic.Int64) *sync.WaitGroup {
	t.Helper()
	raddr, _ := net.ResolveUDPAddr("udp", addr)
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 5)}, raddr)
	if err != nil {
		t.Fatalf("dial from 127.0.0.5: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { // reader
		buf := make([]byte, 4096)
		for {
			_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, err := c.Read(buf)
			if err != nil {
				select {
				case <-stop:
					return
				default:
					continue
				}
			}
			m := new(dns.Msg)
			if m.Unpack(buf[:n]) == nil && m.Rcode < len(rcodes) {
				rcodes[m.Rcode].Add(1)
			}
		}
	})
	wg.Go(func() { // writer
		defer c.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m := new(dns.Msg)
			m.SetQuestion(fmt.Sprintf("r%d.flood.example.", i), dns.TypeA)
			b, _ := m.Pack()
			_, _ = c.Write(b)
			if i%32 == 31 {
				// About 6,000 queries a second: what one busy
				// device can send, and what the server's
				// socket buffer takes without dropping the
				// other client's packets on a loaded machine.
				time.Sleep(5 * time.Millisecond)
			}
		}
	})
	return &wg
}

// TestRateLimitPerClient: a flood from one address (127.0.0.5) is answered
// REFUSED beyond its bucket, counted as limited, and another address
// (127.0.0.6) is answered within 100 ms all along.
func TestRateLimitPerClient(t *testing.T) {
	rec := &recorder{}
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	cfg.RateLimit = RateLimitConfig{QPS: 100, Burst: 50}
	clk := clocktest.New(t0) // frozen: the flooder's bucket never refills
	_, addr := startWith(t, cfg, Options{Clock: clk, Observer: rec})
	ask(t, addr, "www.example.com.", dns.TypeA) // 127.0.0.1 has a bucket of its own

	stop := make(chan struct{})
	var rcodes [dns.RcodeBadCookie + 1]atomic.Int64
	wg := flood(t, addr, stop, &rcodes)
	eventually(t, "the flood to be refused", func() bool { return rcodes[dns.RcodeRefused].Load() > 500 })

	c := &dns.Client{Net: "udp", Timeout: time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 6)}}}
	var slowest time.Duration
	for i := range 20 {
		m := new(dns.Msg)
		m.SetQuestion(fmt.Sprintf("n%d.example.com.", i%3), dns.TypeA)
		r, rtt, err := c.Exchange(m, addr)
		if err != nil || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("query %d from 127.0.0.6 during the flood: %v %v", i, r, err)
		}
		slowest = max(slowest, rtt)
	}
	close(stop)
	wg.Wait()
	if slowest > 100*time.Millisecond {
		t.Errorf("127.0.0.6 waited up to %v during the flood, want at most 100ms", slowest)
	}
	if ok := rcodes[dns.RcodeSuccess].Load(); ok > 50 {
		t.Errorf("the flooder got %d answers, want at most its burst of 50", ok)
	}
	limited := 0
	queries, _, _, _ := rec.take()
	for _, q := range queries {
		if q == "udp limited" {
			limited++
		}
	}
	if limited < 500 {
		t.Errorf("%d queries counted as limited, want the flood's (over 500)", limited)
	}
	t.Logf("flood: %d answered, %d refused; 127.0.0.6 slowest %v", rcodes[dns.RcodeSuccess].Load(), rcodes[dns.RcodeRefused].Load(), slowest)

	// A second later the flooder's bucket has refilled.
	clk.Advance(time.Second)
	c.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 5)}}
	m := new(dns.Msg)
	m.SetQuestion("www.example.com.", dns.TypeA)
	if r, _, err := c.Exchange(m, addr); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Errorf("127.0.0.5 a second after its flood: %v %v; want an answer", r, err)
	}
}

// TestRateLimiterBuckets: IPv6 clients share a bucket per /64; buckets
// refill at qps; the table of clients stays bounded.
func TestRateLimiterBuckets(t *testing.T) {
	l := newRateLimiter(RateLimitConfig{QPS: 10, Burst: 3})
	now := t0.UnixNano()
	a1, a2 := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2:aaaa::9")
	other := netip.MustParseAddr("2001:db8:1:3::1")
	for i := range 3 {
		if !l.allow([]netip.Addr{a1, a2}[i%2], now) {
			t.Fatalf("query %d of the /64 refused within its burst", i)
		}
	}
	if l.allow(a2, now) {
		t.Error("a fourth query from the same /64 passed a burst of 3")
	}
	if !l.allow(other, now) {
		t.Error("another /64 was refused")
	}
	if !l.allow(netip.MustParseAddr("::ffff:192.0.2.1"), now) || !l.allow(netip.MustParseAddr("192.0.2.2"), now) {
		t.Error("IPv4 clients refused")
	}
	if !l.allow(a1, now+int64(100*time.Millisecond)) || l.allow(a1, now+int64(100*time.Millisecond)) {
		t.Error("after 100 ms at 10 qps, want exactly one more query")
	}
	for i := range 3 * limitPerShard * limitShards / 2 {
		l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
	}
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].m)
	}
	if n > limitPerShard*limitShards {
		t.Errorf("%d clients remembered, want at most %d", n, limitPerShard*limitShards)
	}
	if newRateLimiter(RateLimitConfig{}) != nil {
		t.Error("qps 0 should turn the limit off")
	}
}

// TestSilentUpstreamBoundsGoroutines: with the upstream silent, a burst of
// made-up names does not pile up a goroutine per query: beyond
// upstreams.max_in_flight they are answered SERVFAIL at once.
func TestSilentUpstreamBoundsGoroutines(t *testing.T) {
	up := dnstest.NewServer(t)
	up.SetMode(dnstest.Drop)
	cfg := testConfig("udp://" + up.Addr)
	cfg.Upstreams.MaxInFlight = 8
	s, addr := start(t, cfg, clocktest.New(t0))
	base := runtime.NumGoroutine()

	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 200 // what the server's socket buffer takes at once
	for i := range n {
		m := new(dns.Msg)
		m.SetQuestion(fmt.Sprintf("q%d.silent.example.", i), dns.TypeA)
		b, _ := m.Pack()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// The queries turned away are answered at once; count the goroutines
	// then, while the ones in flight still wait on the silent upstream
	// (for upstreams.timeout, 400 ms here). Without a bound every query
	// would be waiting, each with its goroutines.
	servfail := 0
	buf := make([]byte, 1500)
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(3 * time.Second))
	for servfail < n-8 {
		k, err := c.Read(buf)
		if err != nil {
			break
		}
		m := new(dns.Msg)
		if m.Unpack(buf[:k]) == nil && m.Rcode == dns.RcodeServerFailure {
			servfail++
		}
	}
	waiting := runtime.NumGoroutine() - base
	if servfail < n-8 {
		t.Errorf("%d of %d queries answered SERVFAIL; want all but the 8 in flight", servfail, n)
	}
	if el := time.Since(start); el >= 400*time.Millisecond {
		t.Errorf("the queries turned away took %v to be answered, want less than the upstream timeout (400ms)", el)
	}
	if waiting > 60+handoffKeep { // and the handoff's few kept for the next query
		t.Errorf("%d goroutines waiting during a burst of %d queries to a silent upstream; want a bound (max_in_flight 8)", waiting, n)
	}
	if q := up.Queries(); q > 8 {
		t.Errorf("the silent upstream was sent %d queries at once, want at most max_in_flight (8)", q)
	}
	if b := s.Stats().UpstreamBusy; b != int64(servfail) {
		t.Errorf("Stats().UpstreamBusy = %d, want the %d queries turned away", b, servfail)
	}
	t.Logf("%d goroutines waiting (base %d), %d SERVFAIL at once", waiting, base, servfail)
}
