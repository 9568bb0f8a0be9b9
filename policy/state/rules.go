package state

// The rules of overrides: what a parent may ask for (a pause, bonus time,
// a later or an early bedtime tonight, for a device, a group or, for a
// pause, everyone; for some minutes, until an instant or until tomorrow
// morning), checked against what the running configuration knows (Known),
// and refused with the reason when it could not change any answer. The dashboard's
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

// Request is a parent's request for a pause, bonus time or a change of
// tonight's bedtime, as the dashboard and the API take it. Field names
// match the API's JSON fields.
type Request struct {
	Kind    OverrideKind
	Device  string // exactly one of Device, Group and All (or Person)
	Person  string // extra minutes only: a person instead of a device
	Group   string
	All     bool      // everyone (a pause only)
	What    string    // bonus only: a category or service id
	Minutes int       // how long from now; for bonus time see Check; for a later bedtime, how much later
	Until   time.Time // or until when
	Morning bool      // or until tomorrow morning (Situation.Morning)
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

// Target is whom an override is for: a device, a group, or everyone.
type Target struct {
	Device string
	Group  string
	All    bool
}

// Situation is what applies to a target at an instant, as the policy
// decides it (for a group: its devices with no override of their own).
type Situation struct {
	Name string // "alex-tablet", "the kids group", "everyone"
	// Paused is the last end of the pauses in force for the target (its
	// own, its group's, everyone's); zero: not paused.
	Paused time.Time
	// Bedtime says whether bedtime blocks now, later and early bedtime
	// applied; BedtimeEnd is then when it ends.
	Bedtime    bool
	BedtimeEnd time.Time
	// Tonight is the usual bedtime of tonight: [TonightStart, TonightEnd),
	// the one in force now or the next to start; zero: no bedtime.
	TonightStart, TonightEnd time.Time
	// Later is the end of a later bedtime in force (bedtime lifted until
	// then); Early the end of an early bedtime in force. Zero: none.
	Later, Early time.Time
	// Morning is "tomorrow morning": the end of tonight's bedtime, or
	// 07:00 local after now if there is no bedtime.
	Morning time.Time
	// EndOfDay is the local midnight that ends today.
	EndOfDay time.Time
}

// Blocking is what blocks a category or service for a target at an
// instant, ignoring bonus time.
type Blocking struct {
	// Own names the device's own block list when it blocks what
	// ("sam-switch's own block list"): no bonus time lifts it.
	Own string
	// Now: a rule blocks what now. Otherwise From is when a rule next
	// starts blocking it (zero: no rule does within a week).
	Now  bool
	From time.Time
}

// Known is what the rules need of the running configuration (the policy
// engine has it all).
type Known interface {
	HasDevice(name string) (string, bool) // and its name as written
	HasGroup(name string) bool
	GroupNames() []string
	Blockable(what string) bool // a category or service id
	Situation(t Target, now time.Time) Situation
	Blocks(t Target, what string, now time.Time) Blocking
}

// Check checks req against what the configuration knows at now and
// returns the override to Add (Until set; no ID or Created).
//
// How long, by kind:
//   - pause: Minutes from now, Until, or Morning;
//   - bonus time: N Minutes of what a rule blocks. If a rule blocks it now,
//     until now+N; if none does now but one starts blocking it later today
//     (a cut-off at 19:00, asked at 18:55), the bonus starts now and ends N
//     minutes after the cut-off (19:00+N). Or Until, which must be after
//     the next cut-off;
//   - later bedtime: bedtime starts Minutes (real minutes, whatever the
//     clocks do) after tonight's usual start; the override lifts bedtime
//     until then;
//   - early bedtime: bedtime from now until tonight's bedtime ends.
//
// A device or group that does not exist is a *NotFoundError, returned
// alone. Every other problem is a *fielderr.Error keyed by the request's
// field ("device", "kind", "what", "minutes", "until"); all of them come
// back joined, so a form can mark each field. A request that could not
// change any answer is refused with the reason, keyed by the field to
// change ("what" for bonus time, "kind" when another kind is what helps).
func (req Request) Check(now time.Time, e Known) (Override, error) {
	if req.Kind == OverrideMinutes {
		bk, ok := e.(BudgetKnown)
		if !ok {
			return Override{}, fielderr.New("kind", "this configuration has no daily budgets")
		}
		return req.checkMinutes(now, bk)
	}
	ov := Override{Kind: req.Kind, Group: req.Group, All: req.All, What: req.What, Until: req.Until, By: req.By}
	var errs []error

	// Who: a device, a group or everyone, known to the running configuration.
	switch n := btoi(req.Device != "") + btoi(req.Group != "") + btoi(req.All); {
	case n > 1:
		errs = append(errs, fielderr.New("device", "set one of a device (%q), a group (%q) or all", req.Device, req.Group))
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
	case req.All:
		if req.Kind != OverridePause {
			errs = append(errs, fielderr.New("all", "only a pause can be for everyone: choose a device or a group"))
		}
	default:
		errs = append(errs, fielderr.New("device", "set a device, a group or all"))
	}

	// What: nothing but for bonus time, a category or service.
	switch req.Kind {
	case OverridePause, OverrideLaterBedtime, OverrideEarlyBedtime:
		if req.What != "" {
			errs = append(errs, fielderr.New("what", "%q: a %s is for everything; leave what empty", req.What, req.Kind))
		}
	case OverrideBonus:
		switch {
		case req.What == "":
			errs = append(errs, fielderr.New("what", "bonus time needs a category or service"))
		case !e.Blockable(req.What):
			errs = append(errs, fielderr.New("what", "%q is not a category or service (see `hearth services`)", req.What))
		}
	default:
		errs = append(errs, fielderr.New("kind", "%q: use %s", req.Kind, kindsText))
	}

	// How long: one of minutes, until and morning.
	maxMinutes := int(MaxOverride / time.Minute)
	switch n := btoi(req.Minutes != 0) + btoi(!req.Until.IsZero()) + btoi(req.Morning); {
	case n > 1:
		errs = append(errs, fielderr.New("minutes", "set one of minutes, until or morning"))
	case req.Minutes < 0 || req.Minutes > maxMinutes:
		errs = append(errs, fielderr.New("minutes", "%d is outside 1..%d", req.Minutes, maxMinutes))
	case req.Kind == OverrideEarlyBedtime && n > 0:
		errs = append(errs, fielderr.New("minutes", "an early bedtime starts now and lasts until tonight's bedtime ends: leave minutes, until and morning empty"))
	case req.Kind == OverrideLaterBedtime && req.Minutes == 0:
		errs = append(errs, fielderr.New("minutes", "say how many minutes later bedtime starts"))
	case req.Kind == OverrideBonus && req.Morning:
		errs = append(errs, fielderr.New("minutes", "bonus time is for minutes, or until a time"))
	case n == 0 && req.Kind != OverrideEarlyBedtime:
		errs = append(errs, fielderr.New("minutes", "say for how long (minutes), until when (until) or until tomorrow morning (morning)"))
	case !req.Until.IsZero() && !req.Until.After(now):
		errs = append(errs, fielderr.New("until", "%s is not in the future", req.Until.Format(time.RFC3339)))
	case req.Until.After(now.Add(MaxOverride)):
		errs = append(errs, fielderr.New("until", "%s is more than %d days ahead", req.Until.Format(time.RFC3339), MaxOverride/(24*time.Hour)))
	}
	if err := errors.Join(errs...); err != nil {
		return ov, err
	}
	t := Target{Device: ov.Device, Group: ov.Group, All: ov.All}
	sit := e.Situation(t, now)
	if req.Minutes > 0 && req.Kind != OverrideLaterBedtime {
		ov.Until = now.Add(time.Duration(req.Minutes) * time.Minute)
	}
	if req.Morning {
		ov.Until = sit.Morning
	}
	at := func(x time.Time) string { // "21:30" today, "07:00 tomorrow", else "Sat 08:00"
		loc := sit.EndOfDay.Location()
		switch {
		case x.Before(sit.EndOfDay) && !x.Before(sit.EndOfDay.AddDate(0, 0, -1)):
			return x.In(loc).Format("15:04")
		case !x.Before(sit.EndOfDay) && x.Before(sit.EndOfDay.AddDate(0, 0, 1)):
			return x.In(loc).Format("15:04") + " tomorrow"
		}
		return x.In(loc).Format("Mon 15:04")
	}

	// What could change no answer is refused, with what would.
	switch req.Kind {
	case OverridePause:
		switch {
		case !sit.Paused.IsZero() && !ov.Until.After(sit.Paused):
			return ov, fielderr.New("minutes", "%s is already paused until %s: extend that pause instead", sit.Name, at(sit.Paused))
		case sit.Bedtime && !ov.Until.After(sit.BedtimeEnd):
			return ov, fielderr.New("minutes", "it is bedtime for %s until %s, which already blocks everything", sit.Name, at(sit.BedtimeEnd))
		}
	case OverrideBonus:
		return checkBonus(req, ov, sit, e.Blocks(t, req.What, now), now, at)
	case OverrideLaterBedtime:
		switch {
		case sit.TonightStart.IsZero():
			return ov, fielderr.New("kind", "%s has no bedtime", sit.Name)
		case !sit.Early.IsZero():
			return ov, fielderr.New("kind", "%s has an early bedtime tonight: end it first", sit.Name)
		}
		ov.Until = sit.TonightStart.Add(time.Duration(req.Minutes) * time.Minute)
		switch {
		case !ov.Until.After(now):
			return ov, fielderr.New("minutes", "bedtime started at %s; %d minutes later is already past", at(sit.TonightStart), req.Minutes)
		case !ov.Until.Before(sit.TonightEnd):
			return ov, fielderr.New("minutes", "%d minutes later is after tonight's bedtime ends (%s): pause or use bonus time instead", req.Minutes, at(sit.TonightEnd))
		case !sit.Later.IsZero():
			return ov, fielderr.New("kind", "bedtime for %s is already later tonight, until %s: extend that instead", sit.Name, at(sit.Later))
		}
	case OverrideEarlyBedtime:
		switch {
		case sit.Bedtime:
			return ov, fielderr.New("kind", "it is already bedtime for %s, until %s", sit.Name, at(sit.BedtimeEnd))
		case sit.TonightEnd.IsZero():
			ov.Until = sit.Morning
		default:
			ov.Until = sit.TonightEnd
		}
	}
	return ov, nil
}

// checkBonus refuses bonus time that could change no answer and sets its
// end (see Check).
func checkBonus(req Request, ov Override, sit Situation, bl Blocking, now time.Time, at func(time.Time) string) (Override, error) {
	what := req.What
	switch {
	case bl.Own != "":
		return ov, fielderr.New("what", "%s is blocked by %s, which bonus time does not lift", what, bl.Own)
	case sit.Bedtime:
		return ov, fielderr.New("what", "bedtime until %s blocks everything: use 'later bedtime tonight'", at(sit.BedtimeEnd))
	case !bl.Now && (bl.From.IsZero() || bl.From.After(sit.EndOfDay)):
		return ov, fielderr.New("what", "nothing blocks %s for %s now or later today", what, sit.Name)
	case !bl.Now && !sit.TonightStart.IsZero() && !sit.TonightStart.After(bl.From) && sit.TonightStart.After(now):
		return ov, fielderr.New("what", "bedtime starts at %s, before %s is blocked at %s: use 'later bedtime tonight'", at(sit.TonightStart), what, at(bl.From))
	}
	switch {
	case !req.Until.IsZero() && !bl.Now && !req.Until.After(bl.From):
		return ov, fielderr.New("until", "%s is not blocked until %s: bonus time until %s changes nothing", what, at(bl.From), at(req.Until))
	case req.Minutes > 0 && !bl.Now:
		ov.Until = bl.From.Add(time.Duration(req.Minutes) * time.Minute)
	}
	if !sit.Paused.IsZero() && !ov.Until.After(sit.Paused) {
		return ov, fielderr.New("what", "%s is paused until %s, after this bonus time would end", sit.Name, at(sit.Paused))
	}
	return ov, nil
}

// BudgetKnown is what extra minutes need of the running configuration.
type BudgetKnown interface {
	// OwnerBudget finds the budget of what (its id, or one of the
	// categories or services it names) that person or device (one of them
	// set) has today. A person or device that does not exist is a
	// *NotFoundError; one without such a budget today is a
	// *fielderr.Error keyed "what".
	OwnerBudget(person, device, what string, now time.Time) (BudgetRef, error)
}

// BudgetRef names one owner's budget, as an extra-minutes override keeps it.
type BudgetRef struct {
	Person, Device string    // the owner as the configuration writes it (one set)
	Budget         string    // the budget's id ("gaming", "tiktok,youtube")
	EndOfDay       time.Time // the household's next midnight
}

// checkMinutes checks a request for extra minutes of a daily budget
// today: for a person or a device (nobody's), a budget it has, 1 to
// MaxExtraMinutes minutes. The override ends at the household's midnight.
func (req Request) checkMinutes(now time.Time, e BudgetKnown) (Override, error) {
	ov := Override{Kind: OverrideMinutes, Minutes: req.Minutes, By: req.By}
	var errs []error
	switch {
	case req.Group != "" || req.All:
		errs = append(errs, fielderr.New("person", "extra minutes are for a person or a device, not a group"))
	case req.Person != "" && req.Device != "":
		errs = append(errs, fielderr.New("person", "set a person (%q) or a device (%q), not both", req.Person, req.Device))
	case req.Person == "" && req.Device == "":
		errs = append(errs, fielderr.New("person", "set a person or a device"))
	}
	if req.What == "" {
		errs = append(errs, fielderr.New("what", "say which budget (what), like gaming"))
	}
	if req.Minutes < 1 || req.Minutes > MaxExtraMinutes {
		errs = append(errs, fielderr.New("minutes", "%d is outside 1..%d", req.Minutes, MaxExtraMinutes))
	}
	if !req.Until.IsZero() || req.Morning {
		errs = append(errs, fielderr.New("until", "extra minutes are for today: give minutes only"))
	}
	if err := errors.Join(errs...); err != nil {
		return ov, err
	}
	ref, err := e.OwnerBudget(req.Person, req.Device, req.What, now)
	if err != nil {
		return ov, err
	}
	ov.Person, ov.Device, ov.What, ov.Until = ref.Person, ref.Device, ref.Budget, ref.EndOfDay
	return ov, nil
}
