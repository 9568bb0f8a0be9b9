package resolver

import (
	"encoding/binary"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// The answer cache keeps each response as packed wire bytes. A hit copies
// them into a pooled buffer and patches the ID, RD bit, question case and
// TTLs in place: no unpacking, no packing, no allocation.
//
// Keys are built on the stack (see appendKey) from the lowercased name, type,
// class and the DO and CD bits. The map is split into shards, each behind its
// own RWMutex, so hits on different names never wait for one another. A full
// shard evicts by sampling a few entries and dropping the one least worth
// keeping (expired first, then never asked again, then expiring first; as
// Redis samples), which needs no bookkeeping on the hit path beyond the
// capped hit count the prefetch keeps anyway.
//
// The cache is bounded twice: by entries (cache.size, per shard) and by bytes
// (cache.max_mb, for the whole cache). Each entry is charged what it holds
// (its wire bytes, TTL offsets, key and CNAME targets) plus a fixed overhead
// for the struct and its map slot; while the total is over the budget,
// entries are evicted shard after shard, round robin. An answer larger than
// cache.max_answer_bytes is never stored: a flood of made-up names with huge
// answers passes through without pushing the family's names out.

const (
	cacheShards   = 64
	evictSamples  = 8
	staleTTL      = 30 // seconds; RFC 8767 section 4 recommends 30
	staleRecheck  = 30 * time.Second
	maxKeyLen     = 255 + 5
	prefetchAfter = 2 // hits before an entry counts as popular
	// entryOverhead is charged per entry besides its data: the cacheEntry
	// struct, the key's string header and the map slot.
	entryOverhead = 192
)

type cache struct {
	cfg       CacheConfig
	seed      maphash.Seed
	perShard  int
	maxBytes  int64         // 0: bounded by entries only
	bytes     atomic.Int64  // charged to the entries held
	entries   atomic.Int64  // entries held
	evictNext atomic.Uint32 // the shard the byte budget evicts from next
	shards    [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*cacheEntry
	_  [40]byte // keep shards on separate cache lines
}

type cacheEntry struct {
	wire     []byte   // ID 0, no OPT, lowercased question, compressed
	ttlOffs  []uint16 // where each record's TTL sits in wire
	stored   int64    // unix nanoseconds
	expires  int64
	staleEnd int64 // serve-stale horizon
	// staleOnly: until this instant, the upstreams failed for this name
	// and the stale answer is served at once (RFC 8767's failure recheck).
	staleOnly atomic.Int64
	ttl       uint32
	// cnames are the targets of the answer's CNAME records (lowercase,
	// fully qualified), which the policy checks like the name asked.
	cnames   []string
	hits     atomic.Uint32
	fetching atomic.Bool // a prefetch is under way
	cost     int64       // bytes charged to the cache's budget (set by put)
}

func newCache(cfg CacheConfig) *cache {
	if cfg.Size <= 0 {
		return nil
	}
	c := &cache{cfg: cfg, seed: maphash.MakeSeed(), perShard: max(1, (cfg.Size+cacheShards-1)/cacheShards),
		maxBytes: int64(cfg.MaxMB) << 20}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheEntry)
	}
	return c
}

// appendKey appends the cache key for a question to dst: the lowercased name,
// type, class and flags.
func appendKey(dst []byte, name string, qtype, qclass uint16, do, cd bool) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	var flags byte
	if do {
		flags |= 1
	}
	if cd {
		flags |= 2
	}
	return append(dst, byte(qtype>>8), byte(qtype), byte(qclass>>8), byte(qclass), flags)
}

func (c *cache) shard(key []byte) *cacheShard {
	return &c.shards[maphash.Bytes(c.seed, key)%cacheShards]
}

// get returns the entry for key, fresh or stale, or nil.
func (c *cache) get(key []byte, now int64) *cacheEntry {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	if e == nil || now >= e.staleEnd {
		return nil
	}
	return e
}

// put stores e under key, evicting if the shard is full, then evicting
// across shards while the cache is over its byte budget.
func (c *cache) put(key []byte, e *cacheEntry, now int64) {
	e.cost = entryCost(key, e)
	s := c.shard(key)
	s.mu.Lock()
	if old, ok := s.m[string(key)]; ok {
		c.charge(-old.cost, -1)
	} else if len(s.m) >= c.perShard {
		c.evictOne(s, now)
	}
	s.m[string(key)] = e
	c.charge(e.cost, 1)
	s.mu.Unlock()
	if c.maxBytes <= 0 {
		return
	}
	// Round robin over the shards, one victim each, so the budget takes
	// from the whole cache rather than emptying the shard being written.
	for empty := 0; c.bytes.Load() > c.maxBytes && empty < cacheShards; {
		s := &c.shards[c.evictNext.Add(1)%cacheShards]
		s.mu.Lock()
		if len(s.m) == 0 {
			empty++
		} else {
			c.evictOne(s, now)
			empty = 0
		}
		s.mu.Unlock()
	}
}

