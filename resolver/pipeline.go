package resolver

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/tlscert"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

// pipeline is everything a query needs that comes from the configuration. It
// is built once, off to the side, and published atomically: a reload swaps
// the whole pipeline and queries never take a lock to read it.
type pipeline struct {
	cfg       Config
	allow     []netip.Prefix
	local     *localNames
	upstreams *upstream.Group
	router    *upstream.Group // nil: local names are answered NXDOMAIN
	cache     *cache          // nil: caching is off
	limiter   *rateLimiter    // nil: no per-client rate limit
	rebind    *rebindGuard    // nil: rebinding protection is off
	budget    time.Duration   // how long one query may spend on upstreams
	certs     *tlscert.Source // the encrypted listeners' certificate; nil without them
}

// request is what the pipeline keeps of a client's query, read once.
type request struct {
	id            uint16
	rd, cd        bool
	name          string // as the client wrote it (0x20 case kept)
	qtype, qclass uint16
	edns, do      bool
	udpSize       uint16 // what we advertise back
	limit         int    // largest response the client can take
	tcp           bool
	maxTTL        uint32 // TTLs given are capped to this (the policy's next change)
	queue         int    // the journal's queue for it (journal.Event.Queue): the UDP worker's, else 0
}

// ServeDNS is the one place where miekg/dns's context-free handler meets the
// pipeline. The order of the steps:
//
//  1. who may ask: clients outside allow_clients get REFUSED, before any other
//     work, so Hearth never serves as an open resolver;
//  2. rate limit: a client (IPv6: its /64) asking faster than rate_limit
//     allows gets REFUSED, before any work is spent on it, so one flooding
//     device cannot starve the others;
//  3. normalise: EDNS version and size, DO bit, lowercase key built on the stack;
//  4. answer locally what must not leave the house: ANY (RFC 8482), localhost,
//     local names (home.arpa, private reverse zones, ...) to the router or NXDOMAIN;
//  5. decide: the policy may block the name (answered here, with the reason
//     as an Extended DNS Error);
//  6. cache: a fresh hit is answered from stored wire bytes (the hot path);
//  7. upstream, coalescing identical misses, at most upstreams.max_in_flight
//     at once; the answer cut to its chain and checked for rebinding; store;
//     stale answer if all fail (and, for the next 30 s, that stale answer
//     without asking again);
//  8. truncate to the client's size and write.
//
// ServeDNS itself only adapts: it recovers a panic (answering SERVFAIL) and
// tells the Observer how the query was answered; serve is the pipeline,
// each exit returning its Result.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.handle(w, req, protocolOf(w), "")
}

// handle is ServeDNS for a query that came in on proto, from a device that
// named itself deviceID over an encrypted transport ("" if none).
func (s *Server) handle(w dns.ResponseWriter, req *dns.Msg, proto Protocol, deviceID string) {
	res := ResultError
	defer func() {
		if v := recover(); v != nil {
			if s.logs.allow(logSubject{kind: "panic"}, s.clock.Now()) {
				s.log.Error().Interface("panic", v).Str("name", questionName(req)).Msg("query handler panicked; answered SERVFAIL")
			}
			s.reply(w, req, dns.RcodeServerFailure)
			res = ResultError
		}
		s.obs.Query(proto, res)
	}()
	res = s.serve(w, req, deviceID)
}

