package web

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy/state"
)

// Pauses, bonus time, later and early bedtime. The rules (who, what, how
// long, and what could change no answer) are the policy's
// (policy.Engine.CheckOverride); the service checks, adds, extends and
// cancels.

// overrideRequest is the body of POST /api/pause, /api/bonus,
// /api/bedtime/later and /api/bedtime/early, and what the Now page's forms
// say.
type overrideRequest struct {
	Device  string `json:"device"`
	Group   string `json:"group"`
	All     bool   `json:"all"`
	What    string `json:"what"`
	Minutes int    `json:"minutes"`
	// Until is an instant (RFC 3339), a time today or tomorrow in the
	// household's zone ("21:15": the next one), or "morning" (tomorrow
	// morning: the end of tonight's bedtime, or 07:00).
	Until string `json:"until"`
}

// target names whom r is for, for the audit trail.
func (r overrideRequest) target() string {
	if r.All {
		return "everyone"
	}
	return firstNonEmpty(r.Device, r.Group)
}

// request turns r into the policy's request, reading Until at now in loc.
func (r overrideRequest) request(kind state.OverrideKind, by string, now time.Time, loc *time.Location) (state.Request, error) {
	req := state.Request{Kind: kind, Device: r.Device, Group: r.Group, All: r.All, What: r.What, Minutes: r.Minutes, By: by}
	u := strings.TrimSpace(r.Until)
	switch {
	case u == "":
	case strings.EqualFold(u, "morning"):
		req.Morning = true
	default:
		if t, err := time.Parse(time.RFC3339, u); err == nil {
			req.Until = t
			break
		}
		c, err := time.ParseInLocation("15:04", u, loc)
		if err != nil {
			return req, fielderr.New("until", "%q: say a time (\"21:15\"), an instant (RFC 3339) or \"morning\"", r.Until)
		}
		l := now.In(loc)
		req.Until = time.Date(l.Year(), l.Month(), l.Day(), c.Hour(), c.Minute(), 0, 0, loc)
		if !req.Until.After(now) {
			req.Until = time.Date(l.Year(), l.Month(), l.Day()+1, c.Hour(), c.Minute(), 0, 0, loc)
		}
	}
	return req, nil
}

// Overrides are the pauses, bonus time and bedtime changes in force now.
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

// ExtendOverride moves the end of the override with id by minutes (a
// negative number shortens it), as the rules of the store allow.
func (sv *service) ExtendOverride(id string, minutes int) (ov state.Override, warning, err error) {
	if minutes == 0 || minutes > int(state.MaxOverride/time.Minute) || minutes < -int(state.MaxOverride/time.Minute) {
		return ov, nil, classify(fielderr.New("minutes", "say by how many minutes (like 15 or 30)"))
	}
	ov, err = sv.opts.Engine.Overrides().Extend(id, time.Duration(minutes)*time.Minute)
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

// AddExtraMinutes gives owner (a person, or a device nobody owns) minutes
// more of the daily budget what, today: the API's and the Now page's "+15
// min".
func (sv *service) AddExtraMinutes(owner, what string, minutes int, by string) (ov state.Override, warning, err error) {
	sr := state.Request{Kind: state.OverrideMinutes, What: what, Minutes: minutes, By: by}
	e := sv.opts.Engine
	if slices.Contains(e.People(), owner) {
		sr.Person = owner
	} else if _, ok := e.HasDevice(owner); ok {
		sr.Device = owner
	} else {
		sr.Person = owner // not found: the error suggests a person
	}
	return sv.AddOverride(sr)
}
