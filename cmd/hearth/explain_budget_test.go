package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dns/hearth/policy/state"
)

// `hearth explain` reads the minutes used from state_dir/budgets.json (as
// the server saves them) and shows the budget a name counts against;
// --person explains for each of the person's devices.
func TestExplainBudgets(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, fmt.Sprintf(`state_dir: %s
timezone: Europe/London
devices:
  - { name: alex-tablet, ip: 192.168.1.41 }
  - { name: alex-switch, ip: 192.168.1.42 }
people:
  - { name: alex, devices: [alex-tablet, alex-switch], group: kids }
groups:
  kids:
    budgets:
      - { what: [gaming], school_days: 60m, weekends: 120m }
`, dir))
	// The server's count: 45 minutes of gaming from 16:00 on Thursday.
	store, err := state.OpenBudgets(filepath.Join(dir, state.BudgetsFile))
	if err != nil {
		t.Fatal(err)
	}
	day := state.Day(explainLondon(t, "2026-11-26 16:00"))
	c := store.Counter("person:alex", "gaming")
	for m := range 45 {
		c.Mark(day, 16*60+m)
	}
	if err := store.Save(); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		a, stdout, stderr := testApp()
		code := execute(t.Context(), a, append([]string{"explain", "--config", path}, args...))
		return code, stdout.String() + stderr.String()
	}

	code, out := run("--device", "alex-switch", "--at", "2026-11-26 17:00", "www.roblox.com")
	if code != 0 || !strings.Contains(out, "budget:  gaming: 15 of 60 minutes left today (groups.kids.budgets[0], school day; 45 used, 15 left; counts again from Fri 00:00)") {
		t.Errorf("running budget: %d\n%s", code, out)
	}
	for m := 45; m < 60; m++ {
		c.Mark(day, 16*60+m)
	}
	if err := store.Save(); err != nil {
		t.Fatal(err)
	}
	code, out = run("--person", "alex", "--at", "2026-11-26 17:00", "www.roblox.com")
	if code != 1 || strings.Count(out, "blocked\n") != 2 || strings.Count(out, "gaming: 60 of 60 minutes used today: blocked until midnight") != 2 ||
		!strings.Contains(out, "alex-tablet, group kids") || !strings.Contains(out, "alex-switch, group kids") ||
		!strings.Contains(out, "changes at Fri 2026-11-27 00:00 GMT") {
		t.Errorf("spent budget, --person: %d\n%s", code, out)
	}
	// The next day, and a Saturday: 120 minutes, nothing used.
	code, out = run("--person", "alex", "--at", "2026-11-28 10:00", "www.roblox.com")
	if code != 0 || !strings.Contains(out, "gaming: 120 of 120 minutes left today (groups.kids.budgets[0], weekend; 0 used") {
		t.Errorf("Saturday: %d\n%s", code, out)
	}
	if code, out := run("--person", "alx", "www.roblox.com"); code != 2 || !strings.Contains(out, `no person "alx" (did you mean "alex"?)`) {
		t.Errorf("unknown person: %d\n%s", code, out)
	}
}
