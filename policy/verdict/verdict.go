package verdict

import (
	"fmt"
	"strconv"
)

// Action is what to do with a query.
type Action uint8

const (
	Allow   Action = iota
	Block          // answer with the decision's response
	Rewrite        // answer with a CNAME to the safe endpoint (safe search)
)

var actionNames = [...]string{Allow: "allow", Block: "block", Rewrite: "rewrite"}

// String is the action's stable name: "allow", "block", "rewrite".
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// ParseAction reads an action's stable name.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (known: allow, block, rewrite)", s)
}

// MarshalText writes the stable name (JSON, logs).
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads the stable name.
func (a *Action) UnmarshalText(b []byte) (err error) {
	*a, err = ParseAction(string(b))
	return err
}

// Reason says which step of the policy decided.
type Reason uint8

const (
	ReasonNone       Reason = iota // nothing applies: allowed
	ReasonHelp                     // a child-help site: always allowed, never journaled
	ReasonAllowList                // the device's or group's allow entries
	ReasonPause                    // a pause override
	ReasonBedtime                  // the group's bedtime windows
	ReasonDevice                   // the device's own block entries
	ReasonRule                     // a rule (household or group)
	ReasonWindow                   // a scheduled rule matched but its window allows it now
	ReasonBonus                    // bonus time lifted a rule
	ReasonSafeSearch               // rewritten to the engine's safe endpoint
	ReasonBudget                   // a daily budget's minutes are used up today
)

var reasonNames = [...]string{
	ReasonNone: "none", ReasonHelp: "help", ReasonAllowList: "allow-list", ReasonPause: "pause",
	ReasonBedtime: "bedtime", ReasonDevice: "device", ReasonRule: "rule", ReasonWindow: "window",
	ReasonBonus: "bonus", ReasonSafeSearch: "safe-search", ReasonBudget: "budget",
}

// String is the reason's stable name: "rule", "bedtime", "allow-list"...
// The journal stores it and the metrics label blocked answers with it.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// ParseReason reads a reason's stable name.
func ParseReason(s string) (Reason, error) {
	for i, n := range reasonNames {
		if n == s {
			return Reason(i), nil
		}
	}
	return 0, fmt.Errorf("unknown reason %q", s)
}

// MarshalText writes the stable name (JSON, logs).
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads the stable name.
func (r *Reason) UnmarshalText(b []byte) (err error) {
	*r, err = ParseReason(string(b))
	return err
}

// Mode is how a scheduled rule uses its windows.
type Mode uint8

const (
	ModeAlways  Mode = iota // no windows: the rule applies at all times (or no rule decided)
	ModeOutside             // blocks outside its windows (allowed only inside them)
	ModeDuring              // blocks during its windows
)

var modeNames = [...]string{ModeAlways: "always", ModeOutside: "outside", ModeDuring: "during"}

// String is the mode's stable name: "always", "outside", "during".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Scheduled reports whether the mode has windows (outside or during).
func (m Mode) Scheduled() bool { return m == ModeOutside || m == ModeDuring }

// ParseMode reads a mode's stable name; "" is ModeAlways (the journal
// stores no name for it).
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return ModeAlways, nil
	}
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown mode %q (known: always, outside, during)", s)
}

// MarshalText writes the stable name (JSON, logs).
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads the stable name.
func (m *Mode) UnmarshalText(b []byte) (err error) {
	*m, err = ParseMode(string(b))
	return err
}
