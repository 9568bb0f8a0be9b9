package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/policy/verdict"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	e := newFamilyEngine(t, family())
	// Thursday 26 November 2026, 17:30: game time (16:00-19:00), chat hours
	// (07:00-21:00), the video rule's hour (17:00-18:00).
	now := at("2026-11-26 17:30:00")
	st, ok := e.DeviceStatus("Sam-Switch", now)
	if !ok {
		t.Fatal("sam-switch not found")
	}
	if st.Name != "sam-switch" || st.Group != "kids" || st.Source != "config" || st.State != "limited" {
		t.Fatalf("status = %+v", st)
	}
	if !slices.Equal(st.Device.IP, []string{"127.0.0.40"}) {
		t.Errorf("device IP = %v", st.Device.IP)
	}
	// epic-games: the device's own block entries, at all times (the Now
	// page and /api/status said nothing of them, while DNS blocked).
	wantBlocked := []string{"ads", "bypass", "vpn", "gambling", "distractions", "video", "epic-games"}
	if !slices.Equal(st.Blocked, wantBlocked) {
		t.Errorf("blocked = %v, want %v", st.Blocked, wantBlocked)
	}
	if !slices.Equal(st.Allowed, []string{"gaming", "chat"}) {
		t.Errorf("allowed = %v", st.Allowed)
	}
	// The next change: the video hour ends at 18:00.
	if want := at("2026-11-26 18:00:00"); !st.Until.Equal(want) {
		t.Errorf("until = %v, want %v", st.Until, want)
	}
	if st.Bedtime == nil || st.Bedtime.Active || !st.Bedtime.Next.Equal(at("2026-11-26 21:30:00")) {
		t.Errorf("bedtime = %+v", st.Bedtime)
	}
	games := st.Rules[3] // after blocking.block, bypass protection, rules[0]
	if games.Key != "groups.kids.rules[1]" || games.Blocking || games.Mode != verdict.ModeOutside || !games.Next.Equal(at("2026-11-26 19:00:00")) {
		t.Errorf("gaming rule = %+v", games)
	}

	// Bedtime wins, until the morning.
	st, _ = e.DeviceStatus("sam-switch", at("2026-11-26 22:00:00"))
	if st.State != "bedtime" || !st.Until.Equal(at("2026-11-27 07:00:00")) {
		t.Errorf("at 22:00: state %s until %v", st.State, st.Until)
	}

	// Bonus time for gaming at 20:00 lifts the rule; a pause wins over all.
	if _, err := e.Overrides().Add(state.Override{Kind: state.OverrideBonus, Device: "sam-switch", What: "gaming", Until: at("2026-11-26 20:30:00")}); err != nil {
		t.Fatal(err)
	}
	st, _ = e.DeviceStatus("sam-switch", at("2026-11-26 20:00:00"))
	if slices.Contains(st.Blocked, "gaming") || !slices.Contains(st.Allowed, "gaming") || len(st.Bonuses) != 1 {
		t.Errorf("with bonus: blocked %v allowed %v bonuses %v", st.Blocked, st.Allowed, st.Bonuses)
	}
	if _, err := e.Overrides().Add(state.Override{Kind: state.OverridePause, Group: "kids", Until: at("2026-11-26 20:15:00")}); err != nil {
		t.Fatal(err)
	}
	st, _ = e.DeviceStatus("sam-switch", at("2026-11-26 20:00:00"))
	if st.State != "paused" || st.Pause == nil || !st.Until.Equal(at("2026-11-26 20:15:00")) {
		t.Errorf("paused: %+v", st)
	}

	all := e.Status(now)
	if len(all) != 4 || all[3].Name != "" || all[3].Source != "unknown" || all[3].Group != "default" || all[3].State != "limited" {
		t.Errorf("status of all: %d devices, last %+v", len(all), all[len(all)-1])
	}
	if _, ok := e.DeviceStatus("nobody", now); ok {
		t.Error("an unknown device has a status")
	}
}

