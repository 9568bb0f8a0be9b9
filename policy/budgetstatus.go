package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/internal/suggest"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/policy/words"
)

// BudgetStatus is one owner's daily budget at an instant: GET /api/status,
// the Now page and `hearth explain`. Its figures are those decide uses.
type BudgetStatus struct {
	Owner     string   `json:"owner"`             // "alex", a device's name, or the group of devices nobody named
	OwnerKind string   `json:"owner_kind"`        // "person", "device" or "new-devices"
	Devices   []string `json:"devices,omitempty"` // a person's devices
	What      string   `json:"what"`              // as written: "youtube, tiktok"
	ID        string   `json:"id"`                // the budget's id, for extra minutes: "tiktok,youtube"
	Key       string   `json:"key"`               // "groups.kids.budgets[0]"
	// Budgeted is false on a day none of the budget's amounts applies to
	// (then nothing is counted or blocked).
	Budgeted bool   `json:"budgeted"`
	Day      string `json:"day"`     // which amount applies: "daily", "school day", "weekend", "holiday"
	Minutes  int    `json:"minutes"` // the day's amount
	Bonus    int    `json:"bonus"`   // extra minutes given today
	Allowed  int    `json:"allowed"` // minutes + bonus
	Used     int    `json:"used"`
	Left     int    `json:"left"`
	// Spent: a lookup now is blocked (the minute under way, if already
	// counted, may finish).
	Spent bool      `json:"spent"`
	Until time.Time `json:"until"` // the household's midnight: when the count starts again
	Text  string    `json:"text"`  // "gaming: 35 of 60 minutes left today"
}

// BudgetStatus returns every owner's budgets at now: people first, then
// devices nobody owns, then devices nobody named. person, if not "",
// keeps that person's only; an unknown person is an error suggesting the
// closest name.
func (e *Engine) BudgetStatus(now time.Time, person string) ([]BudgetStatus, error) {
	b := e.cur.Load()
	p := b.plan
	if person != "" {
		pr, err := p.findPerson(person)
		if err != nil {
			return nil, err
		}
		person = pr.name
	}
	ovs := e.opts.Overrides.Snapshot()
	di := p.dayOf(now)
	out := []BudgetStatus{}
	for _, ob := range p.owners {
		if person != "" && (ob.owner.kind != "person" || ob.owner.name != person) {
			continue
		}
		for i := range ob.budgets {
			out = append(out, ob.budgets[i].status(di, now, ovs))
		}
	}
	return out, nil
}

// DecisionBudgets returns the budgets d was decided under at now: the one
// used up (ReasonBudget), or those running for the name (`hearth explain`).
func (e *Engine) DecisionBudgets(d *Decision, now time.Time) []BudgetStatus {
	if d.counting == 0 && d.budgetSpent == 0 {
		return nil
	}
	di := e.cur.Load().plan.dayOf(now)
	ovs := e.opts.Overrides.Snapshot()
	var out []BudgetStatus
	for i := range d.budgetList {
		if d.counting&(1<<i) != 0 || int(d.budgetSpent) == i+1 {
			out = append(out, d.budgetList[i].status(di, now, ovs))
		}
	}
	return out
}

// status is db's BudgetStatus at now.
func (db *devBudget) status(di *dayInfo, now time.Time, ovs []state.Override) BudgetStatus {
	n := db.numbers(di, now, ovs)
	ow := db.owner
	st := BudgetStatus{Owner: ow.name, OwnerKind: ow.kind, What: db.b.what, ID: db.b.id, Key: db.b.key,
		Budgeted: n.budgeted, Day: dayKindNames[n.kind], Minutes: n.minutes, Bonus: n.bonus, Allowed: n.allowed(),
		Used: n.used, Left: n.left(), Spent: n.budgeted && n.spent, Until: di.end}
	if ow.person != nil {
		for _, d := range ow.person.devices {
			st.Devices = append(st.Devices, d.name)
		}
	}
	switch {
	case !n.budgeted:
		st.Minutes, st.Allowed, st.Left = 0, 0, 0
		st.Text = db.b.what + ": no budget today"
	case st.Spent:
		st.Text = words.Budget(&verdict.Facts{Budget: db.b.what, BudgetUsed: n.used, BudgetMinutes: n.allowed()})
	default:
		st.Text = words.BudgetLeft(db.b.what, st.Left, st.Allowed)
	}
	return st
}

