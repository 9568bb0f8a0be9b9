package state

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// A minute marked from many goroutines counts once; a new day starts
// empty; the counters survive Save and OpenBudgets, and a damaged file is
// set aside with an error.
func TestBudgetCounters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), BudgetsFile)
	b, err := OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Counter("person:alex", "gaming")
	if b.Counter("person:alex", "gaming") != c {
		t.Fatal("a second Counter for the same owner and budget")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for m := range 90 {
				c.Mark(100, m%45)
			}
		})
	}
	wg.Wait()
	c.Mark(100, DayMinutes-1) // the last minute of a 25-hour day
	c.Mark(100, DayMinutes)   // out of the day: ignored
	if got := c.Used(100); got != 46 || !c.Has(100, 44) || c.Has(100, 45) || c.Used(99) != 0 {
		t.Fatalf("used %d", got)
	}
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	c2 := again.Counter("person:alex", "gaming")
	if c2.Used(100) != 46 || !c2.Has(100, DayMinutes-1) || c2.Has(100, 50) {
		t.Errorf("restored: %d", c2.Used(100))
	}
	c2.Mark(101, 0)
	if c2.Used(101) != 1 || c2.Used(100) != 0 {
		t.Errorf("new day: %d, %d", c2.Used(101), c2.Used(100))
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	damaged, err := OpenBudgets(path)
	if damaged == nil || err == nil || !strings.Contains(err.Error(), "moved to") {
		t.Errorf("damaged file: %v", err)
	}
}

// Extra minutes: a person or a device, minutes 1..1440; not extended.
func TestExtraMinutesShape(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC))
	o, _ := OpenOverrides("", clk)
	until := clk.Now().Add(8 * time.Hour)
	for _, tc := range []struct {
		ov   Override
		want string
	}{
		{Override{Kind: OverrideMinutes, Person: "alex", What: "gaming", Until: until}, "outside 1..1440"},
		{Override{Kind: OverrideMinutes, Group: "kids", What: "gaming", Minutes: 5, Until: until}, "for a person or a device"},
		{Override{Kind: OverrideMinutes, Person: "alex", Minutes: 5, Until: until}, "need a budget"},
		{Override{Kind: OverridePause, Person: "alex", Until: until}, "only extra minutes are for a person"},
	} {
		if _, err := o.Add(tc.ov); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.ov, err, tc.want)
		}
	}
	ov, err := o.Add(Override{Kind: OverrideMinutes, Person: "alex", What: "gaming", Minutes: 15, Until: until})
	if err != nil || ov.Target() != "person alex" {
		t.Fatalf("%+v %v", ov, err)
	}
	if _, err := o.Extend(ov.ID, time.Hour); err == nil || !strings.Contains(err.Error(), "until midnight") {
		t.Errorf("extend: %v", err)
	}
}

// The budgets file keeps the minutes used of each recent day for the
// report: three days of two owners come back after Save and OpenBudgets,
// in day order, and a day older than HistoryDays is dropped.
func TestBudgetHistory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), BudgetsFile)
	b, err := OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) int32 { return Day(time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC)) }
	alex, tv := b.Counter("person:alex", "gaming"), b.Counter("device:tv", "youtube")
	for _, step := range []struct{ day, alex, tv int }{{23, 50, 0}, {24, 61, 5}, {25, 10, 20}} {
		for m := range step.alex {
			alex.Mark(day(step.day), 600+m)
		}
		for m := range step.tv {
			tv.Mark(day(step.day), 900+m)
		}
		if err := b.Save(); err != nil {
			t.Fatal(err)
		}
	}
	b2, err := OpenBudgets(path)
	if err != nil {
		t.Fatal(err)
	}
	got := b2.History()
	want := []BudgetUse{
		{"person:alex", "gaming", day(23), 50},
		{"device:tv", "youtube", day(24), 5}, {"person:alex", "gaming", day(24), 61},
		{"device:tv", "youtube", day(25), 20}, {"person:alex", "gaming", day(25), 10},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("history after reopening:\n got %v\nwant %v", got, want)
	}
	// Forty days later, only the new day is left.
	later := Day(time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC))
	b2.Counter("person:alex", "gaming").Mark(later, 1)
	if got := b2.History(); len(got) != 1 || got[0].Day != later || got[0].Used != 1 {
		t.Errorf("history 40 days on: %v, want only %d's minute", got, later)
	}
}
