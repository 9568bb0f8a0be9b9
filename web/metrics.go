package web

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/resolver"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// Prometheus metrics at /metrics (docs/metrics.md lists them all).
//
// Two kinds: counters the resolver drives through resolver.Observer on the
// query path, and gauges read from their owners at scrape time (upstream
// scores, the journal's queue, the lists). Labels are low-cardinality by
// construction: protocol, result, the configured upstreams, categories,
// groups and list names come from the configuration, never from a query.
// Domain names and client addresses are never labels.
//
// The query path must not allocate on a cache hit: counters for each
// (protocol, result) pair are resolved once into a fixed array, and the
// labelled series of blocked answers and upstreams are looked up in a
// copy-on-write map (no lock, no allocation once a series exists) rather
// than through WithLabelValues per query.

// MetricsSources are read at scrape time. Any of them may be nil.
type MetricsSources struct {
	Upstreams func() []upstream.Stat           // resolver.Server.UpstreamStats
	Journal   func() (journal.Stats, bool)     // journal.Journal.Stats; ok=false when the journal is off
	Lists     func() []blocklists.SourceStatus // blocklists.Lists.Status
	Resolver  func() resolver.Stats            // resolver.Server.Stats: the cache's size, queries turned away
}

// Metrics holds Hearth's metrics in its own registry (with the Go runtime and
// process collectors) and implements resolver.Observer.
type Metrics struct {
	reg *prometheus.Registry

	queries     [resolver.NumProtocols][resolver.NumResults]prometheus.Counter
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	blocked     seriesCache[blockKey, prometheus.Counter]
	upstreams   seriesCache[string, upstreamSeries]
}

type blockKey struct{ category, group, reason string }

type upstreamSeries struct {
	duration prometheus.Observer
	errors   prometheus.Counter
}

var _ resolver.Observer = (*Metrics)(nil)

// upstreamBuckets suit DNS: a LAN or cached answer in about a millisecond,
// an encrypted upstream in tens, a timeout at the end.
var upstreamBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2}

// maxSeries bounds the labelled series of one vector made on the query path.
// The labels come from the configuration, so this is never reached in
// practice; if it were, further label sets are counted under "other".
const maxSeries = 1000

