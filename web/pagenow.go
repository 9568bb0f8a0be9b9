package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// The Now page: each device, what it may do now and until when, with
// one-tap pause and bonus time.

// The one-tap choices: pauses of 15, 30 or 60 minutes, bonus time and a
// later bedtime of 30, extensions of 15 and 30.
var (
	pauseMinutes  = []int{15, 30, 60}
	extendMinutes = []int{15, 30}
)

const (
	bonusMinutes = 30
	laterMinutes = 30
)

type nowData struct {
	Minutes      int // bonus time's
	PauseMinutes []int
	Extend       []int
	Later        int
	Everyone     *nowOverride // a pause for everyone, if one is in force
	Owners       []nowOwner   // each child with their devices, then the devices nobody owns
	Conflicts    []string
	Shared       *SharedState // state shared with other Hearths; nil: alone
	SharedLine   string       // Shared's sentence, in the household's time
	JournalLine  string       // the journal is failing; "" when well or off
}

// nowOwner is a child (Person set) with their budgets and devices, or the
// devices nobody owns (Person ""; their budgets are on their own cards).
type nowOwner struct {
	ID, Person string
	Budgets    []nowBudget
	Devices    []nowDevice
}

// nowBudget is one daily budget as the card says it, with what a tap of
// "+N min" asks for.
type nowBudget struct {
	Text   string // "gaming: 35 of 60 minutes left today"
	Owner  string // the person or device the minutes are for
	What   string // the budget's id
	Label  string // what it covers, in words, for the button
	Spent  bool
	Counts bool   // the day has an amount (else nothing is counted)
	Extra  int    // what one tap adds
	CSRF   string // for the form
}

type nowDevice struct {
	ID        string // the section's id
	Title     string
	Name      string // "" for the unknown devices
	Target    string // the form's field: "device" or "group"
	Value     string // its value
	Meta      string // "kids group · in hearth.yaml · 127.0.0.2"
	State     string // "paused", "bedtime", "limited", "open": a CSS class
	StateText string // the state in words: "Paused until 18:30"
	Lines     []string
	Pause     *nowOverride
	Later     *nowOverride // a later bedtime tonight
	Early     *nowOverride // an early bedtime tonight
	Bonuses   []nowOverride
	Choices   []bonusChoice // what one tap of bonus time may lift now or later today
	Bedtime   bool          // the group has a bedtime: later bedtime may be asked
	Budgets   []nowBudget   // a device nobody owns: its own daily budgets
	// Until and UntilErr: a refused "pause until a time" for this card,
	// what was typed and why, next to the field.
	Until, UntilErr string
}

// nowOverride is an override in force, with what its buttons say.
type nowOverride struct {
	ID, Text string
	Extend   []int  // the minutes it may be extended by (none for an early bedtime)
	End      string // what its end button says
	Title    string // whose card it is on, for screen readers
	CSRF     string
	until    time.Time
}

type bonusChoice struct{ What, Label string }

