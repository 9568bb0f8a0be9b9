package app

import (
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// newEngine makes the policy engine, with its state (pauses and bonus time,
// the devices seen) in the state directory. A damaged state file is set
// aside and reported, never a reason not to start.
func newEngine(cfg *config.Config, log zerolog.Logger, clk clock.Clock, firstSight func(state.SeenDevice)) (*policy.Engine, error) {
	dir := cfg.StateDirectory()
	overrides, err := state.OpenOverrides(filepath.Join(dir, state.OverridesFile), nil)
	if err != nil {
		if overrides == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("pauses and bonus time")
	}
	devices, err := state.OpenRegistry(filepath.Join(dir, state.DevicesFile))
	if err != nil {
		if devices == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("devices seen")
	}
	if firstSight != nil {
		devices.OnFirstSight(firstSight)
	}
	assigned, err := state.OpenAssignments(filepath.Join(dir, state.AssignmentsFile))
	if err != nil {
		if assigned == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("devices named on the dashboard")
	}
	budgets, err := state.OpenBudgets(filepath.Join(dir, state.BudgetsFile))
	if err != nil {
		if budgets == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("minutes used of daily budgets")
	}
	opts := policy.Options{Clock: clk, ListCategories: cfg.ListCategories(), Overrides: overrides, Devices: devices, Assignments: assigned, Budgets: budgets,
		Neighbours: identity.NewNeighbours(identity.NeighbourSources{})} // read only while identify.neighbours is on
	return policy.NewEngine(cfg.Policy, opts)
}