// evictOne drops, of a few sampled entries of s, the one least worth
// keeping: an expired entry before a fresh one, then one never asked for
// again since it was stored before one that was (so a flood of made-up
// names, each asked once, pushes out its own entries and not the family's
// popular names), then the one whose stale horizon ends first. s.mu held.
func (c *cache) evictOne(s *cacheShard, now int64) {
	var victim string
	var worst *cacheEntry
	n := 0
	for k, v := range s.m {
		if worst == nil || evictsBefore(v, worst, now) {
			victim, worst = k, v
		}
		if n++; n >= evictSamples {
			break
		}
	}
	if v, ok := s.m[victim]; ok {
		c.charge(-v.cost, -1)
		delete(s.m, victim)
	}
}

// evictsBefore reports whether a is to be evicted before b.
func evictsBefore(a, b *cacheEntry, now int64) bool {
	if ea, eb := a.expires <= now, b.expires <= now; ea != eb {
		return ea
	}
	if ha, hb := a.hits.Load(), b.hits.Load(); ha != hb {
		return ha < hb
	}
	return a.staleEnd < b.staleEnd
}

func (c *cache) charge(bytes, entries int64) {
	c.bytes.Add(bytes)
	c.entries.Add(entries)
}

// entryCost is what an entry holds in memory, as charged to the budget.
func entryCost(key []byte, e *cacheEntry) int64 {
	n := entryOverhead + len(key) + cap(e.wire) + 2*cap(e.ttlOffs) + 16*cap(e.cnames)
	for _, c := range e.cnames {
		n += len(c)
	}
	return int64(n)
}

// CacheStats is the answer cache's size now, for metrics.
type CacheStats struct {
	Entries  int64 // answers held
	Bytes    int64 // bytes charged to them (see entryCost)
	MaxBytes int64 // the budget (cache.max_mb); 0 when bounded by entries only
}

func (c *cache) stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	return CacheStats{Entries: c.entries.Load(), Bytes: c.bytes.Load(), MaxBytes: c.maxBytes}
}

// len counts the entries (for tests and stats).
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// newEntry turns an upstream response into a cache entry, or returns nil when
// the response must not be cached (errors, truncation, TTL 0, negative answers
// without an SOA as RFC 2308 section 5 requires, answers over
// cache.max_answer_bytes).
func (c *cache) newEntry(resp *dns.Msg, now int64) *cacheEntry {
	if resp.Truncated || len(resp.Question) != 1 {
		return nil
	}
	m := resp.Copy()
	var ttl uint32
	switch {
	case m.Rcode == dns.RcodeSuccess && len(m.Answer) > 0:
		ttl = c.clampRecords(m)
	case m.Rcode == dns.RcodeSuccess || m.Rcode == dns.RcodeNameError:
		ttl = c.negativeTTL(m)
	default:
		return nil
	}
	if ttl == 0 {
		return nil
	}
	m.Id = 0
	m.Response = true
	m.RecursionAvailable = true
	m.Compress = true
	m.Question[0].Name = strings.ToLower(m.Question[0].Name)
	m.Extra = withoutOPT(m.Extra)
	wire, err := m.Pack()
	if err != nil || (c.cfg.MaxAnswerBytes > 0 && len(wire) > c.cfg.MaxAnswerBytes) {
		return nil
	}
	offs, _, err := ttlOffsets(wire)
	if err != nil {
		return nil
	}
	life := int64(ttl) * int64(time.Second)
	e := &cacheEntry{wire: wire, ttlOffs: offs, stored: now, expires: now + life, ttl: ttl, cnames: cnameTargets(m)}
	e.staleEnd = e.expires
	if c.cfg.ServeStale {
		e.staleEnd += int64(c.cfg.StaleMaxAge)
	}
	return e
}