func (ps *pageSet) now(_ *http.Request, v *view) int {
	card := func(o *nowOverride, title, end string, extend bool) *nowOverride {
		o.Title, o.End, o.CSRF = title, end, v.CSRF
		if extend {
			o.Extend = extendMinutes
		}
		return o
	}
	s := ps.s
	st := s.svc.Status()
	loc := s.opts.Engine.Location()
	at := func(t time.Time) string { return clockText(t, st.Now, loc) }
	d := nowData{Minutes: bonusMinutes, PauseMinutes: pauseMinutes, Extend: extendMinutes, Later: laterMinutes, Conflicts: st.Conflicts, Shared: st.Shared}
	if st.Shared != nil {
		d.SharedLine = st.Shared.Line(loc)
		d.JournalLine = st.Journal.Line(st.Shared.Node)
	} else {
		d.JournalLine = st.Journal.Line("")
	}
	for _, o := range s.svc.Overrides() {
		if o.All && o.Kind == state.OverridePause && (d.Everyone == nil || o.Until.After(d.Everyone.until)) {
			d.Everyone = card(&nowOverride{ID: o.ID, Text: "Everyone paused until " + at(o.Until) + " (set by " + o.By + ")", until: o.Until}, "everyone", "End pause", true)
		}
	}
	var devices []nowDevice
	for i, ds := range st.Devices {
		nd := nowDevice{ID: fmt.Sprintf("dev-%d", i+1), Title: ds.Name, Name: ds.Name, Target: "device", Value: ds.Name, State: ds.State}
		meta := []string{ds.Group + " group"}
		switch ds.Source {
		case "config":
			meta = append(meta, "in hearth.yaml")
		case "dashboard":
			meta = append(meta, "named on the dashboard")
		}
		if ds.Name == "" {
			nd.Title, nd.Target, nd.Value = "Unknown devices", "group", ds.Group
			meta = append(meta, "every device not named")
			nd.Lines = append(nd.Lines, unnamedLine(s.svc.Devices(), ds.Group))
		}
		if ref := ds.Device; ref != nil {
			meta = append(meta, strings.Join(append(append([]string{}, ref.IP...), ref.MAC...), ", "))
		}
		nd.Meta = strings.Join(meta, " · ")
		nd.UntilErr, nd.Until = v.fieldFor("pause", nd.Target, nd.Value, "until")
		nd.StateText = ps.stateText(ds, at)
		if o := ds.Pause; o != nil {
			nd.Pause = card(&nowOverride{ID: o.ID, Text: "Paused until " + at(o.Until) + " (" + pauseWhose(*o, ds) + ", set by " + o.By + ")"}, nd.Title, "End pause", true)
		}
		if o := ds.LaterBedtime; o != nil {
			nd.Later = card(&nowOverride{ID: o.ID, Text: "Bedtime later tonight: from " + at(o.Until) + " (" + pauseWhose(*o, ds) + ")"}, nd.Title, "Usual bedtime", true)
		}
		if o := ds.EarlyBedtime; o != nil {
			nd.Early = card(&nowOverride{ID: o.ID, Text: "Early bedtime tonight, until " + at(o.Until) + " (" + pauseWhose(*o, ds) + ")"}, nd.Title, "End early bedtime", false)
		}
		nd.Bedtime = ds.Bedtime != nil && ds.EarlyBedtime == nil
		if b := ds.Bedtime; b != nil && !b.Active && !b.Next.IsZero() {
			nd.Lines = append(nd.Lines, "Bedtime from "+at(b.Next))
		}
		// Paused or at bedtime, nothing a rule allows is allowed: only what
		// stays blocked after is said.
		stopped := ds.State == "paused" || ds.State == "bedtime"
		for _, rs := range ds.Rules {
			if stopped && !rs.Blocking {
				continue
			}
			nd.Lines = append(nd.Lines, ps.ruleLine(rs, at))
		}
		for _, o := range ds.Bonuses {
			nd.Bonuses = append(nd.Bonuses, *card(&nowOverride{ID: o.ID, Text: "Bonus: " + s.word(o.What) + " allowed until " + at(o.Until)}, nd.Title, "End bonus", true))
		}
		if !stopped {
			nd.Choices = ps.bonusChoices(ds, st.Now)
		}
		devices = append(devices, nd)
	}
	d.Owners = ps.byOwner(devices, st.Devices, v.CSRF)
	v.Data = d
	return http.StatusOK
}

// extraMinutes is what one tap of "+N min" adds to a daily budget today.
const extraMinutes = 15

