package policy

import (
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/policy/schedule"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// DeviceStatus is what a device may do at one instant, and until when: the
// dashboard's Now page and GET /api/status.
type DeviceStatus struct {
	Name   string `json:"name"` // "" for unknown devices (the default group)
	Group  string `json:"group"`
	Source string `json:"source"`        // "config", "dashboard", or "unknown" for the default group's unknown devices
	Key    string `json:"key,omitempty"` // "devices[2]" or "dashboard:mac:..."
	// State sums it up: "paused", "bedtime", "limited" (some rule blocks
	// now), "open" (no rule blocks now).
	State string `json:"state"`
	// Pause is the pause in force that ends last (the device's, its
	// group's or everyone's); Pauses all of them.
	Pause  *state.Override  `json:"pause,omitempty"`
	Pauses []state.Override `json:"pauses,omitempty"`
	// LaterBedtime lifts tonight's bedtime until its Until; EarlyBedtime
	// is bedtime from now until its Until.
	LaterBedtime *state.Override  `json:"later_bedtime,omitempty"`
	EarlyBedtime *state.Override  `json:"early_bedtime,omitempty"`
	Bedtime      *ScheduleStatus  `json:"bedtime,omitempty"` // nil: the group has none
	Rules        []RuleStatus     `json:"rules"`
	Bonuses      []state.Override `json:"bonuses"`
	Blocked      []string         `json:"blocked"`        // what rules block now: categories, services, domains
	Allowed      []string         `json:"allowed"`        // what scheduled rules let through now
	Until        time.Time        `json:"until,omitzero"` // when State or what is blocked next changes
	Device       *DeviceReference `json:"device,omitempty"`
	// Budgets are the daily budgets the device counts against (its
	// owner's), with the figures decide uses; a used-up one's what is in
	// Blocked until midnight.
	Budgets []BudgetStatus `json:"budgets,omitempty"`
}

// DeviceReference says how a device is recognised.
type DeviceReference struct {
	IP  []string `json:"ip,omitempty"`
	MAC []string `json:"mac,omitempty"`
}

// ScheduleStatus is a schedule's state at an instant.
type ScheduleStatus struct {
	Windows string    `json:"windows"`
	Active  bool      `json:"active"`
	Next    time.Time `json:"next,omitzero"` // when Active changes
}

// RuleStatus is one rule's state at an instant.
type RuleStatus struct {
	Key      string       `json:"key"`
	Text     string       `json:"text"`
	Block    []string     `json:"block"`
	Except   []string     `json:"except,omitempty"`
	Mode     verdict.Mode `json:"mode"` // "always", "outside" or "during"
	Windows  string       `json:"windows,omitempty"`
	Blocking bool         `json:"blocking"`        // the rule blocks now
	Bonus    []string     `json:"bonus,omitempty"` // what bonus time lifts now
	Next     time.Time    `json:"next,omitzero"`   // when Blocking changes
}

// Status returns every device's status at now: the devices of hearth.yaml,
// then those named on the dashboard, then the unknown devices (default
// group).
func (e *Engine) Status(now time.Time) []DeviceStatus {
	b := e.cur.Load()
	ovs := e.opts.Overrides.List(now)
	out := make([]DeviceStatus, 0, len(b.plan.devices)+1)
	for _, d := range b.plan.devices {
		out = append(out, b.status(d, d.group, now, ovs))
	}
	return append(out, b.status(nil, b.plan.unknown, now, ovs))
}

// DeviceStatus returns one device's status ("" for unknown devices), and
// false if there is no such device.
func (e *Engine) DeviceStatus(name string, now time.Time) (DeviceStatus, bool) {
	b := e.cur.Load()
	ovs := e.opts.Overrides.List(now)
	if name == "" {
		return b.status(nil, b.plan.unknown, now, ovs), true
	}
	for _, d := range b.plan.devices {
		if strings.EqualFold(d.name, name) {
			return b.status(d, d.group, now, ovs), true
		}
	}
	return DeviceStatus{}, false
}

// HasDevice reports whether name is a configured or dashboard-named device,
// and gives its name as written.
func (e *Engine) HasDevice(name string) (string, bool) {
	for _, d := range e.cur.Load().plan.devices {
		if strings.EqualFold(d.name, name) {
			return d.name, true
		}
	}
	return "", false
}

// HasGroup reports whether the configuration has the group.
func (e *Engine) HasGroup(name string) bool {
	_, ok := e.cur.Load().plan.groups[name]
	return ok
}

// NewDevicesGroup is the group of devices nobody has named yet
// (new_devices.group, else "default").
func (e *Engine) NewDevicesGroup() string { return e.cur.Load().plan.unknown.name }

// FirstStart reports whether the running configuration chooses nothing to
// block, so that only the default group's bypass protection filters until
// the parent finishes setup (Config.FirstStart).
func (e *Engine) FirstStart() bool { return e.cur.Load().plan.firstStart }

// GroupNames returns the groups' names, "default" first.
func (e *Engine) GroupNames() []string { return groupNamesOf(e.cur.Load().plan) }

func (b *bound) status(d *device, g *group, now time.Time, ovs []state.Override) DeviceStatus {
	p := b.plan
	st := DeviceStatus{Group: g.name, Source: "unknown", State: "open", Rules: []RuleStatus{}, Bonuses: []state.Override{},
		Blocked: []string{}, Allowed: []string{}}
	if d != nil {
		st.Name, st.Key, st.Source = d.name, d.key, "config"
		if d.assigned != "" {
			st.Source = "dashboard"
		}
		st.Device = &DeviceReference{}
		if d.assigned == "" {
			dc := p.cfg.Devices[d.idx]
			st.Device.IP, st.Device.MAC = dc.IP, dc.MAC
		} else if mac, addr, _ := state.ParseDeviceKey(d.assigned); mac != nil {
			st.Device.MAC = []string{mac.String()}
		} else {
			st.Device.IP = []string{addr.String()}
		}
	}
	until := time.Time{}
	for _, o := range ovs {
		if !appliesTo(&o, d, g) {
			continue
		}
		switch o.Kind {
		case state.OverridePause:
			st.Pauses = append(st.Pauses, o)
			st.Pause = lastEnd(st.Pause, &o)
		case state.OverrideBonus:
			st.Bonuses = append(st.Bonuses, o)
		case state.OverrideLaterBedtime:
			st.LaterBedtime = lastEnd(st.LaterBedtime, &o)
		case state.OverrideEarlyBedtime:
			st.EarlyBedtime = lastEnd(st.EarlyBedtime, &o)
		}
	}
	// Bedtime as decide's step 4 has it: the schedule, lifted by a later
	// bedtime until it ends.
	if g.bedtime != nil {
		s := g.bedtime.state(now)
		st.Bedtime = &ScheduleStatus{Windows: g.bedtime.windows(s), Active: s.active, Next: s.next}
		if st.LaterBedtime != nil {
			st.Bedtime.Active, st.Bedtime.Next = false, st.LaterBedtime.Until
		}
		until = earliest(until, st.Bedtime.Next)
	}
	rules := g.rules
	if p.household != nil {
		rules = append([]*rule{p.household}, rules...)
	}
	for _, r := range rules {
		rs := RuleStatus{Key: r.key, Text: r.text, Block: r.block.words(), Except: r.except.words(), Mode: verdict.ModeAlways, Blocking: true}
		if r.sched != nil {
			s := r.sched.state(now)
			rs.Mode, rs.Windows, rs.Next = r.mode.verdict(), r.sched.windows(s), s.next
			rs.Blocking = s.active == (r.mode == during)
			until = earliest(until, s.next)
		}
		for _, o := range st.Bonuses {
			if rs.Blocking && b.covers(&r.block, o.What) {
				rs.Bonus = append(rs.Bonus, o.What)
				until = earliest(until, o.Until)
			}
		}
		for _, w := range rs.Block {
			switch {
			case rs.Blocking && !slices.Contains(rs.Bonus, w):
				if !slices.Contains(st.Blocked, w) {
					st.Blocked = append(st.Blocked, w)
				}
			case !slices.Contains(st.Allowed, w):
				st.Allowed = append(st.Allowed, w)
			}
		}
		st.Rules = append(st.Rules, rs)
	}
	// The device's own block entries (devices[i].block) apply at all times,
	// whatever its group's rules say: a rule of its own, always blocking.
	if d != nil && !d.block.empty() {
		rs := RuleStatus{Key: d.blockKey, Text: "blocked on this device", Block: d.block.words(), Mode: verdict.ModeAlways, Blocking: true}
		for _, w := range rs.Block {
			if !slices.Contains(st.Blocked, w) {
				st.Blocked = append(st.Blocked, w)
			}
		}
		st.Rules = append(st.Rules, rs)
	}
	// Daily budgets used up: blocked until midnight (decide's step 6½).
	if dbs := budgetsOf(d, g); len(dbs) > 0 {
		di := p.dayOf(now)
		for i := range dbs {
			bs := dbs[i].status(di, now, ovs)
			st.Budgets = append(st.Budgets, bs)
			if !bs.Spent {
				continue
			}
			until = earliest(until, bs.Until)
			for _, w := range dbs[i].b.ids {
				if !slices.Contains(st.Blocked, w) {
					st.Blocked = append(st.Blocked, w)
				}
			}
		}
	}
	// A name blocked by one rule is not allowed because another lets it be.
	st.Allowed = slices.DeleteFunc(st.Allowed, func(w string) bool { return slices.Contains(st.Blocked, w) })
	if len(st.Blocked) > 0 {
		st.State = "limited"
	}
	if st.EarlyBedtime != nil {
		st.Bedtime = &ScheduleStatus{Windows: "early tonight", Active: true, Next: st.EarlyBedtime.Until}
	}
	if st.Bedtime != nil && st.Bedtime.Active {
		st.State, until = "bedtime", st.Bedtime.Next
	}
	if st.Pause != nil {
		st.State, until = "paused", st.Pause.Until
	}
	// Paused or at bedtime, nothing is let through by a rule: what the
	// rules allow at other times is not allowed now.
	if st.State == "paused" || st.State == "bedtime" {
		st.Allowed = []string{}
	}
	st.Until = until
	return st
}

// words returns what a name set names, as written in the configuration:
// categories, then services, then domains.
func (n *nameSet) words() []string {
	return slices.Concat(n.categories, n.services, n.domains)
}

// GroupWeek is a group's rules laid out on a week, for the dashboard's
// Rules page: each scheduled rule's windows as spans of minutes per day.
type GroupWeek struct {
	Group   string     `json:"group"`
	Devices []string   `json:"devices"`
	Bedtime *WeekRule  `json:"bedtime,omitempty"`
	Rules   []WeekRule `json:"rules"`
}

// WeekRule is one rule (or bedtime) on the week. Spans are the windows'
// minutes; for an "outside" rule they are when it lets things through, for
// "during" and bedtime when it blocks, for "always" there are none.
type WeekRule struct {
	Key      string       `json:"key"`
	Text     string       `json:"text"`
	Mode     verdict.Mode `json:"mode"`
	Block    []string     `json:"block,omitempty"`
	Spans    []DaySpan    `json:"spans"`
	Holidays string       `json:"holidays,omitempty"` // the holiday windows, in words
}

// DaySpan is [Start, End) minutes after midnight on Day (0 Sunday). A
// window crossing midnight is two spans.
type DaySpan struct {
	Day   time.Weekday `json:"day"`
	Start int          `json:"start"`
	End   int          `json:"end"`
}

// Week returns every group's rules laid out on a week.
func (e *Engine) Week() []GroupWeek {
	p := e.cur.Load().plan
	out := make([]GroupWeek, 0, len(p.groupList))
	for _, g := range p.groupList {
		gw := GroupWeek{Group: g.name, Devices: []string{}, Rules: []WeekRule{}}
		for _, d := range p.devices {
			if d.group == g {
				gw.Devices = append(gw.Devices, d.name)
			}
		}
		if g.bedtime != nil {
			gw.Bedtime = &WeekRule{Key: g.bedtimeKey, Text: "bedtime " + g.bedtime.text, Mode: verdict.ModeDuring,
				Spans: spansOf(g.bedtime.list), Holidays: g.bedtime.holidayText}
		}
		rules := g.rules
		if p.household != nil {
			rules = append([]*rule{p.household}, rules...)
		}
		for _, r := range rules {
			wr := WeekRule{Key: r.key, Text: r.text, Mode: verdict.ModeAlways, Block: r.block.words(), Spans: []DaySpan{}}
			if r.sched != nil {
				wr.Mode, wr.Spans, wr.Holidays = r.mode.verdict(), spansOf(r.sched.list), r.sched.holidayText
			}
			gw.Rules = append(gw.Rules, wr)
		}
		out = append(out, gw)
	}
	return out
}

// spansOf lays windows out on the week, Sunday first.
func spansOf(ws []schedule.Window) []DaySpan {
	out := []DaySpan{}
	for _, w := range ws {
		for d := time.Sunday; d <= time.Saturday; d++ {
			if !w.On(d) {
				continue
			}
			start, end := w.Start(), w.End()
			if end > start {
				out = append(out, DaySpan{d, start, end})
				continue
			}
			out = append(out, DaySpan{d, start, 24 * 60})
			if end > 0 {
				out = append(out, DaySpan{(d + 1) % 7, 0, end})
			}
		}
	}
	slices.SortFunc(out, func(a, b DaySpan) int {
		if a.Day != b.Day {
			return int(a.Day) - int(b.Day)
		}
		return a.Start - b.Start
	})
	return out
}

// Blockable reports whether what names a category or service (of the
// catalogue or of the configured lists): what bonus time may lift.
func (e *Engine) Blockable(what string) bool {
	if _, ok := e.opts.Catalogue.Category(what); ok {
		return true
	}
	if _, ok := e.opts.Catalogue.Service(what); ok {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.opts.ListCategories, what)
}