// NewMetrics registers Hearth's metrics in a new registry.
func NewMetrics(src MetricsSources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_dns_queries_total",
		Help: "DNS queries answered, by transport (udp, tcp, dot, doh) and result (allowed, blocked, rewritten, local, refused, invalid, error).",
	}, []string{"protocol", "result"})
	for p := range resolver.NumProtocols {
		for r := range resolver.NumResults {
			// Every pair exists from the start, at zero, so rates
			// and alerts work before the first such query.
			m.queries[p][r] = queries.WithLabelValues(p.String(), r.String())
		}
	}
	m.cacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hearth_cache_hits_total",
		Help: "Cache lookups that found a servable answer.",
	})
	m.cacheMisses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hearth_cache_misses_total",
		Help: "Cache lookups that found nothing servable (the upstreams were asked).",
	})
	blocked := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_blocked_total",
		Help: `Blocked answers, by category ("none" for bedtime, pauses and device entries), group and policy reason (rule, bedtime, pause, device).`,
	}, []string{"category", "group", "reason"})
	m.blocked.make = func(k blockKey) prometheus.Counter {
		return blocked.WithLabelValues(k.category, k.group, k.reason)
	}
	m.blocked.other = blockKey{"other", "other", "other"}
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hearth_upstream_duration_seconds",
		Help:    "Duration of exchange attempts with each upstream server (as configured), failed attempts included.",
		Buckets: upstreamBuckets,
	}, []string{"upstream"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_upstream_errors_total",
		Help: "Exchange attempts with each upstream server that failed: error, timeout, SERVFAIL or REFUSED.",
	}, []string{"upstream"})
	m.upstreams.make = func(addr string) upstreamSeries {
		return upstreamSeries{duration: duration.WithLabelValues(addr), errors: errs.WithLabelValues(addr)}
	}
	m.upstreams.other = "other"

	m.reg.MustRegister(
		queries, m.cacheHits, m.cacheMisses, blocked, duration, errs,
		&sourceCollector{src: src},
		encryptedCollector{src: src},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the registry in the Prometheus text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry behind Handler, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Query implements resolver.Observer.
func (m *Metrics) Query(proto resolver.Protocol, result resolver.Result) {
	if proto < resolver.NumProtocols && result < resolver.NumResults {
		m.queries[proto][result].Inc()
	}
}

// Cache implements resolver.Observer.
func (m *Metrics) Cache(hit bool) {
	if hit {
		m.cacheHits.Inc()
	} else {
		m.cacheMisses.Inc()
	}
}

// Blocked implements resolver.Observer.
func (m *Metrics) Blocked(category, group, reason string) {
	if category == "" {
		category = "none"
	}
	m.blocked.get(blockKey{category, group, reason}).Inc()
}

// Upstream implements resolver.Observer.
func (m *Metrics) Upstream(addr string, d time.Duration, failed bool) {
	s := m.upstreams.get(addr)
	s.duration.Observe(d.Seconds())
	if failed {
		s.errors.Inc()
	}
}

// seriesCache maps label values to their series without a lock or an
// allocation once the series exists: readers load an immutable map; the
// rare writer copies it with the new series added.
type seriesCache[K comparable, V any] struct {
	m     atomic.Pointer[map[K]V]
	mu    sync.Mutex // serialises writers
	make  func(K) V
	other K // the key used once maxSeries are made
}

func (c *seriesCache[K, V]) get(k K) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]V
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if v, ok := old[k]; ok {
		return v
	}
	if len(old) >= maxSeries {
		if v, ok := old[c.other]; ok {
			return v
		}
		k = c.other
	}
	next := make(map[K]V, len(old)+1)
	for ok, ov := range old {
		next[ok] = ov
	}
	v := c.make(k)
	next[k] = v
	c.m.Store(&next)
	return v
}

// sourceCollector reads the gauges of the upstreams, the journal and the
// lists at scrape time.
type sourceCollector struct{ src MetricsSources }

