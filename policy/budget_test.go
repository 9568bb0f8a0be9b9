package policy

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/words"
)

func dur(d time.Duration) *time.Duration { return &d }

// budgetFamily: alex owns a tablet and a switch; sam's phone is nobody's.
// Gaming: 60 minutes on school days, 120 at weekends, 90 in the holidays,
// and only 16:00-21:00 on weekdays; YouTube 30 minutes every day.
func budgetFamily() Config {
	return Config{
		Timezone: "Europe/London",
		Calendar: CalendarConfig{Holidays: []string{"2026-12-19..2027-01-04 christmas"}},
		Blocking: BlockingConfig{Response: ResponseNXDomain, TTL: 300 * time.Second},
		Identify: IdentifyConfig{Refresh: 30 * time.Second},
		Devices: []DeviceConfig{
			{Name: "alex-tablet", IP: []string{"127.0.0.21"}},
			{Name: "alex-switch", IP: []string{"127.0.0.22"}},
			{Name: "sam-phone", IP: []string{"127.0.0.23"}, Group: "kids"},
		},
		People: []PersonConfig{{Name: "alex", Devices: []string{"alex-tablet", "alex-switch"}, Group: "kids"}},
		Groups: map[string]GroupConfig{
			"kids": {
				Rules: []RuleConfig{{Block: []string{"gaming"}, Outside: []string{"mon-fri 16:00-21:00", "sat,sun 08:00-21:00"}}},
				Budgets: []BudgetConfig{
					{What: []string{"gaming"}, SchoolDays: dur(60 * time.Minute), Weekends: dur(120 * time.Minute), Holidays: dur(90 * time.Minute)},
					{What: []string{"youtube"}, Daily: dur(30 * time.Minute)},
				},
			},
		},
	}
}

// backgroundCatalogue is the built-in catalogue with two background hosts
// for Roblox (test data, not vendor facts).
func backgroundCatalogue() *blocklists.Catalogue {
	c := *blocklists.Builtin()
	c.Services = slices.Clone(c.Services)
	for i := range c.Services {
		if c.Services[i].ID == "roblox" {
			c.Services[i].Background = []string{"ephemeralcounters.api.roblox.com", "notifications.roblox.com"}
		}
	}
	return &c
}

type budgetRig struct {
	t     *testing.T
	e     *Engine
	clk   *clocktest.Fake
	store *state.Budgets
}

func newBudgetRig(t *testing.T, cfg Config, start time.Time, store *state.Budgets) *budgetRig {
	t.Helper()
	cat := backgroundCatalogue()
	if errs := cfg.Validate(cat, listCats); len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	if store == nil {
		store, _ = state.OpenBudgets("")
	}
	clk := clocktest.New(start)
	e, err := NewEngine(cfg, Options{ListCategories: listCats, Clock: clk, Catalogue: cat, Budgets: store})
	if err != nil {
		t.Fatal(err)
	}
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour}, blocklists.Options{Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		t.Fatal(err)
	}
	e.SetLists(c)
	return &budgetRig{t: t, e: e, clk: clk, store: store}
}

// ask is one lookup by addr at the clock's now, counted as the resolver
// counts it.
func (r *budgetRig) ask(addr, name string) Decision {
	c := client(addr)
	now := r.clk.Now()
	who := r.e.Identify(&c, now)
	var d Decision
	r.e.DecideInto(&d, name, who, now)
	r.e.LookedUp(who, &d, now)
	d.Own(name)
	return d
}

// play asks name from addr once a minute for n minutes, from the clock's
// now, and returns the last decision.
func (r *budgetRig) play(addr, name string, n int) Decision {
	var d Decision
	for range n {
		d = r.ask(addr, name)
		r.clk.Advance(time.Minute)
	}
	return d
}

