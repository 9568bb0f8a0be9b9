package identity

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// ErrNoRouter is what a lookup returns when there is no router to ask
// (local.router is not set): Refresh records nothing and reports nothing.
var ErrNoRouter = errors.New("local.router is not set")

// RouterNames remembers what the home router calls each address (a PTR
// lookup through it: dnsmasq and most home routers answer with the name
// the device gave in DHCP, or the one set on the router). Lookups are made
// by Refresh, in the background, a few at a time; Name only reads what
// was found. Safe for concurrent use; the zero RouterNames is usable.
type RouterNames struct {
	mu sync.Mutex
	m  map[netip.Addr]routerName
}

type routerName struct {
	name string
	at   time.Time
	err  bool
}

const (
	// RouterNameTTL is how long a name (or the router's "no name") is
	// believed before it is asked again; a failed lookup is tried again
	// after RouterNameRetry.
	RouterNameTTL   = time.Hour
	RouterNameRetry = 10 * time.Minute
	// MaxRouterLookups bounds the lookups of one Refresh: the rest wait for
	// the next.
	MaxRouterLookups = 32
)

// Refresh asks lookup for the name of each of addrs not asked recently,
// at most MaxRouterLookups of them, and forgets addresses not in addrs. It
// returns the first failure, for logging (at most one per refresh).
func (r *RouterNames) Refresh(ctx context.Context, addrs []netip.Addr, now time.Time, lookup func(context.Context, netip.Addr) (string, error)) error {
	want := map[netip.Addr]bool{}
	var due []netip.Addr
	r.mu.Lock()
	for _, a := range addrs {
		want[a] = true
		e, ok := r.m[a]
		ttl := RouterNameTTL
		if e.err {
			ttl = RouterNameRetry
		}
		if (!ok || now.Sub(e.at) >= ttl) && len(due) < MaxRouterLookups {
			due = append(due, a)
		}
	}
	for a := range r.m {
		if !want[a] {
			delete(r.m, a)
		}
	}
	r.mu.Unlock()
	var first error
	for _, a := range due {
		if ctx.Err() != nil {
			break
		}
		name, err := lookup(ctx, a)
		if errors.Is(err, ErrNoRouter) {
			return nil // nothing to ask: not a problem
		}
		r.mu.Lock()
		if r.m == nil {
			r.m = map[netip.Addr]routerName{}
		}
		old := r.m[a]
		if err != nil {
			name = old.name // keep what the router said before
			if first == nil {
				first = err
			}
		}
		r.m[a] = routerName{name: name, at: now, err: err != nil}
		r.mu.Unlock()
		if err != nil && errors.Is(err, context.Canceled) {
			break
		}
	}
	return first
}

// Name is what the router was last found to call a, or "".
func (r *RouterNames) Name(a netip.Addr) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[a].name
}
