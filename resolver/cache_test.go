package resolver

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
)

func TestCacheAnswersRepeatAndAgesTTL(t *testing.T) {
	t.Parallel()
	up, _, addr, clk := upstreamAndServer(t, nil)

	r := ask(t, addr, "example.com.", dns.TypeA)
	if got := firstA(t, r).Hdr.Ttl; got != 300 {
		t.Fatalf("first answer TTL %d, want 300", got)
	}
	clk.Advance(100 * time.Second)
	r = ask(t, addr, "EXAMPLE.com.", dns.TypeA)
	if got := firstA(t, r).Hdr.Ttl; got != 200 {
		t.Errorf("cached answer TTL %d, want 200 after 100 s", got)
	}
	if n := up.Queries(); n != 1 {
		t.Errorf("upstream saw %d queries, want 1 (second answered from cache, name case-insensitive)", n)
	}
	// Another type, class bit or DO bit is another entry.
	ask(t, addr, "example.com.", dns.TypeAAAA)
	ask(t, addr, "example.com.", dns.TypeA, withEDNS(1232, true))
	if n := up.Queries(); n != 3 {
		t.Errorf("upstream saw %d queries, want 3 (AAAA and DO=1 are separate entries)", n)
	}
	// Expiry: past 300 s the entry is stale and the upstream is asked again.
	clk.Advance(201 * time.Second)
	r = ask(t, addr, "example.com.", dns.TypeA)
	if got := firstA(t, r).Hdr.Ttl; got != 300 {
		t.Errorf("refetched TTL %d, want 300", got)
	}
	if n := up.Queries(); n != 4 {
		t.Errorf("upstream saw %d queries, want 4 after expiry", n)
	}
}

func TestCacheKeepsClientCase(t *testing.T) {
	t.Parallel()
	_, _, addr, _ := upstreamAndServer(t, nil)
	for _, name := range []string{"MiXeD.ExAmPlE.", "mixed.example.", "MIXED.EXAMPLE."} {
		r := ask(t, addr, name, dns.TypeA)
		if got := r.Question[0].Name; got != name {
			t.Errorf("question echoed as %q, want %q (0x20 case)", got, name)
		}
	}
}

func TestNegativeCachingRFC2308(t *testing.T) {
	t.Parallel()
	up, _, addr, clk := upstreamAndServer(t, nil)
	for _, tc := range []struct {
		name  string
		rcode int
	}{{"a.nx.test.", dns.RcodeNameError}, {"a.nodata.test.", dns.RcodeSuccess}} {
		before := up.Queries()
		r := ask(t, addr, tc.name, dns.TypeA)
		if r.Rcode != tc.rcode || len(r.Answer) != 0 {
			t.Fatalf("%s: rcode %s, %d answers", tc.name, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		soa, ok := r.Ns[0].(*dns.SOA)
		if !ok || soa.Hdr.Ttl != 60 {
			t.Fatalf("%s: authority %v, want SOA with TTL min(600, minimum 60) = 60", tc.name, r.Ns)
		}
		clk.Advance(59 * time.Second)
		r = ask(t, addr, tc.name, dns.TypeA)
		if r.Rcode != tc.rcode || r.Ns[0].Header().Ttl != 1 {
			t.Errorf("%s: cached negative answer rcode %s TTL %d, want TTL 1", tc.name, dns.RcodeToString[r.Rcode], r.Ns[0].Header().Ttl)
		}
		if n := up.Queries() - before; n != 1 {
			t.Errorf("%s: upstream asked %d times within the negative TTL, want 1", tc.name, n)
		}
		clk.Advance(2 * time.Second)
		ask(t, addr, tc.name, dns.TypeA)
		if n := up.Queries() - before; n != 2 {
			t.Errorf("%s: upstream asked %d times after the negative TTL, want 2", tc.name, n)
		}
	}
}

func TestNegativeAnswerWithoutSOAIsNotCached(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	up.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg)
		r.SetRcode(q, dns.RcodeNameError)
		return r
	})
	ask(t, addr, "gone.example.", dns.TypeA)
	ask(t, addr, "gone.example.", dns.TypeA)
	if n := up.Queries(); n != 2 {
		t.Errorf("upstream asked %d times, want 2: NXDOMAIN without SOA must not be cached", n)
	}
}