// clampRecords clamps every record's TTL to [min_ttl, max_ttl] and returns the
// smallest, which is how long the whole answer lives.
func (c *cache) clampRecords(m *dns.Msg) uint32 {
	lo, hi := uint32(c.cfg.MinTTL/time.Second), uint32(c.cfg.MaxTTL/time.Second)
	least := uint32(0)
	first := true
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			h := rr.Header()
			if h.Rrtype == dns.TypeOPT {
				continue
			}
			t := min(max(h.Ttl, lo), hi)
			h.Ttl = t
			if first || t < least {
				least, first = t, false
			}
		}
	}
	return least
}

// negativeTTL applies RFC 2308 section 5: a negative answer lives for the
// smaller of the SOA's TTL and its MINIMUM field, capped by negative_ttl; every
// record in it is given that TTL.
func (c *cache) negativeTTL(m *dns.Msg) uint32 {
	var ttl uint32
	found := false
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			ttl, found = min(soa.Hdr.Ttl, soa.Minttl), true
			break
		}
	}
	if !found {
		return 0
	}
	ttl = min(ttl, uint32(c.cfg.NegativeTTL/time.Second), uint32(c.cfg.MaxTTL/time.Second))
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			rr.Header().Ttl = min(rr.Header().Ttl, ttl)
		}
	}
	return ttl
}

func withoutOPT(rrs []dns.RR) []dns.RR {
	out := rrs[:0]
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}

// servable reports whether e may answer now without asking upstream: it is
// fresh, or it is stale and the upstreams failed for it moments ago.
func (e *cacheEntry) servable(now int64) bool {
	return now < e.expires || now < e.staleOnly.Load()
}

// wantPrefetch reports, at most once per entry, that a popular entry is close
// to expiry (within the last tenth of its life) and should be refreshed.
func (e *cacheEntry) wantPrefetch(now int64) bool {
	if e.hits.Load() < prefetchAfter || e.ttl < 10 {
		return false
	}
	if e.expires-now > int64(e.ttl)*int64(time.Second)/10 || now >= e.expires {
		return false
	}
	return e.fetching.CompareAndSwap(false, true)
}

// appendResponse writes the cached answer for r into dst. It reports false
// when the answer would not fit the client's size limit or the question case
// cannot be patched; the caller then takes the slow path.
func (e *cacheEntry) appendResponse(dst []byte, r *request, now int64) ([]byte, bool) {
	n := len(e.wire)
	if r.edns {
		n += optLen
	}
	if n > r.limit {
		return dst, false
	}
	dst = append(dst[:0], e.wire...)
	binary.BigEndian.PutUint16(dst, r.id)
	if r.rd {
		dst[2] |= 0x01
	} else {
		dst[2] &^= 0x01
	}
	if !patchQname(dst, r.name) {
		return dst, false
	}
	e.patchTTLs(dst, now, r.maxTTL)
	if r.edns {
		dst = appendOPT(dst, r.udpSize, r.do)
	}
	return dst, true
}

// patchTTLs writes into dst (a copy of e.wire) each record's TTL aged by the
// time since the answer was stored; stale answers get staleTTL.
func (e *cacheEntry) patchTTLs(dst []byte, now int64, maxTTL uint32) {
	stale := now >= e.expires
	age := uint32((now - e.stored) / int64(time.Second))
	for _, off := range e.ttlOffs {
		t := uint32(staleTTL)
		if !stale {
			t = binary.BigEndian.Uint32(e.wire[off:])
			t -= min(t, age)
		}
		binary.BigEndian.PutUint32(dst[off:], min(t, maxTTL))
	}
}

// msg unpacks the entry for the slow path, TTLs aged; ID, question case and
// OPT are left to the caller.
func (e *cacheEntry) msg(now int64, maxTTL uint32) (*dns.Msg, error) {
	buf := make([]byte, len(e.wire))
	copy(buf, e.wire)
	e.patchTTLs(buf, now, maxTTL)
	m := new(dns.Msg)
	if err := m.Unpack(buf); err != nil {
		return nil, err
	}
	return m, nil
}

// cnameTargets returns the targets of m's CNAME answers, lowercased, or nil.
func cnameTargets(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		if c, ok := rr.(*dns.CNAME); ok {
			out = append(out, strings.ToLower(c.Target))
		}
	}
	return out
}

// capTTLs lowers every TTL in m above maxTTL to it (the OPT record aside).
func capTTLs(m *dns.Msg, maxTTL uint32) {
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if h := rr.Header(); h.Rrtype != dns.TypeOPT && h.Ttl > maxTTL {
				h.Ttl = maxTTL
			}
		}
	}
}
