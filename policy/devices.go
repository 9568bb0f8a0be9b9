package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// Identification. A query is matched to a device once per client address
// (or per MAC address a trusted router sent), and the result cached until the
// configuration, the lists or the neighbour table change; the hot path reads
// no file and, for a known client, takes only a read lock.

// maxIdentCache bounds the identities cached per state; past it the cache
// starts again (a busy forwarder sending client subnets could otherwise grow
// it without end).
const maxIdentCache = 4096

type ident struct {
	dev  *device // nil: unknown, in the default group
	seen *Seen
	gen  uint64 // neighbour table generation it was made with
}

func (id *ident) group(b *bound) *group {
	if id.dev != nil {
		return id.dev.group
	}
	return b.plan.deflt
}

type identCache struct {
	mu    sync.RWMutex
	addrs map[netip.Addr]*ident
	macs  map[macKey]*ident
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

func (c *identCache) init() {
	c.addrs = map[netip.Addr]*ident{}
	c.macs = map[macKey]*ident{}
}

// identify finds the device behind a query, remembering new ones.
// identify also returns the client's address as believed: the packet's
// source, or the address a trusted router named.
func (e *Engine) identify(b *bound, client *ClientInfo, now time.Time) (*ident, netip.Addr) {
	ci := *client
	if ci.Forwarded() && !b.plan.trusted(ci.Remote) {
		ci = ci.Direct()
	}
	gen := e.neighGn.Load()
	b.ids.mu.RLock()
	var id *ident
	if ci.MAC != nil {
		id = b.ids.macs[keyOf(ci.MAC, ci.Addr)]
	} else {
		id = b.ids.addrs[ci.Addr]
	}
	b.ids.mu.RUnlock()
	if id == nil || (ci.MAC == nil && id.gen != gen) {
		id = e.identifySlow(b, ci, gen, now)
	}
	if u := now.Unix(); id.seen.last.Load() != u { // written once a second, not per query
		id.seen.last.Store(u)
	}
	return id, ci.Addr
}

func (e *Engine) identifySlow(b *bound, ci ClientInfo, gen uint64, now time.Time) *ident {
	mac := ci.MAC
	if mac == nil && e.opts.Neighbours != nil {
		mac, _ = e.opts.Neighbours.MAC(ci.Addr)
	}
	dev := b.plan.deviceFor(ci.Addr, mac)
	lease := e.leases.Load().name(mac, ci.Addr)
	id := &ident{dev: dev, gen: gen, seen: e.opts.Devices.observe(dev, mac, ci.Addr, lease, now)}
	b.ids.mu.Lock()
	if len(b.ids.addrs)+len(b.ids.macs) >= maxIdentCache {
		b.ids.init()
	}
	if ci.MAC != nil {
		b.ids.macs[keyOf(ci.MAC, ci.Addr)] = id
	} else {
		b.ids.addrs[ci.Addr] = id
	}
	b.ids.mu.Unlock()
	return id
}

// DeviceInfo says who a client is, for the explain command and the API.
type DeviceInfo struct {
	Device string // configured name; "" if unknown
	Group  string
	MAC    string
	Lease  string
}

// Identify reports which device a client is, without recording it.
func (e *Engine) Identify(ci ClientInfo) DeviceInfo {
	b := e.state.Load()
	if ci.Forwarded() && !b.plan.trusted(ci.Remote) {
		ci = ci.Direct()
	}
	mac := ci.MAC
	if mac == nil && e.opts.Neighbours != nil {
		mac, _ = e.opts.Neighbours.MAC(ci.Addr)
	}
	dev := b.plan.deviceFor(ci.Addr, mac)
	info := DeviceInfo{Group: b.plan.deflt.name, Lease: e.leases.Load().name(mac, ci.Addr)}
	if dev != nil {
		info.Device, info.Group = dev.name, dev.group.name
	}
	if mac != nil {
		info.MAC = mac.String()
	}
	return info
}

// leaseTable is the last lease file read: host names by MAC and address.
type leaseTable struct {
	byMAC  map[string]string
	byAddr map[netip.Addr]string
}

func (t *leaseTable) name(mac net.HardwareAddr, a netip.Addr) string {
	if t == nil {
		return ""
	}
	if mac != nil {
		if n, ok := t.byMAC[string(mac)]; ok {
			return n
		}
	}
	return t.byAddr[a]
}

func newLeaseTable(leases []Lease) *leaseTable {
	t := &leaseTable{byMAC: map[string]string{}, byAddr: map[netip.Addr]string{}}
	for _, l := range leases {
		if l.Name == "" {
			continue
		}
		if l.MAC != nil {
			t.byMAC[string(l.MAC)] = l.Name
		}
		t.byAddr[l.Addr] = l.Name
	}
	return t
}

// RefreshIdentity reads the neighbour tables and the lease file again (as
// identify: says), so the next query from each client is identified afresh.
// Errors are returned for logging; what was read still applies.
func (e *Engine) RefreshIdentity(ctx context.Context) error {
	cfg := e.state.Load().plan.cfg.Identify
	var errs []error
	if e.opts.Neighbours != nil && cfg.Neighbours {
		if err := e.opts.Neighbours.Refresh(ctx); err != nil {
			errs = append(errs, fmt.Errorf("neighbour tables: %w", err))
		}
	}
	if cfg.Leases != "" {
		f, err := os.Open(cfg.Leases)
		if err != nil {
			errs = append(errs, fmt.Errorf("lease file: %w", err))
		} else {
			leases, err := ParseLeases(f)
			f.Close()
			if err != nil {
				errs = append(errs, fmt.Errorf("lease file %s: %w", cfg.Leases, err))
			}
			if leases != nil {
				t := newLeaseTable(leases)
				e.leases.Store(t)
				e.opts.Devices.relabel(t)
			}
		}
	}
	e.neighGn.Add(1)
	return errors.Join(errs...)
}

// Run refreshes identification every identify.refresh, prunes expired
// overrides and saves the device registry, until ctx ends (then saves once
// more). report is told of each problem.
func (e *Engine) Run(ctx context.Context, report func(error)) {
	for {
		if err := e.RefreshIdentity(ctx); err != nil {
			report(err)
		}
		if err := e.opts.Overrides.Prune(e.opts.Clock.Now()); err != nil {
			report(fmt.Errorf("overrides: %w", err))
		}
		if err := e.opts.Devices.Save(); err != nil {
			report(fmt.Errorf("device registry: %w", err))
		}
		t := time.NewTimer(e.state.Load().plan.cfg.Identify.Refresh)
		select {
		case <-ctx.Done():
			t.Stop()
			if err := e.opts.Devices.Flush(); err != nil {
				report(fmt.Errorf("device registry: %w", err))
			}
			return
		case <-t.C:
		}
	}
}

// Seen is one device Hearth has seen, known or not.
type Seen struct {
	key   string
	first time.Time
	last  atomic.Int64 // Unix seconds
	// Guarded by the registry's lock:
	device, mac, addr, lease string
}

// SeenDevice is a Seen as the registry reports and stores it.
type SeenDevice struct {
	Key       string    `json:"key"`              // "mac:3c:22:fb:12:34:56" or "ip:192.168.1.7"
	Device    string    `json:"device,omitempty"` // the configured name, if known
	MAC       string    `json:"mac,omitempty"`
	Addr      string    `json:"addr,omitempty"` // the last address it used
	Lease     string    `json:"lease,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// maxSeen bounds the registry; the device seen least recently goes first.
const maxSeen = 1024

// Registry remembers every device seen (first and last seen, address, MAC,
// lease name), so a parent can name the unknown ones later. It is kept in a
// JSON file, saved periodically and on shutdown.
type Registry struct {
	path  string
	mu    sync.Mutex
	m     map[string]*Seen
	dirty bool      // a device or a detail other than last-seen changed since the last save
	saved time.Time // when last written
}

// lastSeenSaveEvery is how often a registry whose only change is last-seen
// times is written: an SD card need not be written every refresh.
const lastSeenSaveEvery = 10 * time.Minute

// NewRegistry returns an empty registry saved to path ("" keeps it in memory).
func NewRegistry(path string) *Registry { return &Registry{path: path, m: map[string]*Seen{}} }

// OpenRegistry loads the registry at path. A missing file is an empty
// registry; a damaged one is renamed aside and reported, and an empty
// registry returned with the error.
func OpenRegistry(path string) (*Registry, error) {
	r := NewRegistry(path)
	var file struct {
		Devices []SeenDevice `json:"devices"`
	}
	if fatal, err := loadState(path, &file, "starting a new registry"); fatal {
		return nil, err
	} else if err != nil {
		return r, err
	}
	for _, d := range file.Devices {
		s := &Seen{key: d.Key, first: d.FirstSeen, device: d.Device, mac: d.MAC, addr: d.Addr, lease: d.Lease}
		s.last.Store(d.LastSeen.Unix())
		r.m[d.Key] = s
	}
	return r, nil
}

func seenKey(mac net.HardwareAddr, a netip.Addr) string {
	if mac != nil {
		return "mac:" + mac.String()
	}
	return "ip:" + a.String()
}

func (r *Registry) observe(dev *device, mac net.HardwareAddr, a netip.Addr, lease string, now time.Time) *Seen {
	key := seenKey(mac, a)
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[key]
	if !ok {
		if len(r.m) >= maxSeen {
			r.evictOldest()
		}
		s = &Seen{key: key, first: now}
		r.m[key] = s
	}
	before := [4]string{s.addr, s.mac, s.lease, s.device}
	s.addr = a.String()
	if mac != nil {
		s.mac = mac.String()
	}
	if lease != "" {
		s.lease = lease
	}
	s.device = ""
	if dev != nil {
		s.device = dev.name
	}
	if [4]string{s.addr, s.mac, s.lease, s.device} != before {
		r.dirty = true
	}
	s.last.Store(now.Unix())
	return s
}

func (r *Registry) evictOldest() {
	var oldest *Seen
	for _, s := range r.m {
		if oldest == nil || s.last.Load() < oldest.last.Load() {
			oldest = s
		}
	}
	delete(r.m, oldest.key)
}

func (r *Registry) relabel(t *leaseTable) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.m {
		var mac net.HardwareAddr
		if s.mac != "" {
			mac, _ = net.ParseMAC(s.mac)
		}
		a, _ := netip.ParseAddr(s.addr)
		if n := t.name(mac, a); n != "" && n != s.lease {
			s.lease, r.dirty = n, true
		}
	}
}

// List returns the devices seen, most recently seen first.
func (r *Registry) List() []SeenDevice {
	r.mu.Lock()
	out := make([]SeenDevice, 0, len(r.m))
	for _, s := range r.m {
		out = append(out, SeenDevice{Key: s.key, Device: s.device, MAC: s.mac, Addr: s.addr, Lease: s.lease,
			FirstSeen: s.first, LastSeen: time.Unix(s.last.Load(), 0).UTC()})
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b SeenDevice) int {
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.Key), []byte(b.Key))
	})
	return out
}

// Save writes the registry to its file atomically (nothing for an in-memory
// registry) when a device or its details changed, or, if only last-seen times
// did, every lastSeenSaveEvery.
func (r *Registry) Save() error {
	r.mu.Lock()
	due := r.dirty || time.Since(r.saved) >= lastSeenSaveEvery
	r.mu.Unlock()
	if r.path == "" || !due {
		return nil
	}
	return r.write()
}

// Flush writes the registry now (at shutdown).
func (r *Registry) Flush() error {
	if r.path == "" {
		return nil
	}
	return r.write()
}

func (r *Registry) write() error {
	r.mu.Lock()
	r.dirty, r.saved = false, time.Now()
	r.mu.Unlock()
	data, err := json.MarshalIndent(struct {
		Version int          `json:"version"`
		Devices []SeenDevice `json:"devices"`
	}{1, r.List()}, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(r.path, append(data, '\n'), 0o600); err != nil {
		r.mu.Lock()
		r.dirty = true // try again next time
		r.mu.Unlock()
		return err
	}
	return nil
}
