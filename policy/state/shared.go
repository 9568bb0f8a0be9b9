package state

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Shared state (internal/cluster, docs/two-nodes.md): what another process
// needs to keep this node's stores in step with other nodes. The stores
// stay the same for a node alone; none of this is on the query path.

// OverrideChange is one change made on this node: Override was added or
// extended (put), or, Cancelled, the override Override.ID was cancelled.
type OverrideChange struct {
	Override  Override
	Cancelled bool
}

// OnLocalChange registers fn, called for every Add, Extend and Cancel made
// on this store (never for Prune or Replace), in order, while the store's
// lock is held: fn must be quick and must not call the store. internal/cluster
// queues the change for the other nodes.
func (o *Overrides) OnLocalChange(fn func(OverrideChange)) {
	o.mu.Lock()
	o.local = append(o.local, fn)
	o.mu.Unlock()
}

// localLocked hands ch to the OnLocalChange functions; o.mu is held.
func (o *Overrides) localLocked(ch OverrideChange) {
	for _, fn := range o.local {
		fn(ch)
	}
}

// Replace makes list the current set, as the other nodes agreed it: it is
// saved to this node's file and the OnChange functions run, but no
// OnLocalChange function (the change is not this node's to send). Entries
// with a bad shape or a repeated ID are dropped and named in the error;
// ended ones are dropped silently. A failed save wraps ErrNotPersisted.
func (o *Overrides) Replace(list []Override) error {
	if o.readOnly {
		return ErrReadOnly
	}
	now := o.clk.Now()
	next := make([]Override, 0, len(list))
	var errs []error
	for i, ov := range list {
		shape := ov.checkShape()
		if ov.ID == "" || slices.ContainsFunc(next, func(x Override) bool { return x.ID == ov.ID }) {
			shape = append(shape, fielderr.New("id", "%q: missing or repeated", ov.ID))
		}
		if len(shape) > 0 {
			errs = append(errs, fmt.Errorf("policy: overrides: shared [%d]: dropped: %w", i, errors.Join(shape...)))
			continue
		}
		if now.Before(ov.Until) {
			ov.Until, ov.Created = ov.Until.Round(0), ov.Created.Round(0)
			next = append(next, ov)
		}
	}
	sortOverrides(next)
	o.mu.Lock()
	if slices.EqualFunc(*o.snap.Load(), next, sameOverride) {
		o.mu.Unlock()
		return errors.Join(errs...)
	}
	if err := o.publishLocked(next); err != nil {
		errs = append(errs, err)
	}
	o.notify()
	return errors.Join(errs...)
}

// sameOverride reports whether a and b are the same override, field by field.
func sameOverride(a, b Override) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.Device == b.Device && a.Person == b.Person &&
		a.Group == b.Group && a.All == b.All && a.What == b.What && a.Minutes == b.Minutes &&
		a.Until.Equal(b.Until) && a.Created.Equal(b.Created) && a.By == b.By
}

// Words returns the counter's day and its bits (minute m is bit m%64 of
// word m/64), without allocating.
func (c *Counter) Words() (int32, [counterWords]uint64) {
	var w [counterWords]uint64
	for i := range c.bits {
		w[i] = c.bits[i].Load()
	}
	return c.day.Load(), w
}

// CounterWords is how many 64-bit words a Counter's day has.
const CounterWords = counterWords

// Merge sets the minutes of day used elsewhere (words as Words gives them)
// and returns how many were new here. A day older than the counter's is
// ignored; a newer one starts it. Mark stays lock-free beside it: a bit set
// by both counts once.
func (c *Counter) Merge(day int32, words []uint64) int {
	if day == 0 {
		return 0
	}
	if cur := c.day.Load(); cur != day {
		if cur > day {
			return 0
		}
		c.reset(day)
	}
	n := 0
	for i := range min(len(words), counterWords) {
		if words[i] == 0 {
			continue
		}
		old := c.bits[i].Or(words[i])
		if added := bits.OnesCount64(words[i] &^ old); added > 0 {
			c.used.Add(int32(added))
			n += added
		}
	}
	return n
}

// Each calls fn with every counter, in no order, outside the store's lock.
func (b *Budgets) Each(fn func(owner, budget string, c *Counter)) {
	type item struct {
		owner, budget string
		c             *Counter
	}
	b.mu.Lock()
	items := make([]item, 0, len(b.m))
	for k, c := range b.m {
		owner, budget, _ := strings.Cut(k, "\x00")
		items = append(items, item{owner, budget, c})
	}
	b.mu.Unlock()
	for _, it := range items {
		fn(it.owner, it.budget, it.c)
	}
}
