package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/policy/state"
)

// hearth report --person and hearth log --person: a child's devices only,
// with their budgets' minutes from the state directory; an unknown person
// is an error with the closest name, never "nothing blocked".
func TestReportAndLogByPerson(t *testing.T) {
	t.Parallel()
	path := seededJournal(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	withPeople := strings.Replace(string(data), "devices:\n", "people:\n  - {name: alex, devices: [alex-tablet]}\ndevices:\n", 1)
	if err := os.WriteFile(path, []byte(withPeople), 0o600); err != nil {
		t.Fatal(err)
	}
	// Two hours of gaming for alex yesterday, in the budgets file.
	b, err := state.OpenBudgets(filepath.Join(filepath.Dir(path), state.BudgetsFile))
	if err != nil {
		t.Fatal(err)
	}
	c := b.Counter("person:alex", "gaming")
	yesterday := state.Day(time.Now().In(mustZone(t, "Europe/London")).AddDate(0, 0, -1))
	for m := range 130 {
		c.Mark(yesterday, 600+m)
	}
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}

	a, out, errOut := testApp()
	if code := execute(context.Background(), a, []string{"report", "-c", path, "--person", "alex"}); code != 0 {
		t.Fatalf("report --person alex: exit %d: %s", code, errOut)
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	containsAll(t, "report --person", text, "About alex (all their devices).", "alex-tablet", "TIME USED OF DAILY BUDGETS", "alex, gaming: 2 hours 10 minutes in all", "Gaming took 2 hours 10 minutes on")

	a, out, errOut = testApp()
	if code := execute(context.Background(), a, []string{"log", "-c", path, "--person", "alex"}); code != 0 {
		t.Fatalf("log --person alex: exit %d: %s", code, errOut)
	}
	containsAll(t, "log --person", out.String(), "alex-tablet", "www.roblox.com")

	for _, cmd := range []string{"report", "log"} {
		a, _, errOut = testApp()
		if code := execute(context.Background(), a, []string{cmd, "-c", path, "--person", "alec"}); code == 0 || !strings.Contains(errOut.String(), `no person "alec": did you mean "alex"?`) {
			t.Errorf("%s --person alec: exit %d, %q", cmd, code, errOut)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