// serve runs the pipeline for one query (steps as listed at ServeDNS) and
// reports how it was answered.
func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg, deviceID string) Result {
	p := s.pipe.Load()

	// 1. Who may ask.
	remote, ok := remoteAddr(w.RemoteAddr())
	if !ok || !p.allowed(remote) {
		s.reply(w, req, dns.RcodeRefused)
		return ResultRefused
	}

	// 2. Rate limit, per client address (IPv6 per /64): a token bucket in
	// a sharded map, no allocation for a client already seen.
	clock := s.clock.Now()
	if p.limiter != nil && !p.limiter.allow(remote, clock.UnixNano()) {
		s.reply(w, req, dns.RcodeRefused)
		return ResultLimited
	}

	// 3. Normalise.
	var r request
	if rcode := r.read(req, w, p.cfg.UDPSize); rcode != dns.RcodeSuccess {
		s.reply(w, req, rcode)
		return ResultInvalid
	}
	var keyBuf [maxKeyLen]byte
	key := appendKey(keyBuf[:0], r.name, r.qtype, r.qclass, r.do, r.cd)
	lname := key[:len(key)-5]

	// 4. Answered here.
	switch {
	case r.qtype == dns.TypeANY:
		s.answerANY(w, &r)
		return ResultLocal
	case isLocalhost(lname):
		s.answerLocalhost(w, &r)
		return ResultLocal
	case p.local.match(lname, r.qtype):
		if p.router == nil {
			s.writeMsg(w, &r, rcodeMsg(dns.RcodeNameError))
			return ResultLocal
		}
		resp, err := s.exchange(p, p.router, &r)
		if err != nil {
			s.writeMsg(w, &r, rcodeMsg(dns.RcodeServerFailure))
			return ResultError
		}
		s.writeMsg(w, &r, resp.Copy())
		return ResultLocal
	}

	// 5. Identify the device (recording the sighting), then decide, which
	// has no side effects: a blocked name is answered here, before the
	// cache, so a change of rules applies at once. An allowed name whose decision
	// changes at a known instant (a window closing) is not given a TTL
	// that outlives it.
	var who policy.Who
	var d policy.Decision
	if s.policy != nil {
		name := unsafe.String(&lname[0], len(lname))
		client := ClientFromQuery(remote, req)
		client.DeviceID = deviceID
		who = s.policy.Identify(&client, clock)
		s.policy.DecideInto(&d, name, who, clock)
		s.policy.LookedUp(who, &d, clock) // a device not yet named: which services, today
		switch d.Action {
		case policy.Block:
			d.Own(name)
			s.record(&r, strings.Clone(name), &d, clock)
			s.answerBlocked(w, &r, &d)
			return ResultBlocked
		case policy.Rewrite:
			if d.LogAllowed {
				s.record(&r, strings.Clone(name), &d, clock)
			}
			return s.answerRewrite(p, w, &r, &d, clock)
		}
		if d.LogAllowed {
			s.record(&r, strings.Clone(name), &d, clock)
		}
		r.maxTTL = verdict.TTLUntil(clock, d.Expires())
	}

	return s.serveAllowed(p, w, &r, key, who, &d, clock)
}

// serveAllowed runs steps 6 to 8 for a query the policy let through (or
// with no policy): the cache, the upstreams, the write. The UDP fast path
// continues here, on a goroutine, with a query it decided itself.
func (s *Server) serveAllowed(p *pipeline, w dns.ResponseWriter, r *request, key []byte, who policy.Who, d *policy.Decision, clock time.Time) Result {
	// 6. Cache.
	now := clock.UnixNano()
	if p.cache != nil {
		e := p.cache.get(key, now)
		hit := e != nil && e.servable(now)
		s.obs.Cache(hit)
		if hit {
			if len(e.cnames) > 0 && s.chainBlocked(w, r, who, clock, d, e.cnames) {
				return ResultBlocked
			}
			s.writeEntry(w, r, e, now)
			s.servedHit(p, r, key, e, now)
			return ResultAllowed
		}
	}

	// 7. Upstream. resolve cuts the answer to its chain and drops it if
	// it rebinds a public name into the home network.
	ans := s.resolve(p, r, key)
	switch {
	case ans.rebind:
		s.answerRebinding(w, r)
		return ResultBlocked
	case ans.entry != nil:
		if len(ans.entry.cnames) > 0 && s.chainBlocked(w, r, who, clock, d, ans.entry.cnames) {
			return ResultBlocked
		}
		s.writeEntry(w, r, ans.entry, s.clock.Now().UnixNano())
		return ResultAllowed
	case ans.msg != nil:
		if cn := cnameTargets(ans.msg); len(cn) > 0 && s.chainBlocked(w, r, who, clock, d, cn) {
			return ResultBlocked
		}
		m := ans.msg.Copy()
		capTTLs(m, r.maxTTL)
		s.writeMsg(w, r, m)
		if m.Rcode == dns.RcodeServerFailure || m.Rcode == dns.RcodeRefused {
			return ResultError // the upstreams' own failure, passed on
		}
		return ResultAllowed
	default:
		s.writeMsg(w, r, rcodeMsg(dns.RcodeServerFailure))
		return ResultError
	}
}

