package state

import "cmp"

// Merge takes in the devices other nodes saw (internal/cluster): a device
// new here is added (the least recently seen going if the registry is full)
// without telling OnFirstSight (the node that saw it first did); one known
// here keeps the earlier first sighting and the later last one, with the
// details (address, MAC, lease, router name) of whichever node saw it last.
// It returns how many devices were added.
func (r *Registry) Merge(list []SeenDevice) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	added := 0
	for _, d := range list {
		if d.Key == "" || d.LastSeen.IsZero() {
			continue
		}
		s, ok := r.m[d.Key]
		if !ok {
			if len(r.m) >= maxSeen {
				oldest := r.oldestLocked()
				if oldest.last.Load() >= d.LastSeen.Unix() {
					continue // older than anything kept here
				}
				delete(r.m, oldest.key)
			}
			s = &Seen{key: d.Key, first: d.FirstSeen}
			s.last.Store(d.LastSeen.Unix())
			r.m[d.Key] = s
			added++
		}
		if !d.FirstSeen.IsZero() && (s.first.IsZero() || d.FirstSeen.Before(s.first)) {
			s.first, r.dirty = d.FirstSeen, true
		}
		if last := d.LastSeen.Unix(); last > s.last.Load() || !ok {
			s.last.Store(last)
			before := [5]string{s.addr, s.mac, s.lease, s.router, s.device}
			s.addr = cmp.Or(d.Addr, s.addr)
			s.mac = cmp.Or(d.MAC, s.mac)
			s.lease = cmp.Or(d.Lease, s.lease)
			s.router = cmp.Or(d.Router, s.router)
			s.device = cmp.Or(s.device, d.Device)
			if [5]string{s.addr, s.mac, s.lease, s.router, s.device} != before {
				r.dirty = true
			}
		}
	}
	return added
}

// oldestLocked is the device seen least recently (nil if none).
func (r *Registry) oldestLocked() *Seen {
	var oldest *Seen
	for _, s := range r.m {
		if oldest == nil || s.last.Load() < oldest.last.Load() {
			oldest = s
		}
	}
	return oldest
}
