package identity

import (
	"net"
	"net/netip"
	"sync"
)

// MaxCached bounds the clients a Cache holds; past it the cache starts again
// (a busy forwarder sending client subnets could otherwise grow it without
// end).
const MaxCached = 4096

// Cache remembers who each client is, per client address or, when a trusted
// router sent one, per MAC address and client address, so that a known
// client costs a read lock and a map lookup. What it remembers (V) is the
// caller's: the policy keeps its device and the registry's record there.
//
// An entry found by address is stale once the neighbour tables have been
// read again (its generation is not the current one: the address may now
// belong to another MAC); one found by MAC is not. Safe for concurrent use;
// the zero Cache is not usable: use NewCache.
type Cache[V any] struct {
	mu    sync.RWMutex
	addrs map[netip.Addr]cached[V]
	macs  map[macKey]cached[V]
}

type cached[V any] struct {
	v   V
	gen uint64 // neighbour table generation it was made with
}

// macKey is a MAC address a router sent together with the client address:
// one MAC can stand for several clients (all those behind a second router),
// and an unconfigured MAC falls back to the address.
type macKey struct {
	mac  [20]byte
	n    uint8
	addr netip.Addr
}

func keyOf(mac net.HardwareAddr, a netip.Addr) macKey {
	k := macKey{n: uint8(len(mac)), addr: a}
	copy(k.mac[:], mac)
	return k
}

// NewCache returns an empty cache.
func NewCache[V any]() *Cache[V] {
	c := &Cache[V]{}
	c.reset()
	return c
}

func (c *Cache[V]) reset() {
	c.addrs = map[netip.Addr]cached[V]{}
	c.macs = map[macKey]cached[V]{}
}

// Get returns what is remembered for ci (already trusted or made Direct), if
// it is still good with the neighbour table generation gen. It does not
// allocate.
func (c *Cache[V]) Get(ci *ClientInfo, gen uint64) (V, bool) {
	c.mu.RLock()
	var e cached[V]
	var ok bool
	if ci.MAC != nil {
		e, ok = c.macs[keyOf(ci.MAC, ci.Addr)]
	} else {
		e, ok = c.addrs[ci.Addr]
		ok = ok && e.gen == gen
	}
	c.mu.RUnlock()
	return e.v, ok
}

// Put remembers v for ci, made with generation gen.
func (c *Cache[V]) Put(ci *ClientInfo, gen uint64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.addrs)+len(c.macs) >= MaxCached {
		c.reset()
	}
	if ci.MAC != nil {
		c.macs[keyOf(ci.MAC, ci.Addr)] = cached[V]{v, gen}
	} else {
		c.addrs[ci.Addr] = cached[V]{v, gen}
	}
}
