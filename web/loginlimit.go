package web

// The login rate limit: failures counted per client address and across all
// clients, with lockouts that grow.

import (
	"fmt"
	"net/netip"
	"time"
)

// The login limits. A client address gets clientFailures tries within
// clientWindow; then it is locked out for clientWindow, twice as long at each
// lockout in a row, up to maxLockout. Across all clients at most
// globalFailures fail per globalWindow, so many addresses on the LAN do not
// multiply the guesses. At most maxClients addresses are remembered.
const (
	clientFailures = 5
	clientWindow   = 15 * time.Minute
	maxLockout     = 2 * time.Hour
	forgetAfter    = 24 * time.Hour // a client quiet this long starts afresh
	globalFailures = 30
	globalWindow   = time.Minute
	maxClients     = 1024
)

// RateLimitedError refuses a login because of too many failures.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e RateLimitedError) Error() string {
	d := e.RetryAfter
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
		*p = &RateLimitedError{RetryAfter: e.RetryAfter}
		return true
	}
	return false
}

// limiter counts failed logins. Attempts in flight (between begin and
// fail/succeed) count as failures, so parallel guesses gain nothing. Used
// with Auth.mu held.
type limiter struct {
	clients       map[netip.Addr]*client
	global        []time.Time // the latest failures, oldest first, at most globalFailures
	globalPending int
}

type client struct {
	failures []time.Time // within clientWindow, oldest first
	pending  int
	locked   time.Time // refused until then
	lockouts int       // lockouts in a row, for the next one's length
	last     time.Time // the last failure
}

// begin refuses an attempt over a limit, or counts one in flight.
func (l *limiter) begin(ip netip.Addr, now time.Time) error {
	l.global = dropBefore(l.global, now.Add(-globalWindow))
	if len(l.global)+l.globalPending >= globalFailures {
		wait := time.Second // for an attempt in flight to end
		if l.globalPending == 0 {
			wait = max(wait, l.global[0].Add(globalWindow).Sub(now))
		}
		return RateLimitedError{RetryAfter: wait}
	}
	c := l.clients[ip]
	if c != nil {
		if now.Before(c.locked) {
			return RateLimitedError{RetryAfter: c.locked.Sub(now)}
		}
		c.failures = dropBefore(c.failures, now.Add(-clientWindow))
		if len(c.failures)+c.pending >= clientFailures {
			return RateLimitedError{RetryAfter: time.Second} // the rest are in flight
		}
	} else {
		l.makeRoom(now)
		c = &client{}
		l.clients[ip] = c
	}
	c.pending++
	l.globalPending++
	return nil
}

// fail records a failed attempt begun with begin.
func (l *limiter) fail(ip netip.Addr, now time.Time) {
	l.globalPending--
	l.global = append(l.global, now)
	if len(l.global) > globalFailures {
		l.global = l.global[len(l.global)-globalFailures:]
	}
	c := l.clients[ip]
	if c == nil { // evicted meanwhile
		return
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
	}
}

// succeed records a right password: the client starts afresh.
func (l *limiter) succeed(ip netip.Addr) {
	l.globalPending--
	c := l.clients[ip]
	if c == nil {
		return
	}
	c.pending--
	c.failures, c.lockouts, c.locked = nil, 0, time.Time{}
	if c.pending == 0 {
		delete(l.clients, ip)
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
			return // all in flight: no more than globalFailures of them
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