func TestTTLClamps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		min, max time.Duration
		want     uint32
	}{{0, 24 * time.Hour, 300}, {600 * time.Second, 24 * time.Hour, 600}, {0, 100 * time.Second, 100}} {
		_, _, addr, _ := upstreamAndServer(t, func(c *Config) { c.Cache.MinTTL, c.Cache.MaxTTL = tc.min, tc.max })
		if got := firstA(t, ask(t, addr, "clamp.example.", dns.TypeA)).Hdr.Ttl; got != tc.want {
			t.Errorf("min %s max %s: TTL %d, want %d", tc.min, tc.max, got, tc.want)
		}
	}
}

func TestServeStaleWhenUpstreamsFail(t *testing.T) {
	for _, mode := range []dnstest.Mode{dnstest.ServFail, dnstest.Drop} {
		up, _, addr, clk := upstreamAndServer(t, nil)
		ask(t, addr, "stale.example.", dns.TypeA)
		clk.Advance(400 * time.Second) // expired, within stale_max_age
		up.SetMode(mode)
		r := ask(t, addr, "stale.example.", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || firstA(t, r).Hdr.Ttl != staleTTL {
			t.Errorf("mode %d: got rcode %s answer %v, want the stale answer with TTL %d", mode, dns.RcodeToString[r.Rcode], r.Answer, staleTTL)
		}
		// For the next 30 s the stale answer comes at once, without asking.
		before := up.Queries()
		clk.Advance(10 * time.Second)
		start := time.Now()
		if r := ask(t, addr, "stale.example.", dns.TypeA); len(r.Answer) != 1 || time.Since(start) > 200*time.Millisecond || up.Queries() != before {
			t.Errorf("mode %d: within the recheck time: %d answers after %s, %d new upstream queries; want the stale answer at once", mode, len(r.Answer), time.Since(start), up.Queries()-before)
		}
		clk.Advance(25 * time.Second)
		ask(t, addr, "stale.example.", dns.TypeA)
		if up.Queries() == before {
			t.Errorf("mode %d: after the recheck time the upstream was not asked again", mode)
		}
		clk.Advance(25 * time.Hour) // beyond stale_max_age
		if r := ask(t, addr, "stale.example.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
			t.Errorf("mode %d: past stale_max_age got %s, want SERVFAIL", mode, dns.RcodeToString[r.Rcode])
		}
	}
}

func TestServeStaleOff(t *testing.T) {
	t.Parallel()
	up, _, addr, clk := upstreamAndServer(t, func(c *Config) { c.Cache.ServeStale = false })
	ask(t, addr, "stale.example.", dns.TypeA)
	clk.Advance(400 * time.Second)
	up.SetMode(dnstest.ServFail)
	if r := ask(t, addr, "stale.example.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("got %s, want SERVFAIL with serve_stale off", dns.RcodeToString[r.Rcode])
	}
}

// TestPrefetchRefreshesPopularEntries waits on events, not on the wall
// clock: a prefetch starts in the handler just after the answer is written,
// so the test waits for the handler to finish (the Observer's Query call)
// and then for the background work it started (the server's prefetches).
func TestPrefetchRefreshesPopularEntries(t *testing.T) {
	t.Parallel()
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	cfg.Upstreams.Timeout = 10 * time.Second // a loaded machine must not turn the prefetch into a failure
	clk := clocktest.New(t0)
	handled := &handledQueries{done: make(chan struct{}, 16)}
	s, addr := startWith(t, cfg, Options{Clock: clk, Observer: handled})
	askHandled := func(name string) *dns.Msg {
		t.Helper()
		r := ask(t, addr, name, dns.TypeA)
		handled.wait(t)
		return r
	}

	for range 3 {
		askHandled("popular.example.")
	}
	askHandled("rare.example.")
	clk.Advance(280 * time.Second) // within the last tenth of the 300 s TTL
	if got := firstA(t, askHandled("popular.example.")).Hdr.Ttl; got != 20 {
		t.Errorf("answer before refresh TTL %d, want 20 (served from cache)", got)
	}
	askHandled("rare.example.")
	waitPrefetches(t, s)
	if n := up.Queries(); n != 3 {
		t.Fatalf("upstream saw %d queries, want 3 (only the popular entry prefetched)", n)
	}
	if q := up.LastQuery(); q == nil || !strings.EqualFold(q.Question[0].Name, "popular.example.") { // 0x20: random case toward the upstream
		t.Fatalf("last upstream query %v, want the prefetch of popular.example.", q)
	}
	// The refreshed entry answers with a full TTL, without asking again.
	if got := firstA(t, askHandled("popular.example.")).Hdr.Ttl; got != 300 {
		t.Errorf("after prefetch TTL %d, want 300", got)
	}
	waitPrefetches(t, s)
	if n := up.Queries(); n != 3 {
		t.Errorf("upstream saw %d queries after the refresh, want 3", n)
	}
}

// handledQueries is an Observer that signals each query ServeDNS finished
// handling (after the answer was written and any prefetch was started).
type handledQueries struct{ done chan struct{} }

func (h *handledQueries) Query(Protocol, Result)               { h.done <- struct{}{} }
func (h *handledQueries) Cache(bool)                           {}
func (h *handledQueries) Blocked(string, string, string)       {}
func (h *handledQueries) Upstream(string, time.Duration, bool) {}

// wait waits for the handler of one more query to finish.
func (h *handledQueries) wait(t *testing.T) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the query's handler did not finish")
	}
}

