package web

// The login limits, built so that nobody on the network can lock the parent
// out:
//
//   - Per client, failures lock out: clientFailures wrong passwords within
//     clientWindow lock that client out for clientWindow, twice as long at
//     each lockout in a row, up to maxLockout. A client is an IPv4 address,
//     or an IPv6 /64 (a device picks any address in its /64 at will). Only a
//     client that has failed is ever refused.
//   - Across all clients, failures slow down instead of refusing: every
//     failure beyond freeFailures in the last globalWindow adds slowStep to
//     every login's answer, up to maxSlow. Many addresses guessing at once
//     get fewer guesses a second; the right password from an address that
//     has not failed still gets in, a few seconds later at worst.
//   - An address that logged in lately (trusted; IPv6 addresses one by one,
//     not their /64) is not refused for its /64's failures until it has
//     itself failed clientFailures times in a row.

import (
	"fmt"
	"net/netip"
	"time"
)

const (
	clientFailures = 5
	clientWindow   = 15 * time.Minute
	maxLockout     = 2 * time.Hour
	forgetAfter    = 24 * time.Hour // a client quiet this long starts afresh
	maxClients     = 1024

	globalWindow = time.Minute
	freeFailures = 10                     // failures a minute, across all clients, before logins slow down
	slowStep     = 100 * time.Millisecond // added for each failure beyond freeFailures
	maxSlow      = 3 * time.Second        // the slowest a login gets
	maxGlobal    = freeFailures + int(maxSlow/slowStep)

	trustFor   = 30 * 24 * time.Hour // how long a login makes its address trusted
	maxTrusted = 64
)

// RateLimitedError refuses a login because of too many failures, or (Busy)
// because too many logins are being checked at once (loginslots.go).
type RateLimitedError struct {
	RetryAfter time.Duration
	Busy       bool
}

func (e RateLimitedError) Error() string {
	d := e.RetryAfter
	if e.Busy {
		return "too many logins at once: try again in a second"
	}
	if d > time.Minute {
		return fmt.Sprintf("too many failed logins: try again in %d minutes", int((d+time.Minute-1)/time.Minute))
	}
	if n := int((d + time.Second - 1) / time.Second); n > 1 {
		return fmt.Sprintf("too many failed logins: try again in %d seconds", n)
	}
	return "too many failed logins: try again in a second"
}

// As lets errors.As find a RateLimitedError with a target of either
// *RateLimitedError or **RateLimitedError.
func (e RateLimitedError) As(target any) bool {
	if p, ok := target.(**RateLimitedError); ok {
		*p = &e
		return true
	}
	return false
}

// limiter counts failed logins. Attempts in flight (between begin and
// fail/succeed/abandon) count as failures, so parallel guesses gain nothing.
// Used with Auth.mu held.
type limiter struct {
	clients       map[netip.Addr]*client // by limitKey
	global        []time.Time            // the latest failures, oldest first, at most maxGlobal
	globalPending int
	trusted       map[netip.Addr]*trust // exact addresses
}

type client struct {
	failures []time.Time // within clientWindow, oldest first
	pending  int
	locked   time.Time // refused until then
	lockouts int       // lockouts in a row, for the next one's length
	last     time.Time // the last failure
}

type trust struct {
	until    time.Time
	failures int // in a row since the login
}

// limitKey is the client an address belongs to: the address itself (IPv4),
// or its /64 (IPv6).
func limitKey(ip netip.Addr) netip.Addr {
	if ip.Is6() && !ip.Is4In6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.Addr()
	}
	return ip
}

// begin refuses an attempt from a locked-out client, or counts one in
// flight and returns how long to wait before answering it.
func (l *limiter) begin(ip netip.Addr, now time.Time) (time.Duration, error) {
	if l.clients == nil {
		l.clients = map[netip.Addr]*client{}
	}
	key := limitKey(ip)
	trusted := l.isTrusted(ip, now)
	c := l.clients[key]
	if c != nil {
		c.failures = dropBefore(c.failures, now.Add(-clientWindow))
		switch {
		case trusted:
		case now.Before(c.locked):
			return 0, RateLimitedError{RetryAfter: c.locked.Sub(now)}
		case len(c.failures)+c.pending >= clientFailures:
			return 0, RateLimitedError{RetryAfter: time.Second} // the rest are in flight
		}
	} else {
		l.makeRoom(now)
		c = &client{}
		l.clients[key] = c
	}
	c.pending++
	wait := l.slowdown(now)
	l.globalPending++
	return wait, nil
}

