package web

import (
	"net/netip"
	"time"
)

// Login lockouts shared with other Hearths (state.redis, internal/cluster):
// a client locked out on one node is locked out on the others until the
// same time. Only lockouts travel, never passwords, failures in progress or
// trusted addresses, so the rules that keep the parent from being locked
// out (loginlimit.go) hold on each node: an address that logged in on this
// node lately is still let in here. Wrong first-start setup codes count as
// wrong passwords (setupcode.go), so their lockouts travel too.

// OnLockout registers fn, told of each client (an IPv4 address or an IPv6
// /64, as text) this node locks out, with the lockout's end. fn runs with
// the login lock held: it must be quick and must not call Auth.
func (a *Auth) OnLockout(fn func(client string, until time.Time)) {
	a.mu.Lock()
	a.lockout = append(a.lockout, fn)
	a.mu.Unlock()
}

// lockedOut tells the OnLockout functions; a.mu is held.
func (a *Auth) lockedOut(client netip.Addr, until time.Time) {
	for _, fn := range a.lockout {
		fn(client.String(), until)
	}
}

// ApplyLockouts locks out each client (as OnLockout names them) until its
// time, unless already locked out longer; a lockout never ends earlier
// because of this, and nothing is told to OnLockout. Clients that are not
// addresses, and ended lockouts, are skipped.
func (a *Auth) ApplyLockouts(list map[string]time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clk.Now()
	l := &a.limits
	for text, until := range list {
		ip, err := netip.ParseAddr(text)
		if err != nil || !now.Before(until) || limitKey(ip) != ip {
			continue
		}
		if l.clients == nil {
			l.clients = map[netip.Addr]*client{}
		}
		c := l.clients[ip]
		if c == nil {
			l.makeRoom(now)
			c = &client{last: now}
			l.clients[ip] = c
		}
		if until.After(c.locked) {
			c.locked = until
		}
	}
}

// Lockouts returns the clients locked out now, with their ends.
func (a *Auth) Lockouts() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clk.Now()
	out := map[string]time.Time{}
	for ip, c := range a.limits.clients {
		if now.Before(c.locked) {
			out[ip.String()] = c.locked
		}
	}
	return out
}

// Auth returns the dashboard's logins (for sharing their lockouts).
func (s *Server) Auth() *Auth { return s.auth }
