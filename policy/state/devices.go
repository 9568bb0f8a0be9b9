package state

import (
	"bytes"
	"encoding/json"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
)

// Seen is one device Hearth has seen, known or not.
type Seen struct {
	key   string
	first time.Time
	last  atomic.Int64 // Unix seconds
	// Guarded by the registry's lock:
	device, mac, addr, lease, router string
	// Not guarded by it, and in memory only (never saved):
	today servicesToday
}

// Touch records that the device was seen at now (Unix seconds); it writes
// only when the second changed, so the hot path stays read-mostly.
func (s *Seen) Touch(now int64) {
	if s.last.Load() != now {
		s.last.Store(now)
	}
}

// SeenDevice is a Seen as the registry reports and stores it.
type SeenDevice struct {
	Key       string    `json:"key"`              // "mac:3c:22:fb:12:34:56" or "ip:192.168.1.7"
	Device    string    `json:"device,omitempty"` // the configured name, if known
	MAC       string    `json:"mac,omitempty"`
	Addr      string    `json:"addr,omitempty"` // the last address it used
	Lease     string    `json:"lease,omitempty"`
	Router    string    `json:"router_name,omitempty"` // the name local.router gives Addr (PTR)
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
	// firstSight, when set, is told of each device seen for the first time
	// that is not a configured one (for the alerts).
	firstSight atomic.Pointer[func(SeenDevice)]
}

// OnFirstSight sets f to be told, outside the registry's lock, of each
// device seen for the first time that is not a configured device. f runs on
// the query path: it must not block (hand the value on and return).
func (r *Registry) OnFirstSight(f func(SeenDevice)) { r.firstSight.Store(&f) }

// lastSeenSaveEvery is how often a registry whose only change is last-seen
// times is written: an SD card need not be written every refresh.
const lastSeenSaveEvery = 10 * time.Minute

// NewRegistry returns an empty registry saved to path ("" keeps it in memory).
func NewRegistry(path string) *Registry { return &Registry{path: path, m: map[string]*Seen{}} }

// OpenRegistry loads the registry at path. A missing file is an empty
// registry; a damaged one is renamed aside and reported, and an empty
// registry returned with the error.
func OpenRegistry(path string) (*Registry, error) {
	return openRegistry(path, "")
}

// OpenRegistryReadOnly loads the registry at path for a program that must
// not write (hearth doctor): a damaged file is left where it is and
// reported, with an empty registry; the registry returned is kept in memory
// (Save and Flush write nothing). A file that cannot be read returns a nil
// registry.
func OpenRegistryReadOnly(path string) (*Registry, error) {
	r, err := openRegistry(path, "devices seen")
	if r != nil {
		r.path = ""
	}
	return r, err
}

func openRegistry(path, readOnly string) (*Registry, error) {
	r := NewRegistry(path)
	var file struct {
		Devices []SeenDevice `json:"devices"`
	}
	if fatal, err := loadState(path, &file, "starting a new registry", readOnly); fatal {
		return nil, err
	} else if err != nil {
		return r, err
	}
	for _, d := range file.Devices {
		s := &Seen{key: d.Key, first: d.FirstSeen, device: d.Device, mac: d.MAC, addr: d.Addr, lease: d.Lease, router: d.Router}
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

// Observe records a sighting at now of the client at address a with mac
// (nil if unknown), lease name and configured device name ("" if unknown),
// and returns its record (for Touch).
func (r *Registry) Observe(device string, mac net.HardwareAddr, a netip.Addr, lease string, now time.Time) *Seen {
	s, fresh := r.observe(device, mac, a, lease, now)
	if fresh && device == "" {
		r.tellFirstSight(s, now)
	}
	return s
}

// tellFirstSight hands s, just seen for the first time and not a configured
// device, to the first-sight hook (if set). r.mu is not held.
func (r *Registry) tellFirstSight(s *Seen, now time.Time) {
	if f := r.firstSight.Load(); f != nil {
		r.mu.Lock()
		sd := SeenDevice{Key: s.key, MAC: s.mac, Addr: s.addr, Lease: s.lease, FirstSeen: s.first, LastSeen: now.UTC()}
		r.mu.Unlock()
		(*f)(sd)
	}
}

// getOrAdd returns key's record, made at now if new (the least recently
// seen goes when the registry is full); ok reports whether it was there.
// r.mu is held.
func (r *Registry) getOrAdd(key string, now time.Time) (s *Seen, ok bool) {
	if s, ok = r.m[key]; !ok {
		if len(r.m) >= maxSeen {
			r.evictOldest()
		}
		s = &Seen{key: key, first: now}
		r.m[key] = s
	}
	return s, ok
}

func (r *Registry) observe(device string, mac net.HardwareAddr, a netip.Addr, lease string, now time.Time) (*Seen, bool) {
	key := seenKey(mac, a)
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.getOrAdd(key, now)
	before := [4]string{s.addr, s.mac, s.lease, s.device}
	s.addr = a.String()
	if mac != nil {
		s.mac = mac.String()
	}
	if lease != "" {
		s.lease = lease
	}
	s.device = device
	if [4]string{s.addr, s.mac, s.lease, s.device} != before {
		r.dirty = true
	}
	s.last.Store(now.Unix())
	return s, !ok
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

// Relabel gives each device seen the host name leaseName finds for it now,
// if any (after the lease file was read again).
func (r *Registry) Relabel(leaseName func(net.HardwareAddr, netip.Addr) string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.m {
		var mac net.HardwareAddr
		if s.mac != "" {
			mac, _ = net.ParseMAC(s.mac)
		}
		a, _ := netip.ParseAddr(s.addr)
		if n := leaseName(mac, a); n != "" && n != s.lease {
			s.lease, r.dirty = n, true
		}
	}
}

// Addrs returns the last address of every device seen.
func (r *Registry) Addrs() []netip.Addr {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]netip.Addr, 0, len(r.m))
	for _, s := range r.m {
		if a, err := netip.ParseAddr(s.addr); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// RelabelRouter gives each device seen the name routerName finds for its
// last address now ("" keeps the one it had).
func (r *Registry) RelabelRouter(routerName func(netip.Addr) string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.m {
		a, err := netip.ParseAddr(s.addr)
		if err != nil {
			continue
		}
		if n := routerName(a); n != "" && n != s.router {
			s.router, r.dirty = n, true
		}
	}
}

// List returns the devices seen, most recently seen first.
func (r *Registry) List() []SeenDevice {
	r.mu.Lock()
	out := make([]SeenDevice, 0, len(r.m))
	for _, s := range r.m {
		out = append(out, SeenDevice{Key: s.key, Device: s.device, MAC: s.mac, Addr: s.addr, Lease: s.lease, Router: s.router,
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