// slowdown is how long every login waits now: slowStep for each failure
// (attempts in flight included) beyond freeFailures in the last
// globalWindow, up to maxSlow.
func (l *limiter) slowdown(now time.Time) time.Duration {
	l.global = dropBefore(l.global, now.Add(-globalWindow))
	n := len(l.global) + l.globalPending - freeFailures
	if n <= 0 {
		return 0
	}
	return min(time.Duration(n)*slowStep, maxSlow)
}

// fail records a failed attempt begun with begin; locked reports that it
// locked the client out, until then.
func (l *limiter) fail(ip netip.Addr, now time.Time) (until time.Time, locked bool) {
	l.globalPending--
	l.global = append(l.global, now)
	if len(l.global) > maxGlobal {
		l.global = l.global[len(l.global)-maxGlobal:]
	}
	if t := l.trusted[ip]; t != nil {
		if t.failures++; t.failures >= clientFailures {
			delete(l.trusted, ip)
		}
	}
	c := l.clients[limitKey(ip)]
	if c == nil { // evicted meanwhile
		return time.Time{}, false
	}
	c.pending--
	if !c.last.IsZero() && now.Sub(c.last) > forgetAfter {
		c.lockouts = 0
	}
	c.last = now
	c.failures = append(dropBefore(c.failures, now.Add(-clientWindow)), now)
	if len(c.failures) >= clientFailures {
		c.locked = now.Add(min(clientWindow<<min(c.lockouts, 10), maxLockout))
		c.lockouts++
		c.failures = nil
		return c.locked, true
	}
	return time.Time{}, false
}

// abandon forgets an attempt begun with begin whose password was never
// checked (the client went away while it waited).
func (l *limiter) abandon(ip netip.Addr) {
	l.globalPending--
	if c := l.clients[limitKey(ip)]; c != nil {
		c.pending--
	}
}

// succeed records a right password: the client starts afresh, and the
// address is trusted.
func (l *limiter) succeed(ip netip.Addr, now time.Time) {
	l.globalPending--
	l.trust(ip, now)
	key := limitKey(ip)
	c := l.clients[key]
	if c == nil {
		return
	}
	c.pending--
	c.failures, c.lockouts, c.locked = nil, 0, time.Time{}
	if c.pending == 0 {
		delete(l.clients, key)
	}
}

func (l *limiter) isTrusted(ip netip.Addr, now time.Time) bool {
	t := l.trusted[ip]
	return t != nil && now.Before(t.until)
}

// trust remembers ip as logged in, forgetting the oldest beyond maxTrusted.
func (l *limiter) trust(ip netip.Addr, now time.Time) {
	if !ip.IsValid() {
		return
	}
	if l.trusted == nil {
		l.trusted = map[netip.Addr]*trust{}
	}
	l.trusted[ip] = &trust{until: now.Add(trustFor)}
	for len(l.trusted) > maxTrusted {
		var oldest netip.Addr
		var at time.Time
		for a, t := range l.trusted {
			if at.IsZero() || t.until.Before(at) {
				oldest, at = a, t.until
			}
		}
		delete(l.trusted, oldest)
	}
}

// makeRoom keeps the clients map under maxClients: first forgetting clients
// neither locked, nor in flight, nor failing lately; then the one that
// failed longest ago.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.clients) < maxClients {
		return
	}
	for ip, c := range l.clients {
		if c.pending == 0 && !now.Before(c.locked) && now.Sub(c.last) > forgetAfter {
			delete(l.clients, ip)
		}
	}
	for len(l.clients) >= maxClients {
		var oldest netip.Addr
		var at time.Time
		found := false
		for ip, c := range l.clients {
			if c.pending == 0 && (!found || c.last.Before(at)) {
				oldest, at, found = ip, c.last, true
			}
		}
		if !found {
			return // all in flight: at most clientFailures each
		}
		delete(l.clients, oldest)
	}
}

// dropBefore removes the times up to t from the front of ts.
func dropBefore(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(t) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}
