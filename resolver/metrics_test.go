package resolver

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/policy/policytest"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
)

// recorder is an Observer that keeps what it is told, as text.
type recorder struct {
	mu      sync.Mutex
	queries []string // "udp allowed"
	cache   []bool
	blocked []string // "category/group/reason"
	ups     []string // "addr ok" or "addr failed"
}

func (o *recorder) Query(p Protocol, r Result) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.queries = append(o.queries, p.String()+" "+r.String())
}

func (o *recorder) Cache(hit bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cache = append(o.cache, hit)
}

func (o *recorder) Blocked(category, group, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.blocked = append(o.blocked, category+"/"+group+"/"+reason)
}

func (o *recorder) Upstream(addr string, d time.Duration, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	state := "ok"
	if failed {
		state = "failed"
	}
	if d <= 0 || d > 5*time.Second {
		state += fmt.Sprintf(" (duration %v)", d)
	}
	o.ups = append(o.ups, addr+" "+state)
}

// take returns what was recorded and forgets it.
func (o *recorder) take() (queries []string, cache []bool, blocked, ups []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	queries, cache, blocked, ups = o.queries, o.cache, o.blocked, o.ups
	o.queries, o.cache, o.blocked, o.ups = nil, nil, nil, nil
	return
}

func (o *recorder) queryCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queries)
}

var _ Observer = (*recorder)(nil)

// TestObserverSeesEveryExit sends a query down each exit of the pipeline, to
// a real server in front of a real upstream with the household's policy, and
// checks what the Observer is told.
func TestObserverSeesEveryExit(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(thursday(12, 0, 0))
	engine := policytest.Engine(t, household(), clk)
	up := dnstest.NewServer(t)
	up.SetHandler(chainHandler)
	cfg := testConfig("udp://" + up.Addr)
	cfg.AllowClients = []string{"127.0.0.1/32", kidIP + "/32", guestIP + "/32"}
	obs := &recorder{}
	_, addr := startWith(t, cfg, Options{Policy: engine, Clock: clk, Observer: obs})
	upLabel := "udp://" + up.Addr

	chaos := func(m *dns.Msg, _ *dns.Client) { m.Question[0].Qclass = dns.ClassCHAOS }
	ednsV1 := func(m *dns.Msg, _ *dns.Client) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) }
	for _, tc := range []struct {
		what    string
		from    string
		name    string
		qtype   uint16
		opts    []qopt
		setup   func()
		query   string
		cache   []bool
		blocked []string
		ups     []string
	}{
		{what: "client outside allow_clients", from: "127.0.0.9", name: "www.example.com.", qtype: dns.TypeA,
			query: "udp refused"},
		{what: "class CHAOS", from: guestIP, name: "version.bind.", qtype: dns.TypeTXT, opts: []qopt{chaos},
			query: "udp invalid"},
		{what: "EDNS version 1", from: guestIP, name: "www.example.com.", qtype: dns.TypeA, opts: []qopt{ednsV1},
			query: "udp invalid"},
		{what: "ANY", from: guestIP, name: "www.example.com.", qtype: dns.TypeANY, query: "udp local"},
		{what: "localhost over TCP", from: guestIP, name: "localhost.", qtype: dns.TypeA, opts: []qopt{overTCP()},
			query: "tcp local"},
		{what: "local name, no router", from: guestIP, name: "printer.lan.", qtype: dns.TypeA, query: "udp local"},
		{what: "a blocked service", from: kidIP, name: "www.roblox.com.", qtype: dns.TypeA,
			query: "udp blocked", blocked: []string{"gaming/kids/rule"}},
		{what: "a household list", from: guestIP, name: "x.ads.example.", qtype: dns.TypeA,
			query: "udp blocked", blocked: []string{"ads/default/rule"}},
		{what: "safe search", from: kidIP, name: "www.google.com.", qtype: dns.TypeA,
			query: "udp rewritten", cache: []bool{false}, ups: []string{upLabel + " ok"}},
		{what: "allowed, from upstream", from: guestIP, name: "www.example.com.", qtype: dns.TypeA,
			query: "udp allowed", cache: []bool{false}, ups: []string{upLabel + " ok"}},
		{what: "allowed, from the cache over TCP", from: guestIP, name: "www.example.com.", qtype: dns.TypeA, opts: []qopt{overTCP()},
			query: "tcp allowed", cache: []bool{true}},
		{what: "NXDOMAIN from upstream", from: guestIP, name: "a.nx.test.", qtype: dns.TypeA,
			query: "udp allowed", cache: []bool{false}, ups: []string{upLabel + " ok"}},
		{what: "a CNAME to a blocked service", from: kidIP, name: "video.example.test.", qtype: dns.TypeA,
			query: "udp blocked", cache: []bool{false}, blocked: []string{"gaming/kids/rule"}, ups: []string{upLabel + " ok"}},
		{what: "the same, from the cache", from: kidIP, name: "video.example.test.", qtype: dns.TypeA,
			query: "udp blocked", cache: []bool{true}, blocked: []string{"gaming/kids/rule"}},
		{what: "the upstream fails", from: guestIP, name: "fail.example.", qtype: dns.TypeA,
			setup: func() { up.SetMode(dnstest.ServFail) },
			query: "udp error", cache: []bool{false}, ups: []string{upLabel + " failed"}},
		{what: "bedtime", from: kidIP, name: "www.example.com.", qtype: dns.TypeA,
			setup: func() { up.SetMode(dnstest.Normal); clk.Set(thursday(23, 0, 0)) },
			query: "udp blocked", blocked: []string{"/kids/bedtime"}},
	} {
		if tc.setup != nil {
			tc.setup()
		}
		ask(t, addr, tc.name, tc.qtype, append(tc.opts, sendFrom(tc.from))...)
		// Query is told after the answer is written: wait for it.
		eventually(t, tc.what+": Query", func() bool { return obs.queryCount() > 0 })
		queries, cache, blocked, ups := obs.take()
		if want := []string{tc.query}; !slices.Equal(queries, want) {
			t.Errorf("%s: Query %q, want %q", tc.what, queries, want)
		}
		if !slices.Equal(cache, tc.cache) {
			t.Errorf("%s: Cache %v, want %v", tc.what, cache, tc.cache)
		}
		if !slices.Equal(blocked, tc.blocked) {
			t.Errorf("%s: Blocked %q, want %q", tc.what, blocked, tc.blocked)
		}
		if !slices.Equal(ups, tc.ups) {
			t.Errorf("%s: Upstream %q, want %q", tc.what, ups, tc.ups)
		}
	}
}

