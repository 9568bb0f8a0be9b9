package policy_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/state"
)

// An evening's pauses, bonus time and bedtimes, at their boundaries, on
// a fake clock: what the rules of overrides accept, and what decide then
// does with it.

var evLondon, _ = time.LoadLocation("Europe/London")

func evAt(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, evLondon)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

type evening struct {
	t   *testing.T
	e   *policy.Engine
	clk *clocktest.Fake
}

func newEvening(t *testing.T, start string) *evening {
	t.Helper()
	cfg := policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Minute},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices: []policy.DeviceConfig{
			{Name: "alex-tablet", IP: []string{"127.0.0.2"}, Group: "kids"},
			{Name: "sam-switch", IP: []string{"127.0.0.3"}, Group: "kids", Block: []string{"tiktok"}},
			{Name: "teen-phone", IP: []string{"127.0.0.4"}, Group: "teens"},
		},
		Groups: map[string]policy.GroupConfig{
			"default": {},
			"kids": {
				Bedtime: []string{"sun-thu 21:30-07:00", "fri,sat 22:30-08:00"},
				Rules: []policy.RuleConfig{
					{Block: []string{"gaming"}, Outside: []string{"mon-fri 16:00-19:00", "sat,sun 10:00-20:00"}},
					{Block: []string{"chat"}},
				},
			},
			"teens": {Rules: []policy.RuleConfig{{Block: []string{"social"}, During: []string{"mon-fri 09:00-15:30"}}}},
		},
	}
	clk := clocktest.New(evAt(t, start))
	return &evening{t: t, e: policytest.Engine(t, cfg, clk), clk: clk}
}

func (ev *evening) set(s string) time.Time {
	ev.t.Helper()
	now := evAt(ev.t, s)
	ev.clk.Set(now)
	return now
}

// add checks req at the clock's now and adds it.
func (ev *evening) add(req state.Request) state.Override {
	ev.t.Helper()
	ov, err := ev.e.CheckOverride(req, ev.clk.Now())
	if err != nil {
		ev.t.Fatalf("%+v: refused: %v", req, err)
	}
	ov, err = ev.e.Overrides().Add(ov)
	if err != nil {
		ev.t.Fatal(err)
	}
	return ov
}

// refused checks that req is refused at the clock's now with a message
// for field containing want.
func (ev *evening) refused(req state.Request, field, want string) {
	ev.t.Helper()
	_, err := ev.e.CheckOverride(req, ev.clk.Now())
	if got := fieldsOf(err)[field]; !strings.Contains(got, want) {
		ev.t.Errorf("%+v: %v (fields %v), want %s: ...%s...", req, err, fieldsOf(err), field, want)
	}
}

func (ev *evening) decide(addr, name string, at time.Time) policy.Decision {
	a := identity.ClientInfo{}
	a.Addr = mustAddr(addr)
	a.Remote = a.Addr
	return ev.e.Decide(policy.Query{Name: name, Client: a, Now: at})
}

func TestPausesOverlapEndLast(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-11-30 17:00:00")
	now := ev.clk.Now()
	group := ev.add(state.Request{Kind: state.OverridePause, Group: "kids", Minutes: 60})
	ev.add(state.Request{Kind: state.OverridePause, Device: "sam-switch", Minutes: 90})
	// alex: the group's; sam: his own, which ends last.
	for _, c := range []struct {
		addr, dev string
		until     time.Time
	}{{"127.0.0.2", "alex-tablet", now.Add(60 * time.Minute)}, {"127.0.0.3", "sam-switch", now.Add(90 * time.Minute)}} {
		d := ev.decide(c.addr, "example.org", now)
		st, _ := ev.e.DeviceStatus(c.dev, now)
		if d.Reason != policy.ReasonPause || !d.Next.Equal(c.until) || st.State != "paused" || !st.Until.Equal(c.until) || !st.Pause.Until.Equal(c.until) {
			t.Errorf("%s: DNS %s until %v, status %s until %v, want paused until %v", c.dev, d.Reason, d.Next, st.State, st.Until, c.until)
		}
		if d.TTL > uint32(c.until.Sub(now)/time.Second) {
			t.Errorf("%s: TTL %d outlives the pause", c.dev, d.TTL)
		}
	}
	// A shorter pause under a longer one changes nothing: refused.
	ev.refused(state.Request{Kind: state.OverridePause, Device: "sam-switch", Minutes: 30}, "minutes", "already paused until 18:30")
	ev.refused(state.Request{Kind: state.OverridePause, Device: "alex-tablet", Minutes: 15}, "minutes", "extend that pause instead")
	// Extended, the group's pause ends last for alex too.
	if _, err := ev.e.Overrides().Extend(group.ID, 45*time.Minute); err != nil {
		t.Fatal(err)
	}
	if d := ev.decide("127.0.0.2", "example.org", now); !d.Next.Equal(now.Add(105 * time.Minute)) {
		t.Errorf("after +45: paused until %v", d.Next)
	}
	if st, _ := ev.e.DeviceStatus("sam-switch", now); !st.Until.Equal(now.Add(105 * time.Minute)) {
		t.Errorf("sam after the group's +45: until %v", st.Until)
	}
}