// byOwner groups the device cards by child, in the configuration's order
// of people, each with the child's budgets; the devices nobody owns come
// after, each with its own budgets on its card (statuses[i] is cards[i]'s).
func (ps *pageSet) byOwner(cards []nowDevice, statuses []policy.DeviceStatus, csrf string) []nowOwner {
	e := ps.s.opts.Engine
	budgets, _ := e.BudgetStatus(ps.s.opts.Clock.Now(), "")
	lines := func(kind, owner string) []nowBudget {
		var out []nowBudget
		for _, b := range budgets {
			if b.OwnerKind == kind && b.Owner == owner {
				out = append(out, nowBudget{Text: upperFirst(b.Text), Owner: b.Owner, What: b.ID, Label: b.What, Spent: b.Spent,
					Counts: b.Budgeted, Extra: extraMinutes, CSRF: csrf})
			}
		}
		return out
	}
	owned := map[string]bool{}
	var out []nowOwner
	for i, person := range e.People() {
		names, _ := e.PersonDevices(person)
		o := nowOwner{ID: fmt.Sprintf("person-%d", i+1), Person: person, Budgets: lines("person", person)}
		for _, n := range names {
			owned[n] = true
			for j, c := range cards {
				if c.Name == n && statuses[j].Name == n {
					o.Devices = append(o.Devices, c)
				}
			}
		}
		out = append(out, o)
	}
	rest := nowOwner{ID: "others"}
	for _, c := range cards {
		if c.Name == "" || !owned[c.Name] {
			if c.Name != "" {
				c.Budgets = lines("device", c.Name)
			}
			rest.Devices = append(rest.Devices, c)
		}
	}
	return append(out, rest)
}

// pauseWhose says whose an override is, seen from a device's card: "this
// device", "the kids group" or "everyone".
func pauseWhose(o state.Override, ds policy.DeviceStatus) string {
	switch {
	case o.All:
		return "everyone"
	case o.Device != "":
		return "this device"
	}
	if ds.Name == "" {
		return "all unknown devices"
	}
	return "the " + o.Group + " group"
}

// stateText says a device's state (the policy's, never recomputed here)
// in words: "Paused until 18:30", "Gaming blocked until 16:00", "Ads
// always blocked", "Open until 16:00".
func (ps *pageSet) stateText(ds policy.DeviceStatus, at func(time.Time) string) string {
	switch ds.State {
	case "paused":
		return "Paused until " + at(ds.Until)
	case "bedtime":
		return "Bedtime until " + at(ds.Until)
	case "limited":
		// A rule with times first: it is what a parent may lift.
		if text := ps.timedBlocks(ds, at); text != "" {
			return text
		}
		return upperFirst(ps.s.words(ds.Blocked)) + " always blocked"
	}
	if ds.Until.IsZero() {
		return "Open now"
	}
	return "Open until " + at(ds.Until)
}

// ruleLine says what a rule does now: "Gaming allowed until 16:00".
func (ps *pageSet) ruleLine(rs policy.RuleStatus, at func(time.Time) string) string {
	what := ps.s.words(rs.Block)
	if len(rs.Except) > 0 {
		what += " (except " + ps.s.words(rs.Except) + ")"
	}
	what = upperFirst(what)
	switch {
	case rs.Mode == verdict.ModeAlways && len(rs.Bonus) > 0:
		return what + " always blocked; bonus time allows " + ps.s.words(rs.Bonus)
	case rs.Mode == verdict.ModeAlways:
		return what + " always blocked"
	case rs.Blocking && len(rs.Bonus) > 0:
		return what + " blocked until " + at(rs.Next) + "; bonus time allows " + ps.s.words(rs.Bonus)
	case rs.Blocking && rs.Next.IsZero():
		return what + " blocked"
	case rs.Blocking:
		return what + " blocked until " + at(rs.Next)
	case rs.Next.IsZero():
		return what + " allowed"
	}
	return what + " allowed until " + at(rs.Next)
}

// timedBlocks says what rules with times block now, and until when:
// "Gaming blocked until 16:00"; "" if none does.
func (ps *pageSet) timedBlocks(ds policy.DeviceStatus, at func(time.Time) string) string {
	var out []string
	for _, rs := range ds.Rules {
		if rs.Mode == verdict.ModeAlways || !rs.Blocking {
			continue
		}
		var blocked []string
		for _, w := range rs.Block {
			if !contains(rs.Bonus, w) {
				blocked = append(blocked, w)
			}
		}
		if len(blocked) == 0 {
			continue
		}
		line := upperFirst(ps.s.words(blocked)) + " blocked"
		if !rs.Next.IsZero() {
			line += " until " + at(rs.Next)
		}
		out = append(out, line)
	}
	return strings.Join(out, "; ")
}

