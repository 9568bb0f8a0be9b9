package state

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Which catalogue services each device looked up today, so that a parent
// can tell an unnamed device by what it does ("Nintendo and Fortnite": the
// Switch). Kept in memory only, never in the registry's file; at most
// MaxServicesToday per device; forgotten at the household's midnight.
//
// The query path records into a per-device bitset of the compiled lists'
// source numbers: a service already recorded today costs three atomic
// loads and no allocation, and only a new one takes the device's lock.

// MaxServicesToday bounds the services remembered per device and day.
const MaxServicesToday = 16

type servicesToday struct {
	day  atomic.Int32  // Day the services are of
	gen  atomic.Uint64 // the numbering bits are in
	bits [2]atomic.Uint64
	mu   sync.Mutex
	ids  []string // guarded by mu
}

// Day numbers the calendar day of t in t's own zone (so, given a time in
// the household's zone, it changes at the household's midnight).
func Day(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(y)*512 + int32(m)*32 + int32(d)
}

// LookedUp records that the device looked up, on day (see Day), the
// services numbered in set. Numbers are those of one compiled set of lists,
// gen: names[i] is the service id number i stands for ("" for a source
// that is not a catalogue service). A set already recorded allocates
// nothing and takes no lock.
func (s *Seen) LookedUp(day int32, gen uint64, set [2]uint64, names []string) {
	t := &s.today
	if t.day.Load() == day && t.gen.Load() == gen &&
		set[0]&^t.bits[0].Load() == 0 && set[1]&^t.bits[1].Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.day.Load() != day {
		t.bits[0].Store(0)
		t.bits[1].Store(0)
		t.ids = nil
		t.day.Store(day)
	}
	if t.gen.Load() != gen { // the lists were compiled again: numbers changed
		t.bits[0].Store(0)
		t.bits[1].Store(0)
		t.gen.Store(gen)
	}
	for w := range set {
		fresh := set[w] &^ t.bits[w].Load()
		for fresh != 0 {
			id := w*64 + bits.TrailingZeros64(fresh)
			fresh &= fresh - 1
			if id < len(names) && names[id] != "" && len(t.ids) < MaxServicesToday && !slices.Contains(t.ids, names[id]) {
				t.ids = append(t.ids, names[id])
			}
		}
		t.bits[w].Store(t.bits[w].Load() | set[w])
	}
}

// servicesOn returns a copy of the services recorded on day, in the order
// first looked up, or nil.
func (s *Seen) servicesOn(day int32) []string {
	t := &s.today
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.day.Load() != day || len(t.ids) == 0 {
		return nil
	}
	return slices.Clone(t.ids)
}

// ServicesToday returns, per device key, the catalogue services each
// device looked up on day (see Day); devices with none are left out.
func (r *Registry) ServicesToday(day int32) map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for k, s := range r.m {
		if ids := s.servicesOn(day); ids != nil {
			out[k] = ids
		}
	}
	return out
}