func TestPauseEveryoneAndMorning(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-11-30 20:00:00")
	ov := ev.add(state.Request{Kind: state.OverridePause, All: true, Morning: true})
	// No bedtime for everyone: 07:00 local.
	if want := ev.set("2026-12-01 07:00:00"); !ov.Until.Equal(want) {
		t.Errorf("everyone until tomorrow morning: %v, want %v", ov.Until, want)
	}
	now := ev.set("2026-11-30 20:00:00")
	for _, addr := range []string{"127.0.0.2", "127.0.0.4", "127.0.0.99"} {
		if d := ev.decide(addr, "example.org", now); d.Reason != policy.ReasonPause {
			t.Errorf("%s: %s, want paused", addr, d.Reason)
		}
	}
	if err := ev.e.Overrides().Cancel(ov.ID); err != nil {
		t.Fatal(err)
	}
	// A device's morning is the end of tonight's bedtime: 07:00 on a school
	// night, 08:00 after a Friday.
	if ov := ev.add(state.Request{Kind: state.OverridePause, Device: "alex-tablet", Morning: true}); !ov.Until.Equal(evAt(t, "2026-12-01 07:00:00")) {
		t.Errorf("alex until tomorrow morning: %v", ov.Until)
	}
	ev.set("2026-12-04 20:00:00")
	if ov := ev.add(state.Request{Kind: state.OverridePause, Group: "kids", Morning: true}); !ov.Until.Equal(evAt(t, "2026-12-05 08:00:00")) {
		t.Errorf("kids on a Friday until tomorrow morning: %v", ov.Until)
	}
	// Only a pause can be for everyone.
	ev.refused(state.Request{Kind: state.OverrideBonus, All: true, What: "gaming", Minutes: 30}, "all", "only a pause")
}

func TestNextIncludesBedtime(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-11-30 17:31:00")
	now := ev.clk.Now()
	d := ev.decide("127.0.0.2", "example.org", now)
	if want := evAt(t, "2026-11-30 21:30:00"); d.Reason != policy.ReasonNone || !d.Next.Equal(want) {
		t.Errorf("an allowed name at 17:31: %s, next %v, want %v", d.Reason, d.Next, want)
	}
	// A name allowed by its window changes first when the window closes;
	// one always blocked, at bedtime (the reason changes); the TTL follows.
	if d := ev.decide("127.0.0.2", "www.roblox.com", now); !d.Next.Equal(evAt(t, "2026-11-30 19:00:00")) {
		t.Errorf("roblox in game time: next %v", d.Next)
	}
	if d := ev.decide("127.0.0.2", "discord.com", now); d.Action != policy.Block || !d.Next.Equal(evAt(t, "2026-11-30 21:30:00")) || d.TTL != 600 {
		t.Errorf("discord: %s next %v TTL %d", d.Action, d.Next, d.TTL)
	}
	if d := ev.decide("127.0.0.2", "discord.com", evAt(t, "2026-11-30 21:25:00")); d.TTL != 300 {
		t.Errorf("discord five minutes before bedtime: TTL %d, want 300", d.TTL)
	}
	// A device's own block list: until bedtime too.
	if d := ev.decide("127.0.0.3", "www.tiktok.com", now); d.Reason != policy.ReasonDevice || !d.Next.Equal(evAt(t, "2026-11-30 21:30:00")) {
		t.Errorf("tiktok on sam: %s next %v", d.Reason, d.Next)
	}
}

