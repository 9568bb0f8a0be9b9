package main

import (
	"fmt"
	"path/filepath"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/suggest"
	"github.com/hearth-dns/hearth/policy/state"
	"github.com/hearth-dns/hearth/report"
)

// personDevices returns the devices of person in the configuration, or an
// error naming the closest person ("" asks for none: nil, nil).
func personDevices(cfg *config.Config, person string) ([]string, error) {
	if person == "" {
		return nil, nil
	}
	var names []string
	for _, p := range cfg.Policy.People {
		if p.Name == person {
			return p.Devices, nil
		}
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no person %q: hearth.yaml has no people: (see docs/policy.md)", person)
	}
	if s := suggest.Closest(person, names); s != "" {
		return nil, fmt.Errorf("no person %q: did you mean %q?", person, s)
	}
	return nil, fmt.Errorf("no person %q (people: %v)", person, names)
}

// budgetDays reads the minutes used of daily budgets from the state
// directory, read-only; a file that cannot be read gives none and a note.
func budgetDays(cfg *config.Config) ([]report.BudgetDay, error) {
	b, err := state.OpenBudgetsReadOnly(filepath.Join(cfg.StateDirectory(), state.BudgetsFile))
	if b == nil {
		return nil, err
	}
	return report.BudgetDaysOf(b.History(), householdZone(cfg)), err
}
