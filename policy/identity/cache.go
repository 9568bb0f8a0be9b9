package identity

import (
	"maps"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// MaxCached bounds the clients a Cache holds; past it the cache starts again
// (a busy forwarder sending client subnets could otherwise grow it without
// end).
const MaxCached = 4096

// Cache remembers who each client is, per client address or, when a trusted
// router sent one, per MAC address and client address, so that a known
// client costs a map lookup. What it remembers (V) is the caller's: the
// policy keeps its device and the registry's record there.
//
// Every query reads it, on every core, so reading takes no lock and writes
// nothing shared: Get reads a published set of entries that is never
// changed (a read lock's counter, written by every reader, moved between
// the cores' caches on every query and cost 57% of the lock time of a
// cache hit on two cores: BenchmarkUDPWorkerParallel). Put adds to a
// locked set of new entries, which Get consults when the published set
// has nothing good; once Get has been there as many times as there are
// entries, the two are merged and published together (as sync.Map does,
// typed, so a lookup does not allocate).
//
// An entry found by address is stale once the neighbour tables have been
// read again (its generation is not the current one: the address may now
// belong to another MAC); one found by MAC is not. Safe for concurrent use;
// the zero Cache is not usable: use NewCache.
type Cache[V any] struct {
	read   atomic.Pointer[entries[V]] // published: never written again
	mu     sync.Mutex
	dirty  entries[V] // added since read was published (under mu)
	misses int        // Gets that found nothing good in read since then (under mu)
}

// entries is one set of cached clients.
type entries[V any] struct {
	addrs map[netip.Addr]cached[V]
	macs  map[macKey]cached[V]
}

func newEntries[V any]() entries[V] {
	return entries[V]{addrs: map[netip.Addr]cached[V]{}, macs: map[macKey]cached[V]{}}
}

func (e *entries[V]) len() int { return len(e.addrs) + len(e.macs) }

// find is Get's lookup in one set.
func (e *entries[V]) find(ci *ClientInfo, gen uint64) (V, bool) {
	var c cached[V]
	var ok bool
	if ci.MAC != nil {
		c, ok = e.macs[keyOf(ci.MAC, ci.Addr)]
	} else {
		c, ok = e.addrs[ci.Addr]
		ok = ok && c.gen == gen
	}
	return c.v, ok
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

// reset forgets every client. Under mu (or before c is shared).
func (c *Cache[V]) reset() {
	e := newEntries[V]()
	c.read.Store(&e)
	c.dirty, c.misses = newEntries[V](), 0
}

// Get returns what is remembered for ci (already trusted or made Direct), if
// it is still good with the neighbour table generation gen. It does not
// allocate, and takes no lock for a client remembered before the last
// publication.
func (c *Cache[V]) Get(ci *ClientInfo, gen uint64) (V, bool) {
	if v, ok := c.read.Load().find(ci, gen); ok {
		return v, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	read := c.read.Load()
	if v, ok := read.find(ci, gen); ok { // published since the look above
		return v, true
	}
	v, ok := c.dirty.find(ci, gen)
	if n := c.dirty.len(); n > 0 {
		if c.misses++; c.misses >= read.len()+n {
			c.publish(read)
		}
	}
	return v, ok
}

// publish makes read and dirty together the published set. Under mu.
func (c *Cache[V]) publish(read *entries[V]) {
	e := entries[V]{addrs: maps.Clone(read.addrs), macs: maps.Clone(read.macs)}
	maps.Copy(e.addrs, c.dirty.addrs)
	maps.Copy(e.macs, c.dirty.macs)
	c.read.Store(&e)
	c.dirty, c.misses = newEntries[V](), 0
}

// Put remembers v for ci, made with generation gen.
func (c *Cache[V]) Put(ci *ClientInfo, gen uint64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.read.Load().len()+c.dirty.len() >= MaxCached {
		c.reset()
	}
	if ci.MAC != nil {
		c.dirty.macs[keyOf(ci.MAC, ci.Addr)] = cached[V]{v, gen}
	} else {
		c.dirty.addrs[ci.Addr] = cached[V]{v, gen}
	}
}
