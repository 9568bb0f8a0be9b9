package verdict

import (
	"math"
	"time"
)

// TTLUntil is the largest TTL, in seconds, that does not outlive t: the
// seconds until t rounded up, at least 1; no limit (math.MaxUint32) if t is
// zero. Blocked answers, allowed answers and safe-search rewrites are all
// capped with it, so no answer is cached past the decision's next change.
func TTLUntil(now, t time.Time) uint32 {
	if t.IsZero() {
		return math.MaxUint32
	}
	secs := (t.Sub(now) + time.Second - 1) / time.Second
	return uint32(max(1, min(secs, math.MaxUint32)))
}

// CapTTL limits ttl to TTLUntil(now, t). A ttl of 0 stays 0.
func CapTTL(ttl uint32, now, t time.Time) uint32 {
	return min(ttl, TTLUntil(now, t))
}