func TestBonusBeforeTheCutOff(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-11-30 18:55:00")
	ov := ev.add(state.Request{Kind: state.OverrideBonus, Device: "alex-tablet", What: "gaming", Minutes: 30})
	if want := evAt(t, "2026-11-30 19:30:00"); !ov.Until.Equal(want) {
		t.Fatalf("30 more minutes at 18:55 before a 19:00 cut-off: until %v, want %v", ov.Until, want)
	}
	for _, c := range []struct {
		at     string
		action policy.Action
		reason policy.Reason
		next   string
	}{
		{"2026-11-30 18:59:59", policy.Allow, policy.ReasonWindow, "2026-11-30 19:00:00"},
		{"2026-11-30 19:00:00", policy.Allow, policy.ReasonBonus, "2026-11-30 19:30:00"},
		{"2026-11-30 19:29:59", policy.Allow, policy.ReasonBonus, "2026-11-30 19:30:00"},
		{"2026-11-30 19:30:00", policy.Block, policy.ReasonRule, "2026-11-30 21:30:00"},
	} {
		d := ev.decide("127.0.0.2", "www.roblox.com", evAt(t, c.at))
		if d.Action != c.action || d.Reason != c.reason || !d.Next.Equal(evAt(t, c.next)) {
			t.Errorf("%s: %s %s next %v, want %s %s next %s", c.at, d.Action, d.Reason, d.Next.In(evLondon), c.action, c.reason, c.next)
		}
	}
	// The other child is not covered.
	if d := ev.decide("127.0.0.3", "www.roblox.com", evAt(t, "2026-11-30 19:10:00")); d.Action != policy.Block {
		t.Errorf("sam at 19:10: %s", d.Action)
	}
	// A service of the category counts: bonus time for roblox is for gaming's rule.
	ev.set("2026-11-30 19:05:00")
	if ov := ev.add(state.Request{Kind: state.OverrideBonus, Device: "sam-switch", What: "roblox", Minutes: 15}); !ov.Until.Equal(evAt(t, "2026-11-30 19:20:00")) {
		t.Errorf("roblox for sam at 19:05: until %v", ov.Until)
	}
	if d := ev.decide("127.0.0.3", "www.roblox.com", evAt(t, "2026-11-30 19:10:00")); d.Reason != policy.ReasonBonus {
		t.Errorf("sam's roblox bonus: %s", d.Reason)
	}
	// Until an instant before the cut-off changes nothing.
	ev.set("2026-11-30 17:00:00")
	ev.refused(state.Request{Kind: state.OverrideBonus, Device: "alex-tablet", What: "gaming", Until: evAt(t, "2026-11-30 18:00:00")}, "until", "not blocked until 19:00")
}

func TestRefusedOverrides(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-11-30 21:45:00")
	bonus := func(dev, what string) state.Request {
		return state.Request{Kind: state.OverrideBonus, Device: dev, What: what, Minutes: 30}
	}
	ev.refused(bonus("alex-tablet", "gaming"), "what", "use 'later bedtime tonight'")
	ev.refused(state.Request{Kind: state.OverrideBonus, Group: "kids", What: "gaming", Minutes: 30}, "what", "bedtime until 07:00 tomorrow")
	ev.refused(state.Request{Kind: state.OverridePause, Device: "alex-tablet", Minutes: 15}, "minutes", "bedtime for alex-tablet until 07:00 tomorrow")
	ev.refused(state.Request{Kind: state.OverrideEarlyBedtime, Device: "alex-tablet"}, "kind", "already bedtime")
	ev.set("2026-11-30 17:00:00")
	ev.refused(bonus("sam-switch", "tiktok"), "what", "blocked by sam-switch's own block list")
	ev.refused(bonus("sam-switch", "social"), "what", "sam-switch's own block list") // tiktok is social
	ev.refused(bonus("teen-phone", "social"), "what", "nothing blocks social for teen-phone now or later today")
	ev.refused(bonus("alex-tablet", "gambling"), "what", "nothing blocks gambling")
	ev.refused(state.Request{Kind: state.OverrideLaterBedtime, Device: "teen-phone", Minutes: 30}, "kind", "teen-phone has no bedtime")
	// Accepted: what a rule blocks now (chat), or later today (social at
	// 08:00 for the teen: 09:00 is the cut-off).
	ev.add(bonus("sam-switch", "chat"))
	ev.set("2026-12-01 08:00:00")
	if ov := ev.add(bonus("teen-phone", "social")); !ov.Until.Equal(evAt(t, "2026-12-01 09:30:00")) {
		t.Errorf("social at 08:00: until %v", ov.Until)
	}
}