// servedHit counts a hit on e (up to what the prefetch needs) and starts
// its prefetch when it is popular and about to expire.
func (s *Server) servedHit(p *pipeline, r *request, key []byte, e *cacheEntry, now int64) {
	if e.hits.Load() < prefetchAfter {
		e.hits.Add(1)
	}
	if p.cfg.Cache.Prefetch && e.wantPrefetch(now) {
		s.prefetch(p, r, key, e)
	}
}

// chainBlocked checks the CNAME targets of an answer against the policy, as
// if each had been asked by who (identified in step 4): if one is blocked, so is the answer (a blocked
// service must not be reachable through a name that points at it). It
// answers the query itself when it reports true, and lowers r.maxTTL to the
// chain's next change otherwise. The first decision says whether its chain
// needs checking (the policy trusts help sites and allow entries whole).
func (s *Server) chainBlocked(w dns.ResponseWriter, r *request, who policy.Who, now time.Time, first *policy.Decision, targets []string) bool {
	if s.policy == nil || !first.CheckChain {
		return false
	}
	var d policy.Decision
	for _, t := range targets {
		s.policy.DecideInto(&d, t, who, now)
		switch d.Action {
		case policy.Block:
			d.Own(t)
			d.Via = strings.TrimSuffix(t, ".")
			s.answerBlocked(w, r, &d)
			return true
		case policy.Allow:
			r.maxTTL = min(r.maxTTL, verdict.TTLUntil(now, d.Expires()))
		}
	}
	return false
}

// record hands a lookup to the journal. Help sites (Quiet) never go there.
// lname is the lowercased name with its trailing dot, if the caller has it;
// the Recorder may see it through an interface, so a caller whose lname
// lives in a stack buffer passes a copy (serve does; the UDP worker's
// buffers are on the heap already and are passed as they are).
// A safe-search rewrite goes there as allowed (the lookup went through, to
// the safe endpoint), its reason saying so.
func (s *Server) record(r *request, lname string, d *policy.Decision, now time.Time) {
	if s.journal == nil || d.Quiet {
		return
	}
	var name string
	if lname != "" {
		name = lname[:len(lname)-1] // may be a stack buffer: Recorder copies what it keeps
	} else {
		name = strings.ToLower(strings.TrimSuffix(r.name, "."))
	}
	e := journal.Event{
		Time: now, Device: d.Device, Group: d.Group, Client: d.Client,
		Name: name, Qtype: r.qtype, Queue: r.queue,
		Action: journal.ActionAllow, Reason: d.Reason, Mode: d.Mode,
		Category: d.Category, Service: d.Service, List: d.List, Rule: d.Rule, Window: d.Window,
	}
	if d.Action == policy.Block {
		e.Action, e.Response = journal.ActionBlock, d.Response.Kind.String()
	}
	s.journal.Record(e)
}

// answer is the outcome of one upstream resolution, shared by every query
// that waited for it.
type answer struct {
	entry  *cacheEntry // set when the answer is cacheable (or a stale stand-in)
	msg    *dns.Msg    // otherwise the upstream's reply, read-only
	rebind bool        // the answer was dropped by rebinding protection
}

// resolve asks the upstreams once for all concurrent identical queries, keeps
// only the answer's chain, drops a rebinding answer, stores the answer, and
// falls back to a stale entry when every upstream fails (or max_in_flight
// queries are already waiting on them).
func (s *Server) resolve(p *pipeline, r *request, key []byte) answer {
	v, _, _ := s.flights.Do(string(key), func() (any, error) {
		resp, err := s.exchange(p, p.upstreams, r)
		now := s.clock.Now()
		if errors.Is(err, upstream.ErrBusy) {
			s.upstreamBusy.Add(1)
		}
		if err == nil {
			chainOnly(resp, r.name)
			if p.rebind.rebinds(resp, r.name) {
				s.rebinding.Add(1)
				if s.logs.allow(logSubject{kind: "rebinding"}, now) {
					s.log.Warn().Str("name", r.name).Msg("DNS rebinding: an upstream gave this public name an address in the home network; answer dropped (rebinding.allow lets a name through)")
				}
				return answer{rebind: true}, nil
			}
		}
		failed := err != nil || resp.Rcode == dns.RcodeServerFailure || resp.Rcode == dns.RcodeRefused
		if failed {
			if p.cache != nil && p.cfg.Cache.ServeStale {
				if e := p.cache.get(key, now.UnixNano()); e != nil {
					// Serve it at once to the queries of the next
					// staleRecheck too, rather than make each wait for
					// the upstreams to time out again.
					e.staleOnly.Store(now.UnixNano() + int64(staleRecheck))
					s.log.Debug().Str("name", r.name).Msg("upstreams failed; serving stale answer")
					return answer{entry: e}, nil
				}
			}
			if err != nil {
				if s.logs.allow(logSubject{kind: "upstreams"}, now) {
					s.log.Warn().Err(err).Str("name", r.name).Msg("every upstream failed")
				}
				return answer{}, nil
			}
			return answer{msg: resp}, nil
		}
		if p.cache != nil {
			if e := p.cache.newEntry(resp, now.UnixNano()); e != nil {
				p.cache.put(key, e, now.UnixNano())
				return answer{entry: e}, nil
			}
		}
		return answer{msg: resp}, nil
	})
	return v.(answer)
}