// TestObserverPanicIsAnError: a panic in the pipeline answers SERVFAIL and
// is counted once, as an error.
func TestObserverPanicIsAnError(t *testing.T) {
	t.Parallel()
	obs := &recorder{}
	s, err := New(testConfig("udp://127.0.0.1:1"), Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	req := new(dns.Msg)
	req.SetQuestion("www.example.com.", dns.TypeANY) // answered locally, so written at once
	w := &panicWriter{DiscardWriter: *dnstest.NewDiscardWriter(net.IPv4(127, 0, 0, 1))}
	s.ServeDNS(w, req)
	if queries, _, _, _ := obs.take(); !slices.Equal(queries, []string{"udp error"}) {
		t.Errorf("Query %q, want [udp error]", queries)
	}
	r := new(dns.Msg)
	if err := r.Unpack(w.Last); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("reply %v (%v), want SERVFAIL", r, err)
	}
}

// TestObserverNilPointer: a nil pointer given as the Observer means none.
func TestObserverNilPointer(t *testing.T) {
	t.Parallel()
	var obs *recorder
	up := dnstest.NewServer(t)
	_, addr := startWith(t, testConfig("udp://"+up.Addr), Options{Observer: obs})
	if r := ask(t, addr, "www.example.com.", dns.TypeA); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("reply %v", r)
	}
}

// panicWriter panics on the first Write, as a bug in the pipeline would.
type panicWriter struct {
	dnstest.DiscardWriter
	panicked bool
}

func (w *panicWriter) Write(b []byte) (int, error) {
	if !w.panicked {
		w.panicked = true
		panic("boom")
	}
	return w.DiscardWriter.Write(b)
}
