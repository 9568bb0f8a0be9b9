package report

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// A report about one child reads only their devices' rows, shows the
// minutes of their daily budgets in the period (the other owners' and the
// days outside it left out) in text, JSON and HTML, and a day of three
// hours brings up the "long days" starter.
func TestReportPersonBudgets(t *testing.T) {
	t.Parallel()
	loc := time.UTC
	src := &fakeSource{rows: rowsFrom(t, weekSince(loc), loc, weekSeeds)}
	opts := weekOptions(loc)
	opts.Person, opts.Devices = "alex", []string{"Tablet"}
	day := func(d int) time.Time { return weekSince(loc).AddDate(0, 0, d) } // 0: Monday 23 March
	opts.Budgets = []BudgetDay{
		{Owner: "alex", What: "gaming", Day: day(-1), Used: 300}, // the Sunday before: not in the period
		{Owner: "alex", What: "gaming", Day: day(1), Used: 180},
		{Owner: "alex", What: "gaming", Day: day(2), Used: 45},
		{Owner: "sam", What: "gaming", Day: day(1), Used: 200}, // another child
	}
	r, err := Build(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.filters) == 0 || !slices.Equal(src.filters[0].Devices, []string{"Tablet"}) {
		t.Errorf("filters %+v, want alex's devices", src.filters)
	}
	for _, d := range r.Devices {
		if d.Name != "Tablet" {
			t.Errorf("a device not alex's in the report: %q", d.Name)
		}
	}
	want := Budget{Owner: "alex", What: "gaming", Total: 225,
		Days: []BudgetUse{{"2026-03-24", "Tuesday", 180}, {"2026-03-25", "Wednesday", 45}},
		Most: BudgetUse{"2026-03-24", "Tuesday", 180}}
	if len(r.Budgets) != 1 || !equalBudget(r.Budgets[0], want) {
		t.Fatalf("budgets %+v, want %+v", r.Budgets, want)
	}
	var long *Starter
	for i := range r.Starters {
		if r.Starters[i].ID == StarterLongDays {
			long = &r.Starters[i]
		}
	}
	if long == nil || len(long.Seen) != 1 || long.Seen[0].Text != "Gaming took 3 hours on Tuesday (alex)." {
		t.Errorf("long-days starter: %+v", long)
	}
	var text, html bytes.Buffer
	if err := r.Text(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.HTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"TIME USED OF DAILY BUDGETS", "alex, gaming: 3 hours 45 minutes in all; most on Tuesday (3 hours)", "Tuesday 2026-03-24: 3 hours"} {
		if !strings.Contains(strings.Join(strings.Fields(text.String()), " "), w) { // the text is wrapped
			t.Errorf("text has no %q:\n%s", w, text.String())
		}
	}
	if !strings.Contains(html.String(), "Minutes of gaming each day, alex") || !strings.Contains(html.String(), "Tuesday 2026-03-24: 3 hours") {
		t.Errorf("html has no budget chart:\n%s", html.String())
	}
}

func equalBudget(a, b Budget) bool {
	return a.Owner == b.Owner && a.What == b.What && a.Total == b.Total && a.Most == b.Most && slices.Equal(a.Days, b.Days)
}
