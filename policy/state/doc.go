// Package state is what Hearth saves between runs, beside hearth.yaml in the
// state directory: pauses and bonus time (Overrides, overrides.json), the
// devices named on the dashboard (Assignments, assignments.json) and the
// devices seen (Registry, devices.json). The file names are here, once
// (OverridesFile, AssignmentsFile, DevicesFile).
//
// Each store writes atomically and sets a damaged file aside. Programs that
// must not write (hearth explain, hearth doctor) open the stores read-only
// (OpenOverridesReadOnly, OpenAssignmentsReadOnly, OpenRegistryReadOnly):
// a damaged file is then left as it is, and changes fail with ErrReadOnly.
//
// It may import policy/schedule; never policy (which imports this) nor
// policy/identity.
package state