func TestLaterAndEarlyBedtime(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-11-30 21:00:00")
	later := ev.add(state.Request{Kind: state.OverrideLaterBedtime, Group: "kids", Minutes: 30})
	if want := evAt(t, "2026-11-30 22:00:00"); !later.Until.Equal(want) {
		t.Fatalf("later by 30: until %v", later.Until)
	}
	for _, c := range []struct {
		at     string
		reason policy.Reason
		next   string
	}{
		{"2026-11-30 21:00:00", policy.ReasonNone, "2026-11-30 22:00:00"},
		{"2026-11-30 21:45:00", policy.ReasonNone, "2026-11-30 22:00:00"},
		{"2026-11-30 22:00:00", policy.ReasonBedtime, "2026-12-01 07:00:00"},
	} {
		at := evAt(t, c.at)
		d := ev.decide("127.0.0.2", "example.org", at)
		st, _ := ev.e.DeviceStatus("alex-tablet", at)
		if d.Reason != c.reason || !d.Next.Equal(evAt(t, c.next)) || !st.Until.Equal(d.Next) {
			t.Errorf("%s: %s next %v; status %s until %v", c.at, d.Reason, d.Next.In(evLondon), st.State, st.Until.In(evLondon))
		}
		if (st.State == "bedtime") != (d.Reason == policy.ReasonBedtime) || st.LaterBedtime == nil != (c.reason == policy.ReasonBedtime) {
			t.Errorf("%s: status %s, later %v", c.at, st.State, st.LaterBedtime)
		}
	}
	ev.set("2026-11-30 21:45:00")
	ev.refused(state.Request{Kind: state.OverrideLaterBedtime, Device: "alex-tablet", Minutes: 60}, "kind", "already later tonight")
	if err := ev.e.Overrides().Cancel(later.ID); err != nil {
		t.Fatal(err)
	}
	// Asked during bedtime: from its usual start.
	ev.refused(state.Request{Kind: state.OverrideLaterBedtime, Device: "alex-tablet", Minutes: 10}, "minutes", "already past")
	if ov := ev.add(state.Request{Kind: state.OverrideLaterBedtime, Device: "alex-tablet", Minutes: 30}); !ov.Until.Equal(evAt(t, "2026-11-30 22:00:00")) {
		t.Errorf("later by 30 at 21:45: until %v", ov.Until)
	}
	if d := ev.decide("127.0.0.2", "example.org", ev.clk.Now()); d.Reason != policy.ReasonNone {
		t.Errorf("alex at 21:45, bedtime 30 later: %s", d.Reason)
	}
	if d := ev.decide("127.0.0.3", "example.org", ev.clk.Now()); d.Reason != policy.ReasonBedtime {
		t.Errorf("sam at 21:45: %s", d.Reason)
	}

	// Early bedtime: from now until tonight's bedtime ends.
	now := ev.set("2026-12-01 19:30:00")
	early := ev.add(state.Request{Kind: state.OverrideEarlyBedtime, Device: "sam-switch"})
	if want := evAt(t, "2026-12-02 07:00:00"); !early.Until.Equal(want) {
		t.Errorf("early bedtime: until %v", early.Until)
	}
	d := ev.decide("127.0.0.3", "example.org", now)
	st, _ := ev.e.DeviceStatus("sam-switch", now)
	if d.Reason != policy.ReasonBedtime || !d.Next.Equal(early.Until) || st.State != "bedtime" || !st.Until.Equal(early.Until) {
		t.Errorf("early bedtime: DNS %s until %v; status %s until %v", d.Reason, d.Next, st.State, st.Until)
	}
	ev.refused(state.Request{Kind: state.OverrideBonus, Device: "sam-switch", What: "chat", Minutes: 30}, "what", "later bedtime tonight")
	if d := ev.decide("127.0.0.2", "example.org", now); d.Reason != policy.ReasonNone {
		t.Errorf("alex is not in bed early: %s", d.Reason)
	}
	// Without a bedtime, an early bedtime lasts until 07:00.
	if ov := ev.add(state.Request{Kind: state.OverrideEarlyBedtime, Group: "teens"}); !ov.Until.Equal(evAt(t, "2026-12-02 07:00:00")) {
		t.Errorf("teens' early bedtime: until %v", ov.Until)
	}
}

// TestLaterBedtimeAcrossTheAutumnChange: "N minutes later" is N real
// minutes. Saturday 24 October 2026, bedtime 22:30 BST; four hours later is
// 01:30 GMT, the second 01:30 of the night (01:30 BST is only three).
func TestLaterBedtimeAcrossTheAutumnChange(t *testing.T) {
	t.Parallel()
	ev := newEvening(t, "2026-10-24 22:00:00")
	ov := ev.add(state.Request{Kind: state.OverrideLaterBedtime, Device: "alex-tablet", Minutes: 240})
	want := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)
	if !ov.Until.Equal(want) {
		t.Fatalf("later by 240 from 22:30 BST: until %v, want %v", ov.Until.UTC(), want)
	}
	for _, c := range []struct {
		at     time.Time
		reason policy.Reason
	}{
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), policy.ReasonNone}, // the first 01:30 (BST)
		{want.Add(-time.Second), policy.ReasonNone},
		{want, policy.ReasonBedtime},
	} {
		d := ev.decide("127.0.0.2", "example.org", c.at)
		if d.Reason != c.reason {
			t.Errorf("%v: %s, want %s", c.at, d.Reason, c.reason)
		}
		if c.reason == policy.ReasonNone && !d.Next.Equal(want) {
			t.Errorf("%v: next %v, want %v", c.at, d.Next, want)
		}
		if c.reason == policy.ReasonBedtime && !d.Next.Equal(time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("bedtime ends %v, want 08:00 GMT", d.Next)
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
