package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

var _ state.Known = (*Engine)(nil)

// CheckOverride checks a parent's request for a pause, bonus time or a
// change of tonight's bedtime against the running configuration and the
// overrides in force at now, by the rules of overrides
// (state.Request.Check), and returns the override to add.
func (e *Engine) CheckOverride(req state.Request, now time.Time) (state.Override, error) {
	return req.Check(now, e)
}

// target finds a state.Target in the plan: the device (nil for a group or
// everyone) and the group (nil for everyone).
func (b *bound) target(t state.Target) (*device, *group, string) {
	p := b.plan
	switch {
	case t.Device != "":
		for _, d := range p.devices {
			if strings.EqualFold(d.name, t.Device) {
				return d, d.group, d.name
			}
		}
		return nil, nil, t.Device
	case t.Group != "":
		return nil, p.groups[t.Group], "the " + t.Group + " group"
	}
	return nil, nil, "everyone"
}

// Situation says what applies to a target at now, as decide sees it: the
// pauses in force, bedtime with later and early bedtime applied, tonight's
// usual bedtime, "tomorrow morning" and the end of today.
func (e *Engine) Situation(t state.Target, now time.Time) state.Situation {
	b := e.cur.Load()
	loc := b.plan.loc
	dev, g, name := b.target(t)
	sit := state.Situation{Name: name}
	y, m, day := now.In(loc).Date()
	sit.EndOfDay = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
	var later, early *state.Override
	for _, o := range e.opts.Overrides.List(now) {
		if !(o.All || g != nil && appliesTo(&o, dev, g)) {
			continue
		}
		switch o.Kind {
		case state.OverridePause:
			if o.Until.After(sit.Paused) {
				sit.Paused = o.Until
			}
		case state.OverrideLaterBedtime:
			later = lastEnd(later, &o)
		case state.OverrideEarlyBedtime:
			early = lastEnd(early, &o)
		}
	}
	if g != nil && g.bedtime != nil {
		s := g.bedtime.s
		if s.Active(now) {
			sit.TonightStart, sit.TonightEnd = s.Since(now), s.Next(now)
		} else if start := s.Next(now); !start.IsZero() {
			sit.TonightStart, sit.TonightEnd = start, s.Next(start)
		}
		sit.Bedtime = s.Active(now) && later == nil
		sit.BedtimeEnd = sit.TonightEnd
	}
	if later != nil {
		sit.Later = later.Until
	}
	if early != nil {
		sit.Early, sit.Bedtime, sit.BedtimeEnd = early.Until, true, early.Until
	}
	sit.Morning = sit.TonightEnd
	if sit.Morning.IsZero() {
		sit.Morning = nextClock(now.In(loc), 7, 0)
	}
	return sit
}

// nextClock returns the first instant after now at which the clock in
// now's zone reads hh:mm (or later, if a change skips it).
func nextClock(now time.Time, hh, mm int) time.Time {
	y, m, d := now.Date()
	t := time.Date(y, m, d, hh, mm, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(y, m, d+1, hh, mm, 0, 0, now.Location())
	}
	return t
}

// Blocks says what blocks what (a category or service) for a target at
// now, bonus time aside: the device's own block list, or the rules of its
// group (and blocking.block), now or from when.
func (e *Engine) Blocks(t state.Target, what string, now time.Time) state.Blocking {
	b := e.cur.Load()
	dev, g, _ := b.target(t)
	var bl state.Blocking
	if dev != nil && b.covers(&dev.block, what) {
		bl.Own = dev.name + "'s own block list"
	}
	if g == nil {
		return bl
	}
	rules := g.rules
	if b.plan.household != nil {
		rules = append([]*rule{b.plan.household}, rules...)
	}
	for _, r := range rules {
		if !b.covers(&r.block, what) {
			continue
		}
		if r.sched == nil {
			bl.Now = true
			continue
		}
		st := r.sched.state(now)
		if st.active == (r.mode == during) {
			bl.Now = true
			continue
		}
		bl.From = earliest(bl.From, st.next)
	}
	if bl.Now {
		bl.From = time.Time{}
	}
	// A daily budget used up is not lifted by bonus time: extra minutes are.
	if dev != nil && bl.Own == "" && !bl.Now {
		di := b.plan.dayOf(now)
		ovs := e.opts.Overrides.Snapshot()
		for i := range dev.budgets {
			db := &dev.budgets[i]
			if !b.covers(&db.b.names, what) {
				continue
			}
			if n := db.numbers(di, now, ovs); n.budgeted && n.spent {
				bl.Own = fmt.Sprintf("its daily budget (%s: %d of %d minutes used today; give extra minutes instead)",
					db.b.what, n.used, n.allowed())
			}
		}
	}
	return bl
}

// covers reports whether what (a category or service) names something n
// blocks, as bonus time sees it (bonusFor): a source n names whose service
// is what or that is of category what; or, before the lists are compiled,
// what is one of n's own words.
func (b *bound) covers(n *nameSet, what string) bool {
	if slices.Contains(n.categories, what) || slices.Contains(n.services, what) {
		return true
	}
	if b.lists == nil {
		return false
	}
	for _, src := range b.lists.Sources {
		if n.lists.Has(src.ID) && (src.Service == what || slices.Contains(src.Categories, what)) {
			return true
		}
	}
	return false
}
