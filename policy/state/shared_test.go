package state

import (
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
