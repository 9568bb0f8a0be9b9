package state

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOverridesLocalChangeAndReplace: Add, Extend and Cancel are told to
// OnLocalChange; Replace is saved and told to OnChange but not to
// OnLocalChange, and drops bad or ended entries with an error.
func TestOverridesLocalChangeAndReplace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), OverridesFile)
	o, _ := openTestOverrides(t, path)
	var local []OverrideChange
	o.OnLocalChange(func(ch OverrideChange) { local = append(local, ch) })
	changes := 0
	o.OnChange(func([]Override) { changes++ })

	p := mustAddOverride(t, o, pauseKids(time.Hour))
	if _, err := o.Extend(p.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := o.Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	if len(local) != 3 || local[0].Cancelled || !local[1].Override.Until.Equal(overrideT0.Add(2*time.Hour)) || !local[2].Cancelled || local[2].Override.ID != p.ID {
		t.Fatalf("local changes = %+v", local)
	}

	remote := bonusAlex("gaming", time.Hour)
	remote.ID, remote.Created = "0badc0de", overrideT0
	ended := pauseKids(-time.Minute)
	ended.ID = "00000001"
	bad := Override{ID: "00000002", Kind: "nap", Device: "tv", Until: overrideT0.Add(time.Hour)}
	err := o.Replace([]Override{remote, ended, bad})
	if err == nil || !strings.Contains(err.Error(), "[2]") {
		t.Errorf("Replace error = %v, want the bad entry [2] named", err)
	}
	if got := overrideIDs(o.Snapshot()); got != "0badc0de" {
		t.Errorf("after Replace: %s", got)
	}
	if len(local) != 3 || changes != 4 {
		t.Errorf("Replace: %d local changes (want 3), %d OnChange calls (want 4)", len(local), changes)
	}
	// The same set again changes nothing.
	if err := o.Replace([]Override{remote}); err != nil || changes != 4 {
		t.Errorf("Replace of the same set: err %v, %d OnChange calls (want 4)", err, changes)
	}
	again, _ := openTestOverrides(t, path)
	if got := overrideIDs(again.Snapshot()); got != "0badc0de" {
		t.Errorf("reopened after Replace: %s", got)
	}
}

// TestCounterMerge: merged minutes count once beside marked ones; an older
// day is ignored and a newer one starts the counter.
func TestCounterMerge(t *testing.T) {
	t.Parallel()
	var c Counter
	c.Mark(100, 5)
	c.Mark(100, 70)
	words := make([]uint64, CounterWords)
	words[0] = 1<<5 | 1<<6 // minute 5 (already) and 6 (new)
	words[1] = 1 << 7      // minute 71
	if n := c.Merge(100, words); n != 2 {
		t.Errorf("Merge = %d new, want 2", n)
	}
	if c.Used(100) != 4 || !c.Has(100, 71) {
		t.Errorf("Used = %d, want 4", c.Used(100))
	}
	if c.Mark(100, 6) {
		t.Error("Mark of a merged minute reported new")
	}
	if n := c.Merge(99, words); n != 0 || c.Used(100) != 4 {
		t.Errorf("older day merged: %d", n)
	}
	if n := c.Merge(101, words[:1]); n != 2 || c.Used(101) != 2 {
		t.Errorf("newer day: %d new, used %d", n, c.Used(101))
	}
	day, w := c.Words()
	if day != 101 || w[0] != words[0] || w[1] != 0 {
		t.Errorf("Words = %d %x", day, w[:2])
	}
	b, _ := OpenBudgets("")
	b.Counter("person:alex", "gaming")
	n := 0
	b.Each(func(owner, budget string, c *Counter) {
		n++
		if owner != "person:alex" || budget != "gaming" {
			t.Errorf("Each: %s %s", owner, budget)
		}
	})
	if n != 1 {
		t.Errorf("Each called %d times", n)
	}
}

// TestAssignmentsLocalChangeAndReplace: Set and Remove are told to
// OnLocalChange; Replace is saved and told to OnReplace only, dropping bad
// entries with an error.
func TestAssignmentsLocalChangeAndReplace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), AssignmentsFile)
	a, err := OpenAssignments(path)
	if err != nil {
		t.Fatal(err)
	}
	var local []AssignmentChange
	a.OnLocalChange(func(ch AssignmentChange) { local = append(local, ch) })
	replaced := 0
	a.OnReplace(func() { replaced++ })
	tv := Assignment{Key: "mac:3c:22:fb:12:34:56", Name: "tv", Group: "kids", At: overrideT0}
	if err := a.Set(tv); err != nil {
		t.Fatal(err)
	}
	if err := a.Remove(tv.Key); err != nil {
		t.Fatal(err)
	}
	if len(local) != 2 || local[0].Removed || local[0].Assignment.Name != "tv" || !local[1].Removed || local[1].Assignment.Key != tv.Key {
		t.Fatalf("local changes = %+v", local)
	}
	bad := Assignment{Key: "nonsense", Name: "x"}
	err = a.Replace([]Assignment{tv, bad})
	if err == nil || !strings.Contains(err.Error(), "[1]") {
		t.Errorf("Replace error = %v, want [1] named", err)
	}
	if got := a.List(); len(got) != 1 || got[0].Name != "tv" || replaced != 1 || len(local) != 2 {
		t.Errorf("after Replace: %+v, %d OnReplace calls, %d local changes", got, replaced, len(local))
	}
	if err := a.Replace([]Assignment{tv}); err != nil || replaced != 1 {
		t.Errorf("Replace of the same list: %v, %d OnReplace calls (want 1)", err, replaced)
	}
	again, _ := OpenAssignments(path)
	if got := again.List(); len(got) != 1 || got[0].Key != tv.Key {
		t.Errorf("reopened: %+v", got)
	}
}

// TestRegistryMerge: a device seen elsewhere is added without a first-sight
// call; a known one keeps the earlier first and the later last sighting.
func TestRegistryMerge(t *testing.T) {
	t.Parallel()
	r := NewRegistry("")
	told := 0
	r.OnFirstSight(func(SeenDevice) { told++ })
	t0 := overrideT0.UTC()
	r.Observe("", nil, netip.MustParseAddr("192.168.1.7"), "", t0)
	added := r.Merge([]SeenDevice{
		{Key: "ip:192.168.1.7", Addr: "192.168.1.7", Lease: "tv", FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(time.Minute)},
		{Key: "ip:192.168.1.8", Addr: "192.168.1.8", FirstSeen: t0.Add(-2 * time.Hour), LastSeen: t0.Add(-time.Hour)},
	})
	if added != 1 {
		t.Errorf("Merge added %d, want 1", added)
	}
	got := r.List()
	if len(got) != 2 || got[0].Key != "ip:192.168.1.7" || !got[0].FirstSeen.Equal(t0.Add(-time.Hour)) || !got[0].LastSeen.Equal(t0.Add(time.Minute)) || got[0].Lease != "tv" {
		t.Fatalf("after Merge: %+v", got)
	}
	r.Observe("", nil, netip.MustParseAddr("192.168.1.8"), "", t0.Add(2*time.Minute))
	if told != 1 {
		t.Errorf("first-sight calls = %d, want 1 (the merged device is not new here)", told)
	}
}