// waitPrefetches waits until every prefetch started so far has finished: the
// server's background WaitGroup counts only prefetches, and each was added
// before the handler that started it returned.
func waitPrefetches(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.prefetches.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a prefetch did not finish")
	}
}

func TestConcurrentMissesCoalesce(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	up.SetDelay(100 * time.Millisecond)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); ask(t, addr, "burst.example.", dns.TypeA) }()
	}
	wg.Wait()
	if n := up.Queries(); n != 1 {
		t.Errorf("upstream saw %d queries for 20 simultaneous identical ones, want 1", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newCache(CacheConfig{Size: 128, MaxTTL: time.Hour, NegativeTTL: time.Hour})
	now := t0.UnixNano()
	resp := new(dns.Msg)
	for i := range 5000 {
		name := dns.Fqdn(string(rune('a'+i%26)) + time.Duration(i).String() + ".example")
		resp.SetQuestion(name, dns.TypeA)
		resp.Response = true
		resp.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: dnstest.DefaultA}}
		e := c.newEntry(resp, now)
		if e == nil {
			t.Fatal("entry not cacheable")
		}
		c.put(appendKey(nil, name, dns.TypeA, dns.ClassINET, false, false), e, now)
	}
	if n := c.len(); n > 128+cacheShards {
		t.Errorf("cache holds %d entries, want at most about 128", n)
	}
}

func TestCacheOff(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, func(c *Config) { c.Cache.Size = 0 })
	ask(t, addr, "x.example.", dns.TypeA)
	ask(t, addr, "x.example.", dns.TypeA)
	if n := up.Queries(); n != 2 {
		t.Errorf("upstream saw %d queries, want 2 with the cache off", n)
	}
}

// TestFloodKeepsPopularNames: a client asking thousands of made-up names,
// each once, fills the cache; the names the household asks again stay
// cached (answered without asking the upstream). (The byte budget evicts
// through the same choice, evictOne.)
func TestFloodKeepsPopularNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		tweak func(*Config)
	}{
		{"entries", func(c *Config) { c.Cache.Size = 256; c.RateLimit.QPS = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up, _, addr, _ := upstreamAndServer(t, tc.tweak)
			popular := []string{"school.example.", "family-photos.example.", "news.example.", "weather.example."}
			for range 2 { // asked, then asked again: popular
				for _, n := range popular {
					ask(t, addr, n, dns.TypeA)
				}
			}
			for i := range 2000 {
				ask(t, addr, fmt.Sprintf("x%d.made-up.example.", i), dns.TypeA)
			}
			before := up.Queries()
			for _, n := range popular {
				ask(t, addr, n, dns.TypeA)
			}
			if got := up.Queries() - before; got != 0 {
				t.Errorf("after the flood %d of %d popular names went to the upstream again: the flood pushed them out of the cache", got, len(popular))
			}
		})
	}
}
