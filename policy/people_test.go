package policy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
)

// People and budgets in hearth.yaml: every mistake named by its key.
func TestPeopleConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(c *Config)
		key  string
		want string
	}{
		{"unknown device", func(c *Config) { c.People[0].Devices = []string{"alex-tablet", "alex-swich"} },
			"people[0].devices[1]", `no device "alex-swich" in devices (did you mean "alex-switch"?)`},
		{"device in two people", func(c *Config) {
			c.People = append(c.People, PersonConfig{Name: "sam", Devices: []string{"sam-phone", "alex-switch"}})
		}, "people[1].devices[1]", `device "alex-switch" already belongs to alex`},
		{"unknown group", func(c *Config) { c.People[0].Group = "kid" }, "people[0].group", `no group "kid" (did you mean "kids"?)`},
		{"not a slug", func(c *Config) { c.People[0].Name = "Alex B" }, "people[0].name", `(like "alex-b")`},
		{"two groups", func(c *Config) {
			c.Devices[0].Group = "default"
		}, "devices[0].group", `its owner alex (people[0]) is in group "kids"`},
		{"budget of a domain", func(c *Config) {
			g := c.Groups["kids"]
			g.Budgets = append(g.Budgets, BudgetConfig{What: []string{"roblox.com"}, Daily: dur(time.Hour)})
			c.Groups["kids"] = g
		}, "groups.kids.budgets[2].what[0]", "not domains"},
		{"unknown what", func(c *Config) {
			g := c.Groups["kids"]
			g.Budgets = append(g.Budgets, BudgetConfig{What: []string{"gamin"}, Daily: dur(time.Hour)})
			c.Groups["kids"] = g
		}, "groups.kids.budgets[2].what[0]", `did you mean "gaming"?`},
		{"too long", func(c *Config) {
			c.People[0].Budgets = []BudgetConfig{{What: []string{"video"}, Daily: dur(25 * time.Hour)}}
		}, "people[0].budgets[0].daily", "outside 0m..24h"},
		{"not whole minutes", func(c *Config) {
			c.People[0].Budgets = []BudgetConfig{{What: []string{"video"}, Weekends: dur(90*time.Minute + time.Second)}}
		}, "people[0].budgets[0].weekends", "whole minutes"},
		{"no amount", func(c *Config) { c.People[0].Budgets = []BudgetConfig{{What: []string{"video"}}} },
			"people[0].budgets[0]", "a budget needs minutes"},
		{"twice", func(c *Config) {
			c.People[0].Budgets = []BudgetConfig{{What: []string{"video"}, Daily: dur(time.Hour)}, {What: []string{"video"}, Daily: dur(time.Hour)}}
		}, "people[0].budgets[1].what", "one budget per what"},
	} {
		cfg := budgetFamily()
		cfg.People = slices.Clone(cfg.People)
		cfg.Devices = slices.Clone(cfg.Devices)
		cfg.Groups = map[string]GroupConfig{"kids": cfg.Groups["kids"]}
		tc.edit(&cfg)
		errs := cfg.Validate(backgroundCatalogue(), listCats)
		found := false
		for _, err := range errs {
			found = found || strings.Contains(err.Error(), tc.key) && strings.Contains(err.Error(), tc.want)
		}
		if !found {
			t.Errorf("%s: errors %v, want %s: ...%s", tc.name, errs, tc.key, tc.want)
		}
	}
}

// BenchmarkDecideBudget is a decision under daily budgets, with the
// counting the resolver does after it (Engine.LookedUp): a running budget,
// a spent one, a background host and a name no budget counts. All 0
// allocations.
func BenchmarkDecideBudget(b *testing.B) {
	cfg := budgetFamily()
	g := cfg.Groups["kids"]
	g.Rules = nil
	cfg.Groups["kids"] = g
	cat := backgroundCatalogue()
	e, err := NewEngine(cfg, Options{ListCategories: listCats, Catalogue: cat})
	if err != nil {
		b.Fatal(err)
	}
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour}, blocklists.Options{Catalogue: cat})
	if err != nil {
		b.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		b.Fatal(err)
	}
	e.SetLists(c)
	kid := client(alexTablet)
	now := at("2026-11-26 17:30:00")
	// YouTube spent: 30 minutes used before now.
	for i := range 30 {
		t := now.Add(time.Duration(i-40) * time.Minute)
		var d Decision
		who := e.Identify(&kid, t)
		e.DecideInto(&d, "www.youtube.com", who, t)
		e.LookedUp(who, &d, t)
	}
	for _, tc := range []struct {
		name string
		want Reason
	}{
		{"www.roblox.com", ReasonNone}, {"www.youtube.com", ReasonBudget}, {"notifications.roblox.com", ReasonNone}, {"www.example.com", ReasonNone},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				who := e.Identify(&kid, now)
				e.DecideInto(&d, tc.name, who, now)
				e.LookedUp(who, &d, now)
			}
			if d.Reason != tc.want {
				b.Fatalf("%s: %+v", tc.name, d)
			}
		})
	}
}
