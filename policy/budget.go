package policy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// Daily budgets in the decision: a name that a budget of the device
// counts (its what's sources, minus the catalogue's background hosts) is
// blocked, with ReasonBudget, once the owner's minutes today reach the
// day's amount plus any extra minutes; until midnight. While the budget
// runs, the answer's TTL is at most a minute (Decision.Next), so devices
// keep asking and every minute of use is seen. Deciding only reads the
// counters; Engine.LookedUp marks the minute after an allowed decision.

// budgetTTL is the longest an answer for a running budget's name is cached.
const budgetTTL = time.Minute

// devBudget is a budget as one device counts it: in its owner's counter.
type devBudget struct {
	b     *budget
	owner *owner
	c     *state.Counter
}

// ownerBudgets are an owner's budgets, each once (for the status).
type ownerBudgets struct {
	owner   *owner
	budgets []devBudget
}

// dayInfo is the household day an instant falls in.
type dayInfo struct {
	from, until int64 // Unix seconds: local midnight to the next one
	start, end  time.Time
	num         int32 // state.Day
	kind        dayKind
	holiday     string // the holiday's label, if any
}

// dayOf returns the household day of now, computed once per day.
func (p *plan) dayOf(now time.Time) *dayInfo {
	u := now.Unix()
	if di := p.day.Load(); di != nil && di.from <= u && u < di.until {
		return di
	}
	local := now.In(p.loc)
	y, m, dd := local.Date()
	start := time.Date(y, m, dd, 0, 0, 0, 0, p.loc)
	end := time.Date(y, m, dd+1, 0, 0, 0, 0, p.loc)
	di := &dayInfo{from: start.Unix(), until: end.Unix(), start: start, end: end, num: state.Day(local), kind: daySchool}
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		di.kind = dayWeekend
	}
	if p.cal != nil {
		if label, ok := p.cal.On(now); ok {
			di.kind, di.holiday = dayHoliday, label
		}
	}
	p.day.Store(di)
	return di
}

// minute is now's minute since the household's midnight (DST-correct: the
// real minutes elapsed, up to 1499 on a 25-hour day).
func (di *dayInfo) minute(now time.Time) int { return int((now.Unix() - di.from) / 60) }

// budgetNumbers are one budget's figures at an instant: what the decision,
// the status and `hearth explain` all show.
type budgetNumbers struct {
	budgeted bool    // the day has an amount
	kind     dayKind // which amount
	minutes  int     // the day's amount
	bonus    int     // extra minutes given today
	used     int     // minutes used today, this one included if used
	spent    bool    // a lookup now is blocked
}

func (n budgetNumbers) allowed() int { return n.minutes + n.bonus }

func (n budgetNumbers) left() int { return max(0, n.allowed()-n.used) }

// numbers works out db's figures at now (no lock, no allocation).
func (db *devBudget) numbers(di *dayInfo, now time.Time, ovs []state.Override) budgetNumbers {
	var n budgetNumbers
	n.minutes, n.kind = db.b.today(di.kind)
	if n.minutes < 0 {
		return n
	}
	n.budgeted = true
	for i := range ovs {
		o := &ovs[i]
		if o.Kind == state.OverrideMinutes && o.What == db.b.id && o.Active(now) && db.owner.is(o) {
			n.bonus += o.Minutes
		}
	}
	n.used = db.c.Used(di.num)
	before := n.used
	if db.c.Has(di.num, di.minute(now)) {
		before-- // the minute under way was already counted: it may finish
	}
	n.spent = before >= n.allowed()
	return n
}

// is reports whether an extra-minutes override is for this owner.
func (o *owner) is(ov *state.Override) bool {
	switch o.kind {
	case "person":
		return ov.Person == o.name
	case "device":
		return ov.Device != "" && strings.EqualFold(ov.Device, o.name)
	}
	return false
}

// budgetsOf returns the budgets a device (nil: one nobody named, in g)
// counts against.
func budgetsOf(dev *device, g *group) []devBudget {
	if dev != nil {
		return dev.budgets
	}
	return g.unnamed
}

