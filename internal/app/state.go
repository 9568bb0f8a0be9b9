package app

import (
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/policy"
)

// The policy's saved state, opened through one seam: when the policy's state
// files move to their own package, only these lines change.
var (
	openOverrides = func(dir string) (*policy.Overrides, error) {
		return policy.OpenOverrides(filepath.Join(dir, policy.OverridesFile), nil)
	}
	openRegistry = func(dir string) (*policy.Registry, error) {
		return policy.OpenRegistry(filepath.Join(dir, policy.DevicesFile))
	}
	openAssignments = func(dir string) (*policy.Assignments, error) {
		return policy.OpenAssignments(filepath.Join(dir, policy.AssignmentsFile))
	}
)

// newEngine makes the policy engine, with its state (pauses and bonus time,
// the devices seen) in the state directory. A damaged state file is set
// aside and reported, never a reason not to start.
func newEngine(cfg *config.Config, log zerolog.Logger) (*policy.Engine, error) {
	dir := cfg.StateDirectory()
	overrides, err := openOverrides(dir)
	if err != nil {
		if overrides == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("pauses and bonus time")
	}
	devices, err := openRegistry(dir)
	if err != nil {
		if devices == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("devices seen")
	}
	assigned, err := openAssignments(dir)
	if err != nil {
		if assigned == nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		log.Error().Err(err).Msg("devices named on the dashboard")
	}
	opts := policy.Options{ListCategories: cfg.ListCategories(), Overrides: overrides, Devices: devices, Assignments: assigned,
		Neighbours: policy.NewNeighbours(policy.NeighbourSources{})} // read only while identify.neighbours is on
	return policy.NewEngine(cfg.Policy, opts)
}
