package state

import (
	"errors"
	"fmt"
	"slices"
)

// AssignmentChange is one change made on this node to the devices named on
// the dashboard: Assignment set, or (Removed) the one with its Key removed.
type AssignmentChange struct {
	Assignment Assignment
	Removed    bool
}

// OnLocalChange registers fn, called for every Set and Remove made on this
// store that was saved (never for Replace), while the store's lock is held:
// fn must be quick and must not call the store.
func (a *Assignments) OnLocalChange(fn func(AssignmentChange)) {
	a.mu.Lock()
	a.local = append(a.local, fn)
	a.mu.Unlock()
}

// OnReplace registers fn, called after a Replace changed the list, outside
// the store's lock (the policy engine binds the new names).
func (a *Assignments) OnReplace(fn func()) {
	a.mu.Lock()
	a.replaced = append(a.replaced, fn)
	a.mu.Unlock()
}

func (a *Assignments) localLocked(ch AssignmentChange) {
	for _, fn := range a.local {
		fn(ch)
	}
}

// Replace makes list the devices named, as the other nodes agreed it: it is
// saved to this node's file and the OnReplace functions run, but no
// OnLocalChange function. Assignments that fail CheckAssignment, repeated
// keys and any beyond the store's bound are dropped and named in the error.
// A list that cannot be saved is not taken (the error says so).
func (a *Assignments) Replace(list []Assignment) error {
	if a.readOnly {
		return ErrReadOnly
	}
	next := make([]Assignment, 0, len(list))
	var errs []error
	for i, as := range list {
		err := CheckAssignment(as)
		if err == nil && slices.ContainsFunc(next, func(x Assignment) bool { return x.Key == as.Key }) {
			err = fmt.Errorf("key %q repeated", as.Key)
		}
		if err == nil && len(next) >= maxAssignments {
			err = fmt.Errorf("more than %d devices named", maxAssignments)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("policy: devices named: shared [%d]: dropped: %w", i, err))
			continue
		}
		next = append(next, as)
	}
	sortAssignments(next)
	a.mu.Lock()
	if slices.EqualFunc(a.list, next, func(x, y Assignment) bool {
		return x.Key == y.Key && x.Name == y.Name && x.Group == y.Group && x.By == y.By && x.At.Equal(y.At)
	}) {
		a.mu.Unlock()
		return errors.Join(errs...)
	}
	if err := a.saveLocked(next); err != nil {
		a.mu.Unlock()
		return errors.Join(append(errs, err)...)
	}
	fns := slices.Clone(a.replaced)
	a.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	return errors.Join(errs...)
}