func TestAssign(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "assignments.json")
	store, err := state.OpenAssignments(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := family()
	e, err := NewEngine(cfg, Options{ListCategories: listCats, Assignments: store})
	if err != nil {
		t.Fatal(err)
	}
	e.SetLists(compiled(t))
	now := at("2026-11-26 23:00:00") // the kids' bedtime
	unknown := client("127.0.0.77")
	if d := e.Decide(Query{Name: "example.com", Client: unknown, Now: now}); d.Action != Allow || d.Device != "" {
		t.Fatalf("before: %+v", d)
	}

	errCases := []struct {
		as   state.Assignment
		want error
	}{
		{state.Assignment{Key: "ip:127.0.0.77", Name: "alex-tablet", Group: "kids"}, ErrConfigured}, // a name from the file
		{state.Assignment{Key: "ip:127.0.0.40", Name: "switch-2", Group: "kids"}, ErrConfigured},    // an address from the file
		{state.Assignment{Key: "mac:3c:22:fb:12:34:56", Name: "tab", Group: "kids"}, ErrConfigured}, // a MAC from the file
		{state.Assignment{Key: "ip:127.0.0.77", Name: "guest", Group: "teens"}, ErrUnknownGroup},
	}
	for _, c := range errCases {
		if err := e.Assign(c.as); !errors.Is(err, c.want) {
			t.Errorf("Assign(%+v) = %v, want %v", c.as, err, c.want)
		}
	}
	for _, bad := range []state.Assignment{{Key: "127.0.0.77", Name: "x"}, {Key: "ip:127.0.0.77", Name: ""}, {Key: "ip:127.0.0.77", Name: " x"}} {
		if err := e.Assign(bad); err == nil {
			t.Errorf("Assign(%+v) accepted", bad)
		}
	}

	// In a /28 of the file (parents-laptop), a single address is more
	// specific and may be named.
	if err := e.Assign(state.Assignment{Key: "ip:127.0.0.77", Name: "Robin's phone", Group: "kids", By: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Assign(state.Assignment{Key: "ip:127.0.0.5", Name: "robin's PHONE", Group: "kids"}); !errors.Is(err, ErrNameTaken) {
		t.Errorf("same name twice: %v", err)
	}
	d := e.Decide(Query{Name: "example.com", Client: unknown, Now: now})
	if d.Action != Block || d.Reason != ReasonBedtime || d.Device != "Robin's phone" {
		t.Fatalf("after assigning: %+v", d)
	}
	if err := e.Assign(state.Assignment{Key: "ip:127.0.0.5", Name: "guest-laptop", Group: "kids"}); err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(Query{Name: "example.com", Client: client("127.0.0.5"), Now: now}); d.Device != "guest-laptop" {
		t.Errorf("a single address inside the file's /28: device %q", d.Device)
	}

	// Kept across a restart, and across a reload that drops the group.
	store2, err := state.OpenAssignments(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := store2.List(); len(got) != 2 || got[0].Name != "guest-laptop" || got[1].By != "test" || got[1].At.IsZero() {
		t.Fatalf("reopened: %+v", got)
	}
	cfg2 := family()
	cfg2.Groups["teens"] = cfg2.Groups["kids"]
	delete(cfg2.Groups, "kids")
	for i := range cfg2.Devices {
		if cfg2.Devices[i].Group == "kids" {
			cfg2.Devices[i].Group = "teens"
		}
	}
	cfg2.Devices = append(cfg2.Devices, DeviceConfig{Name: "robins-phone", IP: []string{"127.0.0.77"}, Group: "teens"})
	e2, err := NewEngine(cfg2, Options{ListCategories: listCats, Assignments: store2})
	if err != nil {
		t.Fatal(err)
	}
	e2.SetLists(compiled(t))
	if d := e2.Decide(Query{Name: "example.com", Client: unknown, Now: now}); d.Device != "robins-phone" || d.Group != "teens" {
		t.Errorf("the file wins: %+v", d)
	}
	conflicts := e2.Conflicts()
	if len(conflicts) != 2 {
		t.Fatalf("conflicts = %q", conflicts)
	}
	if d := e2.Decide(Query{Name: "example.com", Client: client("127.0.0.5"), Now: now}); d.Device != "guest-laptop" || d.Group != "default" {
		t.Errorf("group gone: %+v", d)
	}

	if err := e.Unassign("ip:127.0.0.77"); err != nil {
		t.Fatal(err)
	}
	if err := e.Unassign("ip:127.0.0.77"); !errors.Is(err, state.ErrNoAssignment) {
		t.Errorf("second unassign: %v", err)
	}
	if d := e.Decide(Query{Name: "example.com", Client: unknown, Now: now}); d.Device != "" {
		t.Errorf("after unassign: device %q", d.Device)
	}
}

func TestWeek(t *testing.T) {
	t.Parallel()
	e := newFamilyEngine(t, family())
	var kids GroupWeek
	for _, g := range e.Week() {
		if g.Group == "kids" {
			kids = g
		}
	}
	if !slices.Equal(kids.Devices, []string{"alex-tablet", "sam-switch"}) {
		t.Errorf("devices = %v", kids.Devices)
	}
	// sun-thu 21:30-07:00 and fri,sat 22:30-08:00: each night is two spans.
	bt := kids.Bedtime
	if bt == nil || len(bt.Spans) != 14 {
		t.Fatalf("bedtime = %+v", bt)
	}
	if bt.Spans[0] != (DaySpan{time.Sunday, 0, 8 * 60}) || bt.Spans[1] != (DaySpan{time.Sunday, 21*60 + 30, 24 * 60}) {
		t.Errorf("Sunday's spans = %v %v", bt.Spans[0], bt.Spans[1])
	}
	games := kids.Rules[3] // after blocking.block, bypass protection, rules[0]
	if games.Mode != verdict.ModeOutside || len(games.Spans) != 7 || games.Holidays != "holidays daily 10:00-20:00" {
		t.Errorf("gaming rule = %+v", games)
	}
	if kids.Rules[0].Mode != verdict.ModeAlways || len(kids.Rules[0].Spans) != 0 {
		t.Errorf("household rule = %+v", kids.Rules[0])
	}
}

func TestAssignmentsDamaged(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "assignments.json")
	if err := os.WriteFile(path, []byte(`{"assignments": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := state.OpenAssignments(path)
	if store == nil || err == nil || !strings.Contains(err.Error(), "moved to "+path+".corrupt-") {
		t.Fatalf("state.OpenAssignments = %v, %v", store, err)
	}
	if len(store.List()) != 0 {
		t.Errorf("a damaged file gave %v", store.List())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the damaged file was not moved aside: %v", err)
	}
	// The next save starts a fresh file.
	e, err := NewEngine(family(), Options{ListCategories: listCats, Assignments: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Assign(state.Assignment{Key: "ip:127.0.0.77", Name: "guest", Group: "kids"}); err != nil {
		t.Fatal(err)
	}
	if again, err := state.OpenAssignments(path); err != nil || len(again.List()) != 1 {
		t.Errorf("after a save: %v, %v", again.List(), err)
	}
}