// bonusChoices are what a scheduled rule blocks now, or starts blocking
// later today, that bonus time may lift: categories and services, not
// domains, nor what an "always" rule or the device's own list blocks (the
// policy refuses what could change nothing, the page offers only what can).
func (ps *pageSet) bonusChoices(ds policy.DeviceStatus, now time.Time) []bonusChoice {
	loc := ps.s.opts.Engine.Location()
	l := now.In(loc)
	endOfDay := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
	var own []string
	for _, rs := range ds.Rules {
		if rs.Mode == verdict.ModeAlways && strings.HasSuffix(rs.Key, ".block") && strings.HasPrefix(rs.Key, "devices") {
			own = rs.Block
		}
	}
	var out []bonusChoice
	seen := map[string]bool{}
	for _, rs := range ds.Rules {
		if rs.Mode == verdict.ModeAlways || !rs.Blocking && (rs.Next.IsZero() || rs.Next.After(endOfDay)) {
			continue
		}
		for _, w := range rs.Block {
			if seen[w] || contains(rs.Bonus, w) || contains(own, w) || !ps.s.opts.Engine.Blockable(w) {
				continue
			}
			seen[w] = true
			out = append(out, bonusChoice{w, ps.s.word(w)})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// overrideForm reads a form of the Now page: device, group or all; what;
// minutes or until ("morning", "21:15"). The form's own words for minutes
// that are not a number; the rules of overrides are the policy's
// (service.AddOverride).
func overrideForm(r *http.Request) (overrideRequest, error) {
	req := overrideRequest{Device: r.PostFormValue("device"), Group: r.PostFormValue("group"), What: r.PostFormValue("what"),
		All: r.PostFormValue("all") != "", Until: r.PostFormValue("until")}
	m := strings.TrimSpace(r.PostFormValue("minutes"))
	if m == "" {
		return req, nil
	}
	n, err := strconv.Atoi(m)
	if err != nil {
		return req, fielderr.New("minutes", "%q is not a whole number of minutes", m)
	}
	req.Minutes = n
	return req, nil
}

func (ps *pageSet) pause(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, state.OverridePause)
}

func (ps *pageSet) bonus(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, state.OverrideBonus)
}

func (ps *pageSet) laterBedtime(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, state.OverrideLaterBedtime)
}

func (ps *pageSet) earlyBedtime(r *http.Request, p Principal) (string, string, string, error) {
	return ps.addOverride(r, p, state.OverrideEarlyBedtime)
}

func (ps *pageSet) addOverride(r *http.Request, p Principal, kind state.OverrideKind) (target, detail, flash string, err error) {
	form, err := overrideForm(r)
	target = form.target()
	if err != nil {
		return target, "", "", err
	}
	now := ps.s.opts.Clock.Now()
	req, err := form.request(kind, p.Who(), now, ps.s.opts.Engine.Location())
	if err != nil {
		return target, "", "", err
	}
	ov, warning, err := ps.s.svc.AddOverride(req)
	if err != nil {
		return target, "", "", err
	}
	detail = ps.s.overrideDetail(ov)
	until := clockText(ov.Until, now, ps.s.opts.Engine.Location())
	switch kind {
	case state.OverridePause:
		flash = "Paused " + overrideTarget(ov) + " until " + until + "."
	case state.OverrideBonus:
		flash = upperFirst(ps.s.word(ov.What)) + " allowed on " + overrideTarget(ov) + " until " + until + "."
	case state.OverrideLaterBedtime:
		flash = "Bedtime for " + overrideTarget(ov) + " starts at " + until + " tonight."
	case state.OverrideEarlyBedtime:
		flash = "Bedtime for " + overrideTarget(ov) + " starts now, until " + until + "."
	}
	if warning != nil {
		flash += " It could not be saved, so it ends if Hearth restarts."
	}
	return ov.Target(), detail, flash, nil
}

