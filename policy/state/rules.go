package state

// The rules of overrides: what a parent may ask for (a pause or bonus time,
// for a device or a group, for some minutes or until an instant), checked
// against what the running configuration knows (Known). The dashboard's
// pages and its JSON API both ask policy.Engine.CheckOverride, which asks
// Request.Check: the rules live here, next to the store, not in the HTTP
// layer.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hearth-dns/hearth/internal/fielderr"
)

// Request is a parent's request for a pause or bonus time, as the
// dashboard and the API take it. Field names match the API's JSON fields.
type Request struct {
	Kind    OverrideKind
	Device  string // exactly one of Device and Group
	Group   string
	What    string    // bonus only: a category or service id
	Minutes int       // how long, from now; or
	Until   time.Time // until when
	By      string    // who asks, for the override's By
}

// ErrNotFound is wrapped by the error for a request naming a device or
// group that does not exist.
var ErrNotFound = errors.New("state: not found")

// NotFoundError is a request naming a device or group that does not exist.
// Field is the request's field ("device" or "group").
type NotFoundError struct {
	Field string
	Msg   string
}

func (e *NotFoundError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Known is what the rules need of the running configuration (the policy
// engine has it all).
type Known interface {
	HasDevice(name string) (string, bool) // and its name as written
	HasGroup(name string) bool
	GroupNames() []string
	Blockable(what string) bool // a category or service id
}

// Check checks req against what the configuration knows at now and
// returns the override to Add (Until set from Minutes; no ID or Created).
//
// A device or group that does not exist is a *NotFoundError, returned
// alone. Every other problem is a *fielderr.Error keyed by the request's
// field ("device", "kind", "what", "minutes", "until"); all of them come
// back joined, so a form can mark each field.
func (req Request) Check(now time.Time, e Known) (Override, error) {
	ov := Override{Kind: req.Kind, Group: req.Group, What: req.What, Until: req.Until, By: req.By}
	var errs []error

	// Who: a device or a group, known to the running configuration.
	switch {
	case req.Device != "" && req.Group != "":
		errs = append(errs, fielderr.New("device", "%q: set a device or a group (%q), not both", req.Device, req.Group))
	case req.Device != "":
		name, ok := e.HasDevice(req.Device)
		if !ok {
			return ov, &NotFoundError{Field: "device", Msg: fmt.Sprintf("no device %q", req.Device)}
		}
		ov.Device = name
	case req.Group != "":
		if !e.HasGroup(req.Group) {
			return ov, &NotFoundError{Field: "group", Msg: fmt.Sprintf("no group %q (groups: %s)", req.Group, strings.Join(e.GroupNames(), ", "))}
		}
	default:
		errs = append(errs, fielderr.New("device", "set a device or a group"))
	}

	// What: nothing for a pause, a category or service for bonus time.
	switch req.Kind {
	case OverridePause:
		if req.What != "" {
			errs = append(errs, fielderr.New("what", "%q: a pause blocks everything; leave what empty", req.What))
		}
	case OverrideBonus:
		switch {
		case req.What == "":
			errs = append(errs, fielderr.New("what", "bonus time needs a category or service"))
		case !e.Blockable(req.What):
			errs = append(errs, fielderr.New("what", "%q is not a category or service (see `hearth services`)", req.What))
		}
	default:
		errs = append(errs, fielderr.New("kind", "%q: use %q or %q", req.Kind, OverridePause, OverrideBonus))
	}

	// How long: minutes from now, or until an instant in the next week.
	maxMinutes := int(MaxOverride / time.Minute)
	switch {
	case req.Minutes != 0 && !req.Until.IsZero():
		errs = append(errs, fielderr.New("minutes", "set minutes or until, not both"))
	case req.Minutes < 0 || req.Minutes > maxMinutes:
		errs = append(errs, fielderr.New("minutes", "%d is outside 1..%d", req.Minutes, maxMinutes))
	case req.Minutes > 0:
		ov.Until = now.Add(time.Duration(req.Minutes) * time.Minute)
	case req.Until.IsZero():
		errs = append(errs, fielderr.New("minutes", "say for how long (minutes) or until when (until, RFC 3339)"))
	case !req.Until.After(now):
		errs = append(errs, fielderr.New("until", "%s is not in the future", req.Until.Format(time.RFC3339)))
	case req.Until.After(now.Add(MaxOverride)):
		errs = append(errs, fielderr.New("until", "%s is more than %d days ahead", req.Until.Format(time.RFC3339), MaxOverride/(24*time.Hour)))
	}
	return ov, errors.Join(errs...)
}