func (r *budgetRig) budget(owner, what string) BudgetStatus {
	r.t.Helper()
	st, err := r.e.BudgetStatus(r.clk.Now(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, b := range st {
		if b.Owner == owner && b.ID == what {
			return b
		}
	}
	r.t.Fatalf("no budget %s of %s in %+v", what, owner, st)
	return BudgetStatus{}
}

const (
	alexTablet = "127.0.0.21"
	alexSwitch = "127.0.0.22"
	samPhone   = "127.0.0.23"
)

// Two devices of one child share the minutes, a minute used on both counts
// once, and the 61st minute of a school day is blocked with the budget's
// words, until midnight.
func TestBudgetTwoDevicesOneChild(t *testing.T) {
	t.Parallel()
	r := newBudgetRig(t, budgetFamily(), at("2026-11-26 16:00:00"), nil) // Thursday: school day
	// 20 minutes on the tablet, then 20 on both at once, then the switch.
	r.play(alexTablet, "www.roblox.com", 20)
	for range 20 {
		r.ask(alexTablet, "www.roblox.com")
		r.clk.Advance(20 * time.Second)
		r.ask(alexSwitch, "setup.rbxcdn.com")
		r.clk.Advance(40 * time.Second)
	}
	if b := r.budget("alex", "gaming"); b.Used != 40 || b.Left != 20 || b.Spent || b.Minutes != 60 || b.Day != "school day" {
		t.Fatalf("after 40 minutes: %+v", b)
	}
	// Sam's phone is nobody's: its own count.
	r.ask(samPhone, "www.roblox.com")
	if b := r.budget("sam-phone", "gaming"); b.Used != 1 {
		t.Errorf("sam: %+v", b)
	}
	d := r.play(alexSwitch, "www.roblox.com", 20) // minutes 41..60
	if d.Action != Allow {
		t.Fatalf("60th minute: %+v", d)
	}
	// A second lookup in the 60th minute still finishes it.
	r.clk.Advance(-30 * time.Second)
	if d := r.ask(alexTablet, "www.roblox.com"); d.Action != Allow {
		t.Fatalf("60th minute, again: %+v", d)
	}
	r.clk.Advance(30 * time.Second)
	d = r.ask(alexTablet, "www.roblox.com")
	if d.Action != Block || d.Reason != ReasonBudget || d.Rule != "groups.kids.budgets[0]" || d.Service != "roblox" {
		t.Fatalf("61st minute: %+v", d)
	}
	f := d.Facts()
	if got := words.Short(&f); got != "gaming: 60 of 60 minutes used today" {
		t.Errorf("EDE text %q", got)
	}
	if !d.Next.Equal(at("2026-11-26 21:00:00")) { // the window closes before midnight
		t.Errorf("next %v, want 21:00", d.Next)
	}
	if b := r.budget("alex", "gaming"); b.Used != 60 || !b.Spent || b.Left != 0 {
		t.Errorf("spent: %+v", b)
	}
	// The other device too; other names and budgets not.
	if d := r.ask(alexSwitch, "www.roblox.com"); d.Reason != ReasonBudget {
		t.Errorf("switch: %+v", d)
	}
	if d := r.ask(alexSwitch, "www.youtube.com"); d.Action != Allow {
		t.Errorf("youtube: %+v", d)
	}
	if d := r.ask(samPhone, "www.roblox.com"); d.Action != Allow {
		t.Errorf("sam: %+v", d)
	}
	// A closed window still says so (the rule comes first).
	r.clk.Set(at("2026-11-26 21:30:00"))
	if d := r.ask(alexTablet, "www.roblox.com"); d.Reason != ReasonRule {
		t.Errorf("after the window: %+v", d)
	}
	// Midnight: a new day, a new count.
	r.clk.Set(at("2026-11-27 16:00:00"))
	if d := r.ask(alexTablet, "www.roblox.com"); d.Action != Allow {
		t.Errorf("next day: %+v", d)
	}
	if b := r.budget("alex", "gaming"); b.Used != 1 {
		t.Errorf("next day: %+v", b)
	}
}

// Background hosts are neither counted nor blocked; a running budget caps
// the answer's lifetime at a minute; names outside every budget are not
// counted.
func TestBudgetBackgroundAndTTL(t *testing.T) {
	t.Parallel()
	r := newBudgetRig(t, budgetFamily(), at("2026-11-26 16:00:00"), nil)
	for range 30 {
		if d := r.ask(alexTablet, "notifications.roblox.com"); d.Action != Allow {
			t.Fatalf("background: %+v", d)
		}
		r.ask(alexTablet, "eu.ephemeralcounters.api.roblox.com")
		r.ask(alexTablet, "www.example.com")
		r.clk.Advance(time.Minute)
	}
	if b := r.budget("alex", "gaming"); b.Used != 0 {
		t.Fatalf("background counted: %+v", b)
	}
	// No rule's or budget's sources include the background source.
	bd := r.e.cur.Load()
	if !bd.lists.HasBackground {
		t.Fatal("no background source")
	}
	for _, g := range bd.plan.groupList {
		for _, ru := range g.rules {
			if ru.block.lists.Has(bd.lists.Background) || ru.except.lists.Has(bd.lists.Background) {
				t.Errorf("%s names the background source", ru.key)
			}
		}
		for _, bu := range g.budgets {
			if bu.names.lists.Has(bd.lists.Background) {
				t.Errorf("%s names the background source", bu.key)
			}
		}
	}
	now := r.clk.Now()
	d := r.ask(alexTablet, "www.roblox.com")
	if d.Action != Allow || !d.Expires().Equal(now.Add(time.Minute)) {
		t.Errorf("running budget: answers expire %v, want a minute after %v", d.Expires(), now)
	}
	if !d.Next.Equal(now.Add(60 * time.Minute)) { // the earliest it can be used up
		t.Errorf("running budget: next %v, want %v", d.Next, now.Add(60*time.Minute))
	}
	// Spent: background hosts still resolve.
	r.play(alexTablet, "www.roblox.com", 60)
	if d := r.ask(alexTablet, "www.roblox.com"); d.Reason != ReasonBudget {
		t.Fatalf("spent: %+v", d)
	}
	if d := r.ask(alexTablet, "notifications.roblox.com"); d.Action != Allow {
		t.Errorf("background after spent: %+v", d)
	}
}

// School day, weekend and holiday amounts; extra minutes add to today's
// and end at midnight.
func TestBudgetDaysAndBonus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		when string
		want int
		day  string
	}{
		{"2026-11-26 16:00:00", 60, "school day"},
		{"2026-11-28 10:00:00", 120, "weekend"},
		{"2026-12-21 16:00:00", 90, "holiday"}, // a Monday in the christmas holidays
		{"2026-12-19 10:00:00", 90, "holiday"}, // a Saturday in them: holidays win
	} {
		r := newBudgetRig(t, budgetFamily(), at(tc.when), nil)
		if b := r.budget("alex", "gaming"); b.Minutes != tc.want || b.Day != tc.day || !b.Budgeted {
			t.Errorf("%s: %+v", tc.when, b)
		}
		r.play(alexTablet, "www.roblox.com", tc.want)
		if d := r.ask(alexTablet, "www.roblox.com"); d.Reason != ReasonBudget {
			t.Errorf("%s: after %d minutes: %+v", tc.when, tc.want, d)
		}
	}

	r := newBudgetRig(t, budgetFamily(), at("2026-11-26 16:00:00"), nil)
	r.play(alexSwitch, "www.roblox.com", 60)
	if d := r.ask(alexSwitch, "www.roblox.com"); d.Reason != ReasonBudget {
		t.Fatalf("spent: %+v", d)
	}
	// Bonus time does not lift a budget: extra minutes do.
	if _, err := r.e.CheckOverride(state.Request{Kind: state.OverrideBonus, Device: "alex-tablet", What: "gaming", Minutes: 15}, r.clk.Now()); err == nil ||
		!strings.Contains(err.Error(), "its daily budget (gaming: 60 of 60 minutes used today; give extra minutes instead)") {
		t.Errorf("bonus time on a spent budget: %v", err)
	}
	ov, err := r.e.CheckOverride(state.Request{Kind: state.OverrideMinutes, Person: "alex", What: "gaming", Minutes: 15, By: "test"}, r.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ov.Person != "alex" || ov.What != "gaming" || !ov.Until.Equal(at("2026-11-27 00:00:00")) {
		t.Errorf("override %+v", ov)
	}
	if _, err := r.e.Overrides().Add(ov); err != nil {
		t.Fatal(err)
	}
	if b := r.budget("alex", "gaming"); b.Bonus != 15 || b.Allowed != 75 || b.Left != 15 || b.Spent {
		t.Errorf("with bonus: %+v", b)
	}
	d := r.play(alexTablet, "www.roblox.com", 15)
	if d.Action != Allow {
		t.Errorf("bonus minutes: %+v", d)
	}
	d = r.ask(alexTablet, "www.roblox.com")
	if f := d.Facts(); d.Reason != ReasonBudget || words.Short(&f) != "gaming: 75 of 75 minutes used today" {
		t.Errorf("bonus used: %+v", d)
	}
	// Refused: an unknown person (with a suggestion), a budget they do not
	// have, a device that belongs to a person.
	for _, tc := range []struct {
		req  state.Request
		want string
	}{
		{state.Request{Kind: state.OverrideMinutes, Person: "alx", What: "gaming", Minutes: 5}, `no person "alx" (did you mean "alex"?)`},
		{state.Request{Kind: state.OverrideMinutes, Person: "alex", What: "tiktok", Minutes: 5}, `alex has no budget for "tiktok"`},
		{state.Request{Kind: state.OverrideMinutes, Device: "alex-tablet", What: "gaming", Minutes: 5}, "alex-tablet belongs to alex"},
		{state.Request{Kind: state.OverrideMinutes, Person: "alex", What: "gaming"}, "outside 1..1440"},
	} {
		if _, err := r.e.CheckOverride(tc.req, r.clk.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.req, err, tc.want)
		}
	}
}