// decideBudgets is step 6½ of decide: after the rules let the name
// through, a budget used up blocks it; a running one caps Next. It
// returns true when it blocked.
func (b *bound) decideBudgets(d *Decision, name string, dev *device, g *group, now time.Time, ovs []state.Override,
	mL, mD *blocklists.Match, next time.Time) bool {
	dbs := budgetsOf(dev, g)
	if len(dbs) == 0 || b.lists == nil || (b.lists.HasBackground && mL.Block.Has(b.lists.Background)) {
		return false
	}
	var di *dayInfo
	for i := range dbs {
		db := &dbs[i]
		if mL.Block.And(db.b.names.lists).Empty() {
			continue
		}
		if di == nil {
			di = b.plan.dayOf(now)
		}
		n := db.numbers(di, now, ovs)
		if !n.budgeted {
			continue
		}
		if n.spent {
			d.Action, d.Reason, d.Rule, d.RuleText = Block, ReasonBudget, db.b.key, ""
			d.Budget, d.BudgetUsed, d.BudgetMinutes = db.b.what, n.used, n.allowed()
			d.Window, d.Override, d.Mode = "", "", verdict.ModeAlways
			d.Next = earliest(next, di.end)
			d.TTL = verdict.CapTTL(d.TTL, now, d.Next)
			d.counting, d.budgetList, d.budgetSpent = 0, dbs, uint8(min(i+1, 255))
			b.describe(d, name, &db.b.names, mL, mD)
			return true
		}
		if i < 64 {
			d.counting |= 1 << i
		}
		// Used without a pause, it is used up this many minutes from the
		// start of this minute (d.recount carries it to decide).
		mins := n.allowed() - n.used
		if db.c.Has(di.num, di.minute(now)) {
			mins++
		}
		spend := time.Unix(di.from+int64(di.minute(now)+mins)*60, 0)
		d.recount = earliest(d.recount, spend)
		d.budgetDay, d.budgetMinute, d.budgetList = di.num, int16(di.minute(now)), dbs
	}
	return false
}

// countBudgets marks the minute for the running budgets d was decided
// under (Engine.LookedUp).
func countBudgets(d *Decision) {
	for m := d.counting; m != 0; m &= m - 1 {
		i := 0
		for x := m; x&1 == 0; x >>= 1 {
			i++
		}
		if i < len(d.budgetList) {
			d.budgetList[i].c.Mark(d.budgetDay, int(d.budgetMinute))
		}
	}
}

// attachBudgets gives every device of p the budgets it counts against,
// with their counters in store (made if new): once per configuration or
// assignment change, never per query.
func (p *plan) attachBudgets(store *state.Budgets) {
	p.owners = nil
	byKey := map[string]*ownerBudgets{}
	add := func(ow *owner, list []*budget, skip []*budget) []devBudget {
		var out []devBudget
		ob := byKey[ow.key]
		if ob == nil {
			ob = &ownerBudgets{owner: ow}
			byKey[ow.key] = ob
		}
		for _, bu := range list {
			replaced := false
			for _, s := range skip {
				replaced = replaced || s.id == bu.id
			}
			if replaced {
				continue
			}
			db := devBudget{b: bu, owner: ob.owner, c: store.Counter(ow.key, bu.id)}
			out = append(out, db)
			have := false
			for _, x := range ob.budgets {
				have = have || x.b.id == bu.id
			}
			if !have {
				ob.budgets = append(ob.budgets, db)
			}
		}
		if len(ob.budgets) > 0 && !containsOwner(p.owners, ob) {
			p.owners = append(p.owners, ob)
		}
		return out
	}
	persons := map[*person]*owner{}
	for _, pr := range p.people {
		persons[pr] = &owner{key: "person:" + pr.name, name: pr.name, kind: "person", person: pr}
		add(persons[pr], pr.budgets, nil) // listed even before a device asks
	}
	for _, d := range p.devices {
		if d.person != nil {
			ow := persons[d.person]
			d.budgets = append(add(ow, d.person.budgets, nil), add(ow, d.group.budgets, d.person.budgets)...)
			continue
		}
		d.budgets = add(&owner{key: "device:" + strings.ToLower(d.name), name: d.name, kind: "device", device: d}, d.group.budgets, nil)
	}
	for _, g := range p.groupList {
		if g == p.unknown {
			g.unnamed = add(&owner{key: "new-devices:" + g.name, name: g.name, kind: "new-devices"}, g.budgets, nil)
		}
	}
}

func containsOwner(list []*ownerBudgets, ob *ownerBudgets) bool {
	for _, x := range list {
		if x == ob {
			return true
		}
	}
	return false
}

// budgetSaveEvery is how often the minutes used are saved while running.
const budgetSaveEvery = time.Minute

// runBudgets saves the minutes used once a minute, off the query path,
// and once more when ctx ends (a restart loses at most a minute).
func (e *Engine) runBudgets(ctx context.Context, report func(error)) {
	t := time.NewTicker(budgetSaveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := e.opts.Budgets.Save(); err != nil {
				report(fmt.Errorf("budgets: %w", err))
			}
			return
		case <-t.C:
			if err := e.opts.Budgets.Save(); err != nil {
				report(fmt.Errorf("budgets: %w", err))
			}
		}
	}
}

// Budgets returns the store of minutes used of daily budgets.
func (e *Engine) Budgets() *state.Budgets { return e.opts.Budgets }