var (
	descUpstreamScore = prometheus.NewDesc("hearth_upstream_score_seconds",
		`Each upstream's moving average latency as the "fastest" strategy scores it (failures count as twice the timeout; decays while idle).`,
		[]string{"upstream"}, nil)
	descJournalQueue = prometheus.NewDesc("hearth_journal_queue_depth",
		"Lookups waiting for the journal's writer.", nil, nil)
	descJournalDropped = prometheus.NewDesc("hearth_journal_dropped_total",
		"Lookups the journal lost since start (queue full, or memory bound while the database is unavailable).", nil, nil)
	descJournalWritten = prometheus.NewDesc("hearth_journal_written_total",
		"Lookups committed to the journal's database since start.", nil, nil)
	descJournalRows = prometheus.NewDesc("hearth_journal_rows",
		"Rows in the journal (in the database, or in memory while it is unavailable).", nil, nil)
	descJournalSize = prometheus.NewDesc("hearth_journal_size_bytes",
		"Size of the journal's database on disk, WAL included; 0 while in memory.", nil, nil)
	descJournalInMemory = prometheus.NewDesc("hearth_journal_in_memory",
		"1 while the journal's database is unavailable and lookups are kept in memory, else 0.", nil, nil)
	descCacheEntries = prometheus.NewDesc("hearth_cache_entries",
		"Answers held in the cache.", nil, nil)
	descCacheBytes = prometheus.NewDesc("hearth_cache_bytes",
		"Memory the cached answers are charged (their bytes plus a fixed overhead each), bounded by cache.max_mb.", nil, nil)
	descCacheMaxBytes = prometheus.NewDesc("hearth_cache_max_bytes",
		"The cache's byte budget (cache.max_mb); 0 when bounded by entries only.", nil, nil)
	descUpstreamBusy = prometheus.NewDesc("hearth_upstream_busy_total",
		"Queries not sent upstream because upstreams.max_in_flight were already waiting (answered stale or SERVFAIL).", nil, nil)
	descRebinding = prometheus.NewDesc("hearth_rebinding_blocked_total",
		"Upstream answers dropped because a public name pointed into the home network (DNS rebinding protection).", nil, nil)
	descLogSuppressed = prometheus.NewDesc("hearth_log_suppressed_total",
		"Log lines left out by the per-device limit on the query path's log lines.", nil, nil)
	descListEntries = prometheus.NewDesc("hearth_list_entries",
		"Entries of each list source (a catalogue service, a category's list, or a configured list) as last compiled.",
		[]string{"list", "kind"}, nil)
	descListCategory = prometheus.NewDesc("hearth_list_category_info",
		"1 for each category a list source counts as (join on list to sum hearth_list_entries by category).",
		[]string{"list", "category"}, nil)
	descListRefresh = prometheus.NewDesc("hearth_list_last_refresh_timestamp_seconds",
		"When each downloaded list was last fetched (or a list file last modified), as a Unix time; absent if never.",
		[]string{"list"}, nil)
	descListCheck = prometheus.NewDesc("hearth_list_last_check_timestamp_seconds",
		"When the server last confirmed each downloaded list's copy, as a Unix time; absent if never.",
		[]string{"list"}, nil)
	descListFailing = prometheus.NewDesc("hearth_list_failing",
		"1 when the last download or compile of a list source failed, else 0.",
		[]string{"list"}, nil)
)

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUpstreamScore, descJournalQueue, descJournalDropped, descJournalWritten,
		descJournalRows, descJournalSize, descJournalInMemory, descListEntries, descListCategory, descListRefresh,
		descListCheck, descListFailing, descCacheEntries, descCacheBytes, descCacheMaxBytes, descUpstreamBusy,
		descRebinding, descLogSuppressed} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if c.src.Upstreams != nil {
		seen := make(map[string]bool)
		for _, st := range c.src.Upstreams() {
			if !seen[st.Address] { // local.router may repeat an upstream
				seen[st.Address] = true
				gauge(descUpstreamScore, st.Latency.Seconds(), st.Address)
			}
		}
	}
	if c.src.Journal != nil {
		if st, ok := c.src.Journal(); ok {
			gauge(descJournalQueue, float64(st.Queued))
			ch <- prometheus.MustNewConstMetric(descJournalDropped, prometheus.CounterValue, float64(st.Dropped))
			ch <- prometheus.MustNewConstMetric(descJournalWritten, prometheus.CounterValue, float64(st.Written))
			gauge(descJournalRows, float64(st.Rows))
			gauge(descJournalSize, float64(st.SizeBytes))
			gauge(descJournalInMemory, boolValue(st.InMemory))
		}
	}
	if c.src.Resolver != nil {
		st := c.src.Resolver()
		gauge(descCacheEntries, float64(st.Cache.Entries))
		gauge(descCacheBytes, float64(st.Cache.Bytes))
		gauge(descCacheMaxBytes, float64(st.Cache.MaxBytes))
		ch <- prometheus.MustNewConstMetric(descUpstreamBusy, prometheus.CounterValue, float64(st.UpstreamBusy))
		ch <- prometheus.MustNewConstMetric(descRebinding, prometheus.CounterValue, float64(st.Rebinding))
		ch <- prometheus.MustNewConstMetric(descLogSuppressed, prometheus.CounterValue, float64(st.LogSuppressed))
	}
	if c.src.Lists != nil {
		seen := make(map[string]bool)
		for _, st := range c.src.Lists() {
			if seen[st.Name] {
				continue
			}
			seen[st.Name] = true
			gauge(descListEntries, float64(st.Entries), st.Name, strings.ReplaceAll(st.Kind.String(), " ", "_"))
			for _, cat := range st.Categories {
				gauge(descListCategory, 1, st.Name, cat)
			}
			if !st.LastUpdate.IsZero() {
				gauge(descListRefresh, unixSeconds(st.LastUpdate), st.Name)
			}
			if !st.LastCheck.IsZero() {
				gauge(descListCheck, unixSeconds(st.LastCheck), st.Name)
			}
			gauge(descListFailing, boolValue(st.LastError != ""), st.Name)
		}
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