// Counts belong to the household's day: midnight is local, on the 23-hour
// and the 25-hour day alike, and every real minute of the long day counts.
func TestBudgetMidnightAcrossDST(t *testing.T) {
	t.Parallel()
	cfg := budgetFamily()
	g := cfg.Groups["kids"]
	g.Rules = nil // no window: play at any hour
	g.Budgets = []BudgetConfig{{What: []string{"gaming"}, Daily: dur(1440 * time.Minute)}}
	cfg.Groups["kids"] = g
	for _, tc := range []struct {
		day        string // the DST day, from 00:00 local
		minutes    int    // its length
		nextMidnit string
	}{
		{"2026-03-29", 23 * 60, "2026-03-30 00:00:00"},
		{"2026-10-25", 25 * 60, "2026-10-26 00:00:00"},
	} {
		start := at(tc.day + " 00:00:00")
		r := newBudgetRig(t, cfg, start.Add(-10*time.Minute), nil)
		r.play(alexTablet, "www.roblox.com", 10) // the evening before
		if b := r.budget("alex", "gaming"); b.Used != 0 || !b.Until.Equal(at(tc.nextMidnit)) {
			t.Errorf("%s: at midnight: %+v", tc.day, b)
		}
		// Every real minute counts: on the 25-hour day the 1440 minutes
		// are used at 23:00, and the 1441st is blocked; the 23-hour day
		// has only 1380.
		r.play(alexTablet, "www.roblox.com", min(tc.minutes, 1440))
		if tc.minutes > 1440 {
			d := r.ask(alexTablet, "www.roblox.com")
			if b := r.budget("alex", "gaming"); d.Reason != ReasonBudget || b.Used != 1440 || !b.Spent || r.clk.Now().In(london).Hour() != 23 {
				t.Errorf("%s: at %v: %v, %+v", tc.day, r.clk.Now().In(london), d.Reason, b)
			}
		}
		if tc.minutes < 1440 && !r.clk.Now().Equal(at(tc.nextMidnit)) {
			t.Errorf("%s: the day ended at %v", tc.day, r.clk.Now())
		}
		r.clk.Set(at(tc.nextMidnit).Add(-time.Second))
		if b := r.budget("alex", "gaming"); b.Used != min(tc.minutes, 1440) || b.Left != max(0, 1440-tc.minutes) {
			t.Errorf("%s: a second before midnight: %+v", tc.day, b)
		}
		r.clk.Advance(time.Second)
		if b := r.budget("alex", "gaming"); b.Used != 0 {
			t.Errorf("%s: after midnight: %+v", tc.day, b)
		}
	}
}

