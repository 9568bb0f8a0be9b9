package identity

import (
	"net"
	"net/netip"
	"sync"
	"testing"
)

// TestCacheGetPut: what is Put is found at once (before and after it is
// published), an address entry only with its generation, a MAC entry with
// any; a changed value replaces the old one.
func TestCacheGetPut(t *testing.T) {
	c := NewCache[string]()
	tablet := ClientInfo{Addr: netip.MustParseAddr("192.168.1.20")}
	mac, _ := net.ParseMAC("02:00:00:00:00:01")
	behind := ClientInfo{Addr: netip.MustParseAddr("10.0.0.5"), MAC: mac}
	if _, ok := c.Get(&tablet, 1); ok {
		t.Fatal("an empty cache found the tablet")
	}
	c.Put(&tablet, 1, "tablet")
	c.Put(&behind, 1, "laptop")
	check := func(when string) {
		t.Helper()
		if v, ok := c.Get(&tablet, 1); !ok || v != "tablet" {
			t.Errorf("%s: tablet = %q, %v", when, v, ok)
		}
		if _, ok := c.Get(&tablet, 2); ok {
			t.Errorf("%s: the tablet's address entry found with a newer neighbour table", when)
		}
		if v, ok := c.Get(&behind, 2); !ok || v != "laptop" {
			t.Errorf("%s: the MAC entry = %q, %v with a newer neighbour table", when, v, ok)
		}
	}
	check("new")
	for range 10 { // enough lookups to publish
		c.Get(&tablet, 1)
	}
	if c.dirty.len() != 0 || c.read.Load().len() != 2 {
		t.Fatalf("after 10 lookups: %d published, %d new; want 2 and 0", c.read.Load().len(), c.dirty.len())
	}
	check("published")
	c.Put(&tablet, 2, "tablet again")
	if v, ok := c.Get(&tablet, 2); !ok || v != "tablet again" {
		t.Errorf("after a Put with generation 2: %q, %v", v, ok)
	}
}

// TestCacheBounded: past MaxCached clients the cache starts again.
func TestCacheBounded(t *testing.T) {
	c := NewCache[int]()
	first := ClientInfo{Addr: netip.AddrFrom4([4]byte{10, 0, 0, 0})}
	for i := range MaxCached + 1 {
		ci := ClientInfo{Addr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		c.Put(&ci, 1, i)
		if i%100 == 0 {
			for range 200 {
				c.Get(&ci, 1) // publish now and then
			}
		}
	}
	if n := c.read.Load().len() + c.dirty.len(); n > MaxCached {
		t.Errorf("%d clients held, at most %d", n, MaxCached)
	}
	if _, ok := c.Get(&first, 1); ok {
		t.Error("the first client still held after the cache started again")
	}
}

// TestCacheConcurrent: lookups on several goroutines while others add and
// the entries are published (run with -race).
func TestCacheConcurrent(t *testing.T) {
	c := NewCache[int]()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 { // 4,000 clients in all: under MaxCached
				ci := ClientInfo{Addr: netip.AddrFrom4([4]byte{10, byte(g), byte(i >> 8), byte(i)})}
				if v, ok := c.Get(&ci, 1); ok && v != i {
					t.Errorf("client %v: %d", ci.Addr, v)
					return
				}
				c.Put(&ci, 1, i)
				if v, ok := c.Get(&ci, 1); !ok || v != i {
					t.Errorf("client %v just put: %d, %v", ci.Addr, v, ok)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCacheGetDoesNotAllocate: a lookup of a published client allocates
// nothing (publishing does, once per publication).
func TestCacheGetDoesNotAllocate(t *testing.T) {
	c := NewCache[*int]()
	mac, _ := net.ParseMAC("02:00:00:00:00:01")
	old := ClientInfo{Addr: netip.MustParseAddr("192.168.1.20"), MAC: mac}
	c.Put(&old, 1, new(int))
	for range 10 {
		c.Get(&old, 1)
	}
	fresh := ClientInfo{Addr: netip.MustParseAddr("192.168.1.21")}
	c.Put(&fresh, 1, new(int)) // a new one waiting to be published
	if n := testing.AllocsPerRun(100, func() { c.Get(&old, 1) }); n != 0 {
		t.Errorf("Get of a published client: %v allocations", n)
	}
}
