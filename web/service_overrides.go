package web

import (
	"errors"

	"github.com/hearth-dns/hearth/policy/state"
)

// Pause and bonus time. The rules (who, what, how long) are the policy's
// (policy.Engine.CheckOverride); the service checks, adds and cancels.

// Overrides are the pauses and bonus time in force now.
func (sv *service) Overrides() []state.Override {
	return sv.opts.Engine.Overrides().List(sv.opts.Clock.Now())
}

// AddOverride checks req against the running policy and adds it. An
// override applied but not saved (it ends if Hearth restarts) comes back
// with a warning.
func (sv *service) AddOverride(req state.Request) (ov state.Override, warning, err error) {
	e := sv.opts.Engine
	ov, err = e.CheckOverride(req, sv.opts.Clock.Now())
	if err != nil {
		return ov, nil, classify(err)
	}
	ov, err = e.Overrides().Add(ov)
	switch {
	case errors.Is(err, state.ErrNotPersisted):
		return ov, err, nil
	case err != nil:
		return ov, nil, classify(err)
	}
	return ov, nil, nil
}

// CancelOverride ends the override with id, returning it as it was (zero
// if it had already ended). Not saving is not a failure: it is gone from
// memory, and would end when it was due anyway.
func (sv *service) CancelOverride(id string) (state.Override, error) {
	var was state.Override
	for _, o := range sv.Overrides() {
		if o.ID == id {
			was = o
		}
	}
	if err := sv.opts.Engine.Overrides().Cancel(id); err != nil && !errors.Is(err, state.ErrNotPersisted) {
		return was, classify(err)
	}
	return was, nil
}