// A restart in the middle of a day keeps the minutes used (the store is
// saved and read again), and a reload keeps them too.
func TestBudgetRestartAndReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), state.BudgetsFile)
	store, err := state.OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newBudgetRig(t, budgetFamily(), at("2026-11-26 16:00:00"), store)
	r.play(alexTablet, "www.roblox.com", 25)
	// A reload (as internal/app does it: prepare, then apply; a new plan)
	// keeps the counters, and so does SetConfig.
	pp, err := r.e.Prepare(budgetFamily(), listCats)
	if err != nil {
		t.Fatal(err)
	}
	r.e.Apply(pp)
	r.play(alexSwitch, "www.roblox.com", 2)
	if err := r.e.SetConfig(budgetFamily(), listCats); err != nil {
		t.Fatal(err)
	}
	r.play(alexSwitch, "www.roblox.com", 3)
	if b := r.budget("alex", "gaming"); b.Used != 30 {
		t.Fatalf("after reload: %+v", b)
	}
	if err := store.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := state.OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	r2 := newBudgetRig(t, budgetFamily(), r.clk.Now(), again)
	if b := r2.budget("alex", "gaming"); b.Used != 30 || b.Left != 30 {
		t.Fatalf("after restart: %+v", b)
	}
	r2.play(alexTablet, "www.roblox.com", 30)
	if d := r2.ask(alexSwitch, "www.roblox.com"); d.Reason != ReasonBudget {
		t.Errorf("after restart, 60 minutes: %+v", d)
	}
	// The next day the saved count is yesterday's: nothing used.
	r3 := newBudgetRig(t, budgetFamily(), at("2026-11-27 16:00:00"), again)
	if b := r3.budget("alex", "gaming"); b.Used != 0 {
		t.Errorf("next day: %+v", b)
	}
}

