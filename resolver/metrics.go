package resolver

import (
	"net"
	"reflect"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/resolver/upstream"
)

// Metrics: the resolver does not know Prometheus. It tells an Observer what
// happens to each query, in small typed values, and the web package turns
// that into counters. The Observer sees no domain names and no client
// addresses: only low-cardinality facts (protocol, result, category, group,
// configured upstream).

// Observer is told what happens to each query, for metrics. Its methods are
// called on the query path, from many goroutines at once: they must be
// quick, must not block and must not allocate on the cache-hit path.
type Observer interface {
	// Query is called once per query ServeDNS handled, after the answer
	// was written. Queries miekg/dns rejects before ServeDNS (responses,
	// opcodes other than QUERY, more than one question) are not seen.
	Query(proto Protocol, result Result)
	// Cache is called per cache lookup for a client's question (the name
	// asked, or a safe-search endpoint): hit when a servable entry was
	// found. Not called when the cache is off.
	Cache(hit bool)
	// Blocked is called per blocked answer. category is "" when no
	// category decided (bedtime, a pause, a device's own entries); group
	// is "" for the household rules without groups; reason is the policy
	// reason ("rule", "bedtime", "pause", "device").
	Blocked(category, group, reason string)
	// Upstream is called per exchange attempt with one upstream server
	// (addr as configured), with its duration; failed when it gave an
	// error, timed out, or answered SERVFAIL or REFUSED. Attempts abandoned
	// because the query itself was cancelled are not reported.
	Upstream(addr string, d time.Duration, failed bool)
}

// Protocol is the transport a query came in on.
type Protocol uint8

const (
	ProtoUDP Protocol = iota
	ProtoTCP
	ProtoDoT     // DNS-over-TLS (listen_tls)
	ProtoDoH     // DNS-over-HTTPS (listen_https)
	NumProtocols // the number of protocols, for arrays indexed by Protocol
)

var protoNames = [NumProtocols]string{"udp", "tcp", "dot", "doh"}

func (p Protocol) String() string {
	if p < NumProtocols {
		return protoNames[p]
	}
	return "unknown"
}

// Result is how a query was answered.
type Result uint8

const (
	// ResultAllowed: answered from the cache or the upstreams (NXDOMAIN
	// and NODATA from upstream included; serve-stale answers too).
	ResultAllowed Result = iota
	// ResultBlocked: the policy blocked the name or a CNAME target, or
	// rebinding protection dropped the upstream's answer.
	ResultBlocked
	// ResultRewritten: the policy rewrote the name (safe search).
	ResultRewritten
	// ResultLocal: answered without the public upstreams: ANY (RFC 8482),
	// localhost, local names (NXDOMAIN or the router's answer).
	ResultLocal
	// ResultRefused: the client is not in allow_clients.
	ResultRefused
	// ResultLimited: the client asked faster than rate_limit.qps allows
	// and was answered REFUSED.
	ResultLimited
	// ResultInvalid: the query itself was refused as asked: malformed
	// name (FORMERR), class other than IN (REFUSED), EDNS version (BADVERS).
	ResultInvalid
	// ResultError: Hearth could not answer: every upstream (or the router)
	// failed or answered SERVFAIL/REFUSED with nothing stale to serve, or
	// the handler panicked. The client got SERVFAIL (or the upstream's
	// REFUSED).
	ResultError
	NumResults // the number of results, for arrays indexed by Result
)

var resultNames = [NumResults]string{"allowed", "blocked", "rewritten", "local", "refused", "limited", "invalid", "error"}

func (r Result) String() string {
	if r < NumResults {
		return resultNames[r]
	}
	return "unknown"
}

// nopObserver is the Observer when Options.Observer is nil, so the query
// path needs no nil checks.
type nopObserver struct{}

func (nopObserver) Query(Protocol, Result)               {}
func (nopObserver) Cache(bool)                           {}
func (nopObserver) Blocked(string, string, string)       {}
func (nopObserver) Upstream(string, time.Duration, bool) {}

var _ Observer = nopObserver{}

// isNilPointer reports whether o is a nil pointer in an interface (a nil
// *web.Metrics passed as Options.Observer), which counts as no Observer.
func isNilPointer(o Observer) bool {
	v := reflect.ValueOf(o)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// protocolOf is the transport the query behind w came in on.
func protocolOf(w dns.ResponseWriter) Protocol {
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		return ProtoTCP
	}
	return ProtoUDP
}

// UpstreamStats returns the statistics of the current configuration's
// upstreams (then of local.router, if set), for metrics. Counts start again
// at zero when a reload builds new upstreams.
func (s *Server) UpstreamStats() []upstream.Stat {
	p := s.pipe.Load()
	out := p.upstreams.Stats()
	if p.router != nil {
		out = append(out, p.router.Stats()...)
	}
	return out
}

// Stats are the resolver's gauges and counters read at scrape time (the
// Observer hears of each query; these are what it cannot count).
type Stats struct {
	Cache CacheStats
	// UpstreamBusy: upstream queries not sent because
	// upstreams.max_in_flight were already waiting (answered stale or
	// SERVFAIL), since start.
	UpstreamBusy int64
	// Rebinding: upstream answers dropped because a public name pointed
	// into a private, loopback or link-local range, since start.
	Rebinding int64
	// LogSuppressed: log lines left out by the per-device log limit.
	LogSuppressed int64
	// Encrypted: DoT's and DoH's connections and failed handshakes.
	Encrypted []EncryptedStat
	// CertNotAfter: when the encrypted listeners' certificate ends (zero
	// without them).
	CertNotAfter time.Time
}

// Stats returns the resolver's statistics now. The cache's figures are
// those of the cache in use (a reload that changes the cache section
// starts a new one).
func (s *Server) Stats() Stats {
	p := s.pipe.Load()
	enc, end := s.encryptedStats()
	return Stats{
		Cache:         p.cache.stats(),
		UpstreamBusy:  s.upstreamBusy.Load(),
		Rebinding:     s.rebinding.Load(),
		LogSuppressed: s.logs.suppressedTotal(),
		Encrypted:     enc,
		CertNotAfter:  end,
	}
}
