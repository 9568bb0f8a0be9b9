package resolver

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// The per-client rate limit: a token bucket per client address (an IPv6
// client per /64, since one device holds many addresses of its /64 and can
// make up more). Each bucket holds up to rate_limit.burst tokens and refills
// at rate_limit.qps per second; a query takes one, and a query finding the
// bucket empty is answered REFUSED (ResultLimited).
//
// REFUSED rather than silence: the reply is no larger than the query (no
// amplification for a spoofed source), a legitimate device that bursts is
// told at once instead of waiting out its resolver timeout, and the flood's
// own goroutines end at once. It is counted in hearth_dns_queries_total
// {result="limited"}.
//
// The buckets live in sharded maps keyed by a fixed-size array: looking up a
// known client takes a lock on one shard and allocates nothing (the cache-hit
// path stays at 0 allocations). A shard holds at most limitPerShard clients;
// when full, clients whose buckets have refilled (idle ones) are forgotten,
// so spoofed source addresses cannot grow the table without bound.

const (
	limitShards   = 64
	limitPerShard = 4096
)

type rateLimiter struct {
	perNano float64 // tokens added per nanosecond
	burst   float64
	full    int64 // nanoseconds an empty bucket takes to refill
	shards  [limitShards]limitShard
}

type limitShard struct {
	mu sync.Mutex
	m  map[[16]byte]bucket
	_  [40]byte // keep shards on separate cache lines
}

type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds of the last refill
}

// newRateLimiter returns nil (no limit) when cfg.QPS is 0.
func newRateLimiter(cfg RateLimitConfig) *rateLimiter {
	if cfg.QPS <= 0 {
		return nil
	}
	burst := max(cfg.Burst, 1)
	l := &rateLimiter{perNano: float64(cfg.QPS) / float64(time.Second), burst: float64(burst)}
	l.full = int64(float64(burst) / l.perNano)
	for i := range l.shards {
		l.shards[i].m = make(map[[16]byte]bucket)
	}
	return l
}

// clientKey is the bucket's key: an IPv4 address, or an IPv6 address's /64.
func clientKey(a netip.Addr) [16]byte {
	k := a.Unmap().As16()
	if !a.Unmap().Is4() {
		clear(k[8:])
	}
	return k
}

// allow takes a token from the client's bucket, reporting false when it is
// empty.
func (l *rateLimiter) allow(a netip.Addr, now int64) bool {
	k := clientKey(a)
	h := binary.LittleEndian.Uint64(k[:8]) ^ binary.LittleEndian.Uint64(k[8:])*0x9E3779B97F4A7C15
	s := &l.shards[(h^h>>29)%limitShards]
	s.mu.Lock()
	b, ok := s.m[k]
	if !ok {
		if len(s.m) >= limitPerShard {
			l.forgetIdle(s, now)
		}
		b = bucket{tokens: l.burst, last: now}
	} else if now > b.last {
		b.tokens = min(l.burst, b.tokens+float64(now-b.last)*l.perNano)
		b.last = now
	}
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	s.m[k] = b
	s.mu.Unlock()
	return allowed
}

// forgetIdle makes room in a full shard: of a few clients sampled, it drops
// those whose buckets are full again by now (they would start afresh with
// the same tokens), or the first sampled if none is idle. Bounded work, so a
// flood of spoofed addresses costs no more per query than one client.
// s.mu held.
func (l *rateLimiter) forgetIdle(s *limitShard, now int64) {
	n, dropped := 0, false
	var first [16]byte
	for k, b := range s.m {
		if n == 0 {
			first = k
		}
		if now-b.last >= l.full {
			delete(s.m, k)
			dropped = true
		}
		if n++; n >= 16 {
			break
		}
	}
	if !dropped {
		delete(s.m, first)
	}
}