// A person's budget for the same what replaces the group's; the status can
// be asked for one person, and an unknown person is an error suggesting
// the name.
func TestBudgetPersonReplacesGroup(t *testing.T) {
	t.Parallel()
	cfg := budgetFamily()
	cfg.People[0].Budgets = []BudgetConfig{{What: []string{"gaming"}, Daily: dur(45 * time.Minute)}}
	r := newBudgetRig(t, cfg, at("2026-11-26 16:00:00"), nil)
	st, err := r.e.BudgetStatus(r.clk.Now(), "alex")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range st {
		got = append(got, b.ID+"="+b.Key)
		if b.Owner != "alex" || !slices.Equal(b.Devices, []string{"alex-tablet", "alex-switch"}) {
			t.Errorf("owner %+v", b)
		}
	}
	if want := []string{"gaming=people[0].budgets[0]", "youtube=groups.kids.budgets[1]"}; !slices.Equal(got, want) {
		t.Errorf("alex's budgets %v, want %v", got, want)
	}
	r.play(alexTablet, "www.roblox.com", 45)
	if d := r.ask(alexTablet, "www.roblox.com"); d.Reason != ReasonBudget || d.Rule != "people[0].budgets[0]" {
		t.Errorf("45 minutes: %+v", d)
	}
	if _, err := r.e.BudgetStatus(r.clk.Now(), "alexx"); err == nil || !strings.Contains(err.Error(), `did you mean "alex"?`) {
		t.Errorf("unknown person: %v", err)
	}
}

// The engine saves the minutes used when it stops (and once a minute
// while it runs), off the query path.
func TestBudgetsSavedOnStop(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), state.BudgetsFile)
	store, err := state.OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newBudgetRig(t, budgetFamily(), at("2026-11-26 16:00:00"), store)
	r.play(alexTablet, "www.roblox.com", 7)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.e.runBudgets(ctx, func(err error) { t.Error(err) })
	}()
	cancel()
	<-done
	again, err := state.OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	if r2 := newBudgetRig(t, budgetFamily(), r.clk.Now(), again); r2.budget("alex", "gaming").Used != 7 {
		t.Errorf("saved on stop: %+v", r2.budget("alex", "gaming"))
	}
}