// extraBudgetMinutes is the Now page's "+15 min" on a daily budget.
func (ps *pageSet) extraBudgetMinutes(r *http.Request, p Principal) (string, string, string, error) {
	owner, what := r.PostFormValue("owner"), r.PostFormValue("what")
	minutes, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes")))
	if err != nil {
		return owner, "", "", fielderr.New("minutes", "%q is not a whole number of minutes", r.PostFormValue("minutes"))
	}
	ov, warning, err := ps.s.svc.AddExtraMinutes(owner, what, minutes, p.Who())
	if err != nil {
		return owner, "", "", err
	}
	flash := fmt.Sprintf("%d more minutes of %s for %s today.", ov.Minutes, ov.What, owner)
	if warning != nil {
		flash += " They could not be saved, so they end if Hearth restarts."
	}
	return ov.Target(), fmt.Sprintf("+%d minutes of %s today (%s)", ov.Minutes, ov.What, ov.ID), flash, nil
}

// overrideTarget names an override's device or group for a message.
func overrideTarget(o state.Override) string {
	switch {
	case o.Device != "":
		return o.Device
	case o.All:
		return "everyone"
	}
	return "the " + o.Group + " group"
}

func (ps *pageSet) extend(r *http.Request, _ Principal) (string, string, string, error) {
	id := r.PostFormValue("id")
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes")))
	if err != nil {
		return id, "", "", fielderr.New("minutes", "%q is not a whole number of minutes", r.PostFormValue("minutes"))
	}
	ov, warning, err := ps.s.svc.ExtendOverride(id, n)
	if err != nil {
		return id, "", "", err
	}
	flash := "Now until " + clockText(ov.Until, ps.s.opts.Clock.Now(), ps.s.opts.Engine.Location()) + "."
	if ov.Kind == state.OverrideLaterBedtime {
		flash = "Bedtime for " + overrideTarget(ov) + " now starts at " + clockText(ov.Until, ps.s.opts.Clock.Now(), ps.s.opts.Engine.Location()) + "."
	}
	if warning != nil {
		flash += " It could not be saved, so it ends if Hearth restarts."
	}
	return ov.Target(), fmt.Sprintf("%+d minutes: %s", n, ps.s.overrideDetail(ov)), flash, nil
}

func (ps *pageSet) cancel(r *http.Request, _ Principal) (string, string, string, error) {
	id := r.PostFormValue("id")
	o, err := ps.s.svc.CancelOverride(id)
	switch {
	case err != nil:
		return id, "", "", err
	case o.ID == "":
		return id, "", "Ended.", nil
	case o.Kind == state.OverridePause:
		return id, "", "The pause on " + overrideTarget(o) + " has ended.", nil
	case o.Kind == state.OverrideLaterBedtime:
		return id, "", "Bedtime for " + overrideTarget(o) + " is at its usual time again.", nil
	case o.Kind == state.OverrideEarlyBedtime:
		return id, "", "The early bedtime for " + overrideTarget(o) + " has ended.", nil
	}
	return id, "", "Bonus time for " + ps.s.word(o.What) + " on " + overrideTarget(o) + " has ended.", nil
}

// unnamedLine says how many devices seen are not named yet and whose rules
// they get (new_devices.group): "3 devices not named yet: they get the
// kids group's rules".
func unnamedLine(devices []deviceView, group string) string {
	n := 0
	for _, d := range devices {
		if d.Source == "unknown" {
			n++
		}
	}
	switch n {
	case 0:
		return "No devices are waiting for a name; new ones get the " + group + " group's rules."
	case 1:
		return "1 device not named yet: it gets the " + group + " group's rules."
	}
	return fmt.Sprintf("%d devices not named yet: they get the %s group's rules.", n, group)
}