// exchange builds the upstream query (lowercased name, RD, our own EDNS with the
// client's DO and CD bits; the client's EDNS options such as client subnet are
// not passed on) and sends it through group.
func (s *Server) exchange(p *pipeline, group *upstream.Group, r *request) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.Id = dns.Id()
	q.RecursionDesired = true
	q.CheckingDisabled = r.cd
	q.Question = []dns.Question{{Name: lowerFqdn(r.name), Qtype: r.qtype, Qclass: r.qclass}}
	q.SetEdns0(upstreamUDPSize, r.do)
	ctx, cancel := context.WithTimeout(s.ctx, p.budget)
	defer cancel()
	return group.Exchange(ctx, q)
}

// upstreamUDPSize is the EDNS payload size Hearth advertises to upstreams
// (DNS flag day 2020: avoids IP fragmentation).
const upstreamUDPSize = 1232

// prefetch refreshes a popular entry in the background, bounded in number.
func (s *Server) prefetch(p *pipeline, r *request, key []byte, e *cacheEntry) {
	select {
	case s.prefetchSlots <- struct{}{}:
	default:
		e.fetching.Store(false)
		return
	}
	rc := *r
	rc.name = strings.Clone(r.name) // r.name may be a worker's buffer
	k := append([]byte(nil), key...)
	s.prefetches.Add(1)
	go func() {
		defer func() { <-s.prefetchSlots; s.prefetches.Done() }()
		s.resolve(p, &rc, k)
		e.fetching.Store(false)
	}()
}

// read fills r from the client's query, returning an rcode other than
// success when the query must be refused as it is.
func (r *request) read(req *dns.Msg, w dns.ResponseWriter, maxUDP int) int {
	if len(req.Question) != 1 {
		return dns.RcodeFormatError
	}
	q := req.Question[0]
	if _, ok := dns.IsDomainName(q.Name); !ok || len(q.Name) > 254 || q.Name == "" || q.Name[len(q.Name)-1] != '.' {
		return dns.RcodeFormatError
	}
	if q.Qclass != dns.ClassINET {
		return dns.RcodeRefused
	}
	r.id, r.rd, r.cd = req.Id, req.RecursionDesired, req.CheckingDisabled
	r.maxTTL = math.MaxUint32
	r.name, r.qtype, r.qclass = q.Name, q.Qtype, q.Qclass
	_, r.tcp = w.RemoteAddr().(*net.TCPAddr)
	r.limit = dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		if opt.Version() != 0 {
			return dns.RcodeBadVers
		}
		r.edns, r.do = true, opt.Do()
		r.udpSize = uint16(maxUDP)
		r.limit = min(max(int(opt.UDPSize()), dns.MinMsgSize), maxUDP)
	}
	if r.tcp {
		r.limit = dns.MaxMsgSize
	}
	return dns.RcodeSuccess
}

// remoteAddr returns the client's address, IPv4-mapped addresses unmapped.
func remoteAddr(a net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	default:
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(ip)
	return addr.Unmap(), ok
}

// allowed reports whether the client's address is in allow_clients.
func (p *pipeline) allowed(addr netip.Addr) bool {
	for _, pre := range p.allow {
		if pre.Contains(addr) {
			return true
		}
	}
	return false
}

func questionName(m *dns.Msg) string {
	if m != nil && len(m.Question) > 0 {
		return m.Question[0].Name
	}
	return ""
}

func lowerFqdn(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return name
}