// People returns the people's names, in the file's order.
func (e *Engine) People() []string {
	var out []string
	for _, pr := range e.cur.Load().plan.people {
		out = append(out, pr.name)
	}
	return out
}

// PersonDevices returns a person's devices, or an error suggesting the
// closest name for an unknown person.
func (e *Engine) PersonDevices(name string) ([]string, error) {
	pr, err := e.cur.Load().plan.findPerson(name)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, d := range pr.devices {
		out = append(out, d.name)
	}
	return out, nil
}

// findPerson returns the person called name, or a *state.NotFoundError
// suggesting the closest name.
func (p *plan) findPerson(name string) (*person, error) {
	names := make([]string, 0, len(p.people))
	for _, pr := range p.people {
		if pr.name == strings.ToLower(strings.TrimSpace(name)) {
			return pr, nil
		}
		names = append(names, pr.name)
	}
	msg := fmt.Sprintf("no person %q", name)
	if hint := suggest.Closest(strings.ToLower(name), names); hint != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", hint)
	}
	if len(names) == 0 {
		msg += ": hearth.yaml has no people"
	} else {
		msg += " (people: " + strings.Join(names, ", ") + ")"
	}
	return nil, &state.NotFoundError{Field: "person", Msg: msg}
}

var _ state.BudgetKnown = (*Engine)(nil)

// OwnerBudget finds the budget of what that a person or a device nobody
// owns has today, for extra minutes (state.BudgetKnown).
func (e *Engine) OwnerBudget(person, device, what string, now time.Time) (state.BudgetRef, error) {
	p := e.cur.Load().plan
	var ref state.BudgetRef
	var key string
	switch {
	case person != "":
		pr, err := p.findPerson(person)
		if err != nil {
			return ref, err
		}
		ref.Person, key = pr.name, "person:"+pr.name
	default:
		name, ok := e.HasDevice(device)
		if !ok {
			return ref, &state.NotFoundError{Field: "device", Msg: fmt.Sprintf("no device %q", device)}
		}
		for _, d := range p.devices {
			if d.name == name && d.person != nil {
				return ref, fielderr.New("person", "%s belongs to %s: give %s the minutes", name, d.person.name, d.person.name)
			}
		}
		ref.Device, key = name, "device:"+strings.ToLower(name)
	}
	var ob *ownerBudgets
	for _, x := range p.owners {
		if x.owner.key == key {
			ob = x
		}
	}
	want := strings.ToLower(strings.TrimSpace(what))
	var ids []string
	di := p.dayOf(now)
	if ob != nil {
		for _, db := range ob.budgets {
			ids = append(ids, db.b.id)
			if db.b.id == want || db.b.what == want || slices.Contains(db.b.ids, want) {
				if m, _ := db.b.today(di.kind); m < 0 {
					return ref, fielderr.New("what", "%s has no %s budget today (%s): extra minutes would change nothing", key[strings.IndexByte(key, ':')+1:], db.b.what, dayKindNames[di.kind])
				}
				ref.Budget, ref.EndOfDay = db.b.id, di.end
				return ref, nil
			}
		}
	}
	who := strings.TrimPrefix(strings.TrimPrefix(key, "person:"), "device:")
	if len(ids) == 0 {
		return ref, fielderr.New("what", "%s has no daily budgets", who)
	}
	return ref, fielderr.New("what", "%s has no budget for %q (budgets: %s)", who, what, strings.Join(ids, "; "))
}
