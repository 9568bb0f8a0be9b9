package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/resolvertest"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// metricsHarness is a real Hearth resolver on loopback, with the built-in
// catalogue plus an inline "ads" list, blocking "ads" and "gaming", a real
// upstream, a real journal, and its Metrics served over HTTP.
type metricsHarness struct {
	up      *dnstest.Server
	srv     *resolver.Server
	dnsAddr string
	metrics *Metrics
	http    *httptest.Server
	journal *journal.Journal
	queries *countingObserver
}

// countingObserver counts the queries the metrics have counted, and wakes
// a test waiting for them.
type countingObserver struct {
	resolver.Observer
	counted atomic.Int64
	tick    chan struct{} // capacity 1: "counted has changed"
}

func (o *countingObserver) Query(p resolver.Protocol, r resolver.Result) {
	o.Observer.Query(p, r)
	o.counted.Add(1)
	select {
	case o.tick <- struct{}{}:
	default: // a tick is pending already
	}
}

func newMetricsHarness(t *testing.T) *metricsHarness {
	t.Helper()
	lists, err := blocklists.New(blocklists.Config{Refresh: time.Hour, Sources: []blocklists.SourceConfig{
		{Name: "my-ads", Category: "ads", Domains: []string{"||ads.example^", "tracker.example"}},
	}}, blocklists.Options{Dir: t.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := lists.Compile()
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.NewEngine(policy.Config{
		Timezone: "UTC",
		Blocking: policy.BlockingConfig{Block: []string{"ads", "gaming"}, Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
	}, policy.Options{ListCategories: []string{"ads"}})
	if err != nil {
		t.Fatal(err)
	}
	engine.SetLists(compiled)

	j := journal.Open(journal.Config{Enabled: true, Queue: 1024, FlushInterval: 10 * time.Millisecond, RetentionDays: 1, MaxSizeMB: 10},
		journal.Options{Dir: t.TempDir()})
	t.Cleanup(func() { _ = j.Close(context.Background()) })

	h := &metricsHarness{up: dnstest.NewServer(t), journal: j}
	var srv *resolver.Server
	h.metrics = NewMetrics(MetricsSources{
		Upstreams: func() []upstream.Stat { return srv.UpstreamStats() },
		Journal:   func() (journal.Stats, bool) { return j.Stats(), true },
		Lists:     lists.Status,
	})
	h.queries = &countingObserver{Observer: h.metrics, tick: make(chan struct{}, 1)}
	cfg := resolvertest.Config(h.up.Addr)
	cfg.AllowClients = []string{"127.0.0.1/32"} // 127.0.0.2 is refused
	srv = resolvertest.Start(t, cfg, resolver.Options{Policy: engine, Journal: j, Observer: h.queries})
	h.srv, h.dnsAddr = srv, srv.Addrs()[0].String()
	h.http = httptest.NewServer(h.metrics.Handler())
	t.Cleanup(h.http.Close)
	return h
}

// ask sends one query from the given local address over the given network.
func (h *metricsHarness) ask(t *testing.T, network, from, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	var local net.Addr = &net.UDPAddr{IP: net.ParseIP(from)}
	if network == "tcp" {
		local = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c := &dns.Client{Net: network, Timeout: 3 * time.Second, Dialer: &net.Dialer{LocalAddr: local, Timeout: 3 * time.Second}}
	r, _, err := c.Exchange(m, h.dnsAddr)
	if err != nil {
		t.Fatalf("query %s over %s: %v", name, network, err)
	}
	return r
}

// scrape fetches /metrics over HTTP and parses it with the Prometheus text
// parser.
func (h *metricsHarness) scrape(t *testing.T) scraped {
	t.Helper()
	resp, err := http.Get(h.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// waitQueries waits until the resolver has counted n queries: a query is
// counted just after its answer is written, so a client may have its
// answer first.
func (h *metricsHarness) waitQueries(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for h.queries.counted.Load() < int64(n) {
		select {
		case <-h.queries.tick:
		case <-timeout:
			t.Fatalf("%d queries counted, want %d", h.queries.counted.Load(), n)
		}
	}
}

type scraped map[string]*dto.MetricFamily

// sum adds up the values of every series of a counter or gauge family.
func (s scraped) sum(name string) float64 {
	var v float64
	for _, m := range s[name].GetMetric() {
		v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return v
}

// find returns the series of family name whose labels include want, failing
// the test unless there is exactly one.
func (s scraped) find(t *testing.T, name string, want map[string]string) *dto.Metric {
	t.Helper()
	m, n := s.lookup(name, want)
	if n != 1 {
		t.Fatalf("%s %v: %d series, want 1", name, want, n)
	}
	return m
}

func (s scraped) lookup(name string, want map[string]string) (*dto.Metric, int) {
	fam := s[name]
	if fam == nil {
		return nil, 0
	}
	var found *dto.Metric
	n := 0
	for _, m := range fam.Metric {
		got := make(map[string]string)
		for _, lp := range m.Label {
			got[lp.GetName()] = lp.GetValue()
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			found, n = m, n+1
		}
	}
	return found, n
}

// value is the series' value whatever its type (a histogram's count).
func (s scraped) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	m := s.find(t, name, labels)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatalf("%s %v: no value", name, labels)
	return 0
}

func TestMetricsScrapedAfterRealQueries(t *testing.T) {
	t.Parallel()
	h := newMetricsHarness(t)
	upLabel := "udp://" + h.up.Addr

	// An allowed name twice: a miss (one upstream exchange), then a hit.
	for range 2 {
		if r := h.ask(t, "udp", "127.0.0.1", "www.example.com.", dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("www.example.com: %v", r)
		}
	}
	// Blocked by the inline list (category ads) and by the catalogue
	// (gaming), answered NXDOMAIN without the upstream.
	if r := h.ask(t, "udp", "127.0.0.1", "x.ads.example.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("x.ads.example: %v, want NXDOMAIN", r)
	}
	if r := h.ask(t, "tcp", "127.0.0.1", "www.roblox.com.", dns.TypeAAAA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("www.roblox.com: %v, want NXDOMAIN", r)
	}
	// Answered locally, over TCP.
	if r := h.ask(t, "tcp", "127.0.0.1", "localhost.", dns.TypeA); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("localhost: %v", r)
	}
	// A client outside allow_clients.
	if r := h.ask(t, "udp", "127.0.0.2", "www.example.com.", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Fatalf("from 127.0.0.2: %v, want REFUSED", r)
	}
	// The upstream fails: SERVFAIL to the client, an upstream error.
	h.up.SetMode(dnstest.ServFail)
	if r := h.ask(t, "udp", "127.0.0.1", "fail.example.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("fail.example: %v, want SERVFAIL", r)
	}
	h.up.SetMode(dnstest.Normal)

	// A query is counted just after its answer is written: wait for the
	// last one.
	h.waitQueries(t, 7)
	s := h.scrape(t)
	if got := s.sum("hearth_dns_queries_total"); got != 7 {
		t.Errorf("hearth_dns_queries_total sums to %v, want 7", got)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hearth_dns_queries_total", map[string]string{"protocol": "udp", "result": "allowed"}, 2},
		{"hearth_dns_queries_total", map[string]string{"protocol": "udp", "result": "blocked"}, 1},
		{"hearth_dns_queries_total", map[string]string{"protocol": "tcp", "result": "blocked"}, 1},
		{"hearth_dns_queries_total", map[string]string{"protocol": "tcp", "result": "local"}, 1},
		{"hearth_dns_queries_total", map[string]string{"protocol": "udp", "result": "refused"}, 1},
		{"hearth_dns_queries_total", map[string]string{"protocol": "udp", "result": "error"}, 1},
		{"hearth_dns_queries_total", map[string]string{"protocol": "tcp", "result": "allowed"}, 0},
		{"hearth_dns_queries_total", map[string]string{"protocol": "udp", "result": "rewritten"}, 0},
		{"hearth_cache_hits_total", nil, 1},
		{"hearth_cache_misses_total", nil, 2}, // www.example.com, then fail.example
		{"hearth_blocked_total", map[string]string{"category": "ads", "group": policy.DefaultGroup, "reason": "rule"}, 1},
		{"hearth_blocked_total", map[string]string{"category": "gaming", "group": policy.DefaultGroup, "reason": "rule"}, 1},
		{"hearth_upstream_duration_seconds", map[string]string{"upstream": upLabel}, 2},
		{"hearth_upstream_errors_total", map[string]string{"upstream": upLabel}, 1},
		{"hearth_list_entries", map[string]string{"list": "my-ads", "kind": "list"}, 2},
		{"hearth_list_category_info", map[string]string{"list": "my-ads", "category": "ads"}, 1},
		{"hearth_list_category_info", map[string]string{"list": "roblox", "category": "gaming"}, 1},
		{"hearth_list_failing", map[string]string{"list": "my-ads"}, 0},
		{"hearth_journal_in_memory", nil, 0},
	} {
		if got := s.value(t, c.name, c.labels); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(s["hearth_blocked_total"].GetMetric()); n != 2 {
		t.Errorf("hearth_blocked_total has %d series, want 2", n)
	}
	// Every (protocol, result) pair exists from the start.
	if n := len(s["hearth_dns_queries_total"].GetMetric()); n != int(resolver.NumProtocols)*int(resolver.NumResults) {
		t.Errorf("hearth_dns_queries_total has %d series, want %d", n, int(resolver.NumProtocols)*int(resolver.NumResults))
	}
	// The two upstream exchanges took well under the histogram's top.
	hist := s.find(t, "hearth_upstream_duration_seconds", map[string]string{"upstream": upLabel}).Histogram
	if sum := hist.GetSampleSum(); sum <= 0 || sum > 2 {
		t.Errorf("upstream duration sum %v s, want in (0, 2]", sum)
	}
	// The text format lists the +Inf bucket too.
	if b := hist.GetBucket(); len(b) != len(upstreamBuckets)+1 || b[len(upstreamBuckets)-1].GetUpperBound() != 2 ||
		b[len(upstreamBuckets)-1].GetCumulativeCount() != 2 {
		t.Errorf("upstream buckets %v, want %d up to 2 s (which counts both), then +Inf", b, len(upstreamBuckets))
	}
	// The scored latency of the configured upstream.
	if score := s.value(t, "hearth_upstream_score_seconds", map[string]string{"upstream": upLabel}); score <= 0 {
		t.Errorf("upstream score %v, want > 0 after a failure", score)
	}
	// Catalogue services have entries too.
	if v := s.value(t, "hearth_list_entries", map[string]string{"list": "roblox", "kind": "service"}); v < 1 {
		t.Errorf("roblox entries %v, want at least 1", v)
	}
	// The runtime and process collectors are registered.
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if s[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	// Help on every family; no domain or client address anywhere.
	for name, fam := range s {
		if fam.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
		for _, m := range fam.Metric {
			for _, lp := range m.Label {
				if v := lp.GetValue(); strings.Contains(v, "example") || strings.Contains(v, "roblox.com") || v == "127.0.0.2" {
					t.Errorf("%s has label %s=%q: a name or address", name, lp.GetName(), v)
				}
			}
		}
	}

	// The two blocked lookups reach the journal's database and the queue
	// empties: closing the journal writes everything queued.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.journal.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = h.scrape(t)
	if w, q := s.value(t, "hearth_journal_written_total", nil), s.value(t, "hearth_journal_queue_depth", nil); w != 2 || q != 0 {
		t.Errorf("journal: %v written, %v queued; want 2 and 0", w, q)
	}
	if v := s.value(t, "hearth_journal_dropped_total", nil); v != 0 {
		t.Errorf("journal dropped %v, want 0", v)
	}
}

// TestMetricsSourcesOptional: nil sources, or a journal that is off, give
// no series for them and no error.
func TestMetricsSourcesOptional(t *testing.T) {
	t.Parallel()
	m := NewMetrics(MetricsSources{Journal: func() (journal.Stats, bool) { return journal.Stats{Queued: 5}, false }})
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if n := f.GetName(); strings.HasPrefix(n, "hearth_journal_") || strings.HasPrefix(n, "hearth_list_") || n == "hearth_upstream_score_seconds" {
			t.Errorf("%s present without its source", n)
		}
	}
}

// TestMetricsListTimestamps checks the list gauges from a status as the lists
// report it: refresh and check times, failing sources, several categories.
func TestMetricsListTimestamps(t *testing.T) {
	t.Parallel()
	fetched := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	m := NewMetrics(MetricsSources{Lists: func() []blocklists.SourceStatus {
		return []blocklists.SourceStatus{
			{Name: "hagezi", Kind: blocklists.KindCategoryList, Categories: []string{"gambling"}, URL: "https://x.invalid/l.txt",
				Entries: 1234, LastUpdate: fetched, LastCheck: fetched.Add(time.Hour), LastError: "fetch: 503"},
			{Name: "discord", Kind: blocklists.KindService, Categories: []string{"chat", "social"}, Entries: 7},
		}
	}})
	h := &metricsHarness{metrics: m, http: httptest.NewServer(m.Handler())}
	defer h.http.Close()
	s := h.scrape(t)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hearth_list_entries", map[string]string{"list": "hagezi", "kind": "category_list"}, 1234},
		{"hearth_list_entries", map[string]string{"list": "discord", "kind": "service"}, 7},
		{"hearth_list_category_info", map[string]string{"list": "discord", "category": "chat"}, 1},
		{"hearth_list_category_info", map[string]string{"list": "discord", "category": "social"}, 1},
		{"hearth_list_last_refresh_timestamp_seconds", map[string]string{"list": "hagezi"}, float64(fetched.Unix())},
		{"hearth_list_last_check_timestamp_seconds", map[string]string{"list": "hagezi"}, float64(fetched.Add(time.Hour).Unix())},
		{"hearth_list_failing", map[string]string{"list": "hagezi"}, 1},
		{"hearth_list_failing", map[string]string{"list": "discord"}, 0},
	} {
		if got := s.value(t, c.name, c.labels); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, n := s.lookup("hearth_list_last_refresh_timestamp_seconds", map[string]string{"list": "discord"}); n != 0 {
		t.Errorf("a service never downloaded has a refresh time")
	}
}

// TestMetricsSeriesBounded: label sets past maxSeries are counted as "other".
func TestMetricsSeriesBounded(t *testing.T) {
	t.Parallel()
	m := NewMetrics(MetricsSources{})
	for i := range maxSeries + 10 {
		m.Blocked(fmt.Sprintf("cat%d", i), "kids", "rule")
	}
	m.Blocked("cat0", "kids", "rule") // an existing series still counts
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	s := scraped{}
	for _, f := range fams {
		s[f.GetName()] = f
	}
	if n := len(s["hearth_blocked_total"].GetMetric()); n != maxSeries+1 {
		t.Errorf("%d series, want %d", n, maxSeries+1)
	}
	if v := s.value(t, "hearth_blocked_total", map[string]string{"category": "other"}); v != 10 {
		t.Errorf("other = %v, want 10", v)
	}
	if v := s.value(t, "hearth_blocked_total", map[string]string{"category": "cat0"}); v != 2 {
		t.Errorf("cat0 = %v, want 2", v)
	}
}

// TestMetricsBlockedWithoutCategory: bedtime and pauses have no category;
// their series say "none".
func TestMetricsBlockedWithoutCategory(t *testing.T) {
	t.Parallel()
	m := NewMetrics(MetricsSources{})
	m.Blocked("", "kids", "bedtime")
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	s := scraped{}
	for _, f := range fams {
		s[f.GetName()] = f
	}
	if v := s.value(t, "hearth_blocked_total", map[string]string{"category": "none", "group": "kids", "reason": "bedtime"}); v != 1 {
		t.Errorf("bedtime = %v, want 1", v)
	}
}

// TestMetricsCacheHitDoesNotAllocate: with Metrics as the Observer, a cache
// hit (query counter, cache counter) still allocates nothing, and a blocked
// answer's series lookup adds no allocation once the series exists.
func TestMetricsCacheHitDoesNotAllocate(t *testing.T) {
	h := newMetricsHarness(t)
	h.ask(t, "udp", "127.0.0.1", "www.example.com.", dns.TypeA)
	req := new(dns.Msg)
	req.SetQuestion("WWW.Example.com.", dns.TypeA)
	w := dnstest.NewDiscardWriter(net.IPv4(127, 0, 0, 1))
	if n := testing.AllocsPerRun(200, func() { h.srv.ServeDNS(w, req) }); n != 0 {
		t.Errorf("cache hit with metrics: %v allocs, want 0", n)
	}
	m := NewMetrics(MetricsSources{})
	m.Blocked("ads", "kids", "rule")
	m.Upstream("udp://127.0.0.1:53", time.Millisecond, true)
	if n := testing.AllocsPerRun(200, func() {
		m.Blocked("ads", "kids", "rule")
		m.Upstream("udp://127.0.0.1:53", time.Millisecond, true)
		m.Query(resolver.ProtoUDP, resolver.ResultBlocked)
		m.Cache(false)
	}); n != 0 {
		t.Errorf("observer calls: %v allocs, want 0", n)
	}
	s := h.scrape(t)
	if v := s.value(t, "hearth_cache_hits_total", nil); v < 200 {
		t.Errorf("cache hits %v, want at least 200", v)
	}
}

// BenchmarkMetricsCacheHit is resolver's BenchmarkCacheHit/plain with
// Metrics as the Observer.
func BenchmarkMetricsCacheHit(b *testing.B) {
	up := dnstest.NewServer(b)
	m := NewMetrics(MetricsSources{})
	cfg := resolver.Config{
		Listen: []string{"127.0.0.1:0"}, AllowClients: []string{"127.0.0.0/8"}, UDPSize: 1232,
		Upstreams: upstream.Config{Servers: []string{"udp://" + up.Addr}, Strategy: "ordered", Timeout: time.Second},
		Cache:     resolver.CacheConfig{Size: 1000, MaxTTL: time.Hour, NegativeTTL: time.Hour},
	}
	s, err := resolver.New(cfg, resolver.Options{Observer: m})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	req := new(dns.Msg)
	req.SetQuestion("WWW.Example.com.", dns.TypeA)
	w := dnstest.NewDiscardWriter(net.IPv4(127, 0, 0, 1))
	s.ServeDNS(w, req) // the miss that fills the cache
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.ServeDNS(w, req)
	}
	r := new(dns.Msg)
	if err := r.Unpack(w.Last); err != nil || len(r.Answer) != 1 || up.Queries() != 1 {
		b.Fatalf("last reply %v (%v) after %d upstream queries; want an answer from the cache", r, err, up.Queries())
	}
}
