package state

import (
	"net/netip"
	"time"
)

// IDKeyPrefix begins the registry key of a device seen by the ID it gave
// over DNS-over-TLS or DNS-over-HTTPS: "id:alex-phone".
const IDKeyPrefix = "id:"

// ObserveID records a sighting at now of the device that named itself id
// (its TLS server name's first label or its DoH path), from address a, with
// its configured device name ("" if no device has that name), and returns
// its record (for Touch). The ID, not the address, is its key: a phone
// whose Wi-Fi address changes stays one device.
func (r *Registry) ObserveID(id, device string, a netip.Addr, now time.Time) *Seen {
	key := IDKeyPrefix + id
	r.mu.Lock()
	s, ok := r.getOrAdd(key, now)
	if !ok {
		r.dirty = true
	}
	if addr := a.String(); s.addr != addr || s.device != device {
		s.addr, s.device, r.dirty = addr, device, true
	}
	s.last.Store(now.Unix())
	r.mu.Unlock()
	if !ok && device == "" {
		// An ID no device is named with: a new device, as a new address is.
		r.tellFirstSight(s, now)
	}
	return s
}
