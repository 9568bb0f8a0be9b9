// Package journal keeps the record of blocked lookups (and, for groups that
// ask for it, allowed ones) that the parents' report is made from. Lookups
// are queued without waiting by the DNS path, batched by one writer into an
// embedded SQLite database (pure Go: modernc.org/sqlite), and stored per
// device, name and minute with their counts, so a burst of retries is one row
// that says how many tries it was.
package journal

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/hearth-dns/hearth/policy/verdict"
)

// Event is one lookup as the DNS path hands it over.
type Event struct {
	Time   time.Time
	Device string // the configured device name; "" for an unknown device
	Group  string
	Client netip.Addr
	Name   string // lowercase, no trailing dot; the caller's own copy
	Qtype  uint16
	// Action is ActionBlock or ActionAllow; a safe-search rewrite is
	// recorded as allowed, with verdict.ReasonSafeSearch.
	Action verdict.Action
	// From the policy's Decision:
	Reason   verdict.Reason
	Mode     verdict.Mode // for rules with windows: outside or during
	Category string
	Service  string
	List     string
	Rule     string // config key of the deciding rule
	Window   string
	Response string // how it was answered: "nxdomain", "null_ip", "refused", "address"
	// Queue is which of Record's queues takes it, not a fact of the
	// lookup: 0 the shared one, n > 0 the queue of UDP worker n (spread
	// over one queue per core), so that workers on different cores do not
	// wait for one another's lock.
	Queue int
}

// Actions the journal records.
const (
	ActionBlock = verdict.Block
	ActionAllow = verdict.Allow
)

// Row is what the journal stores: the lookups of one device (by name and
// client address) for one name in one minute, with one decision.
type Row struct {
	Minute   time.Time // the minute's start, UTC
	Device   string
	Client   string
	Group    string
	Name     string
	Action   verdict.Action
	Reason   verdict.Reason
	Mode     verdict.Mode
	Category string
	Service  string
	List     string
	Rule     string
	Window   string
	Response string
	// Queries counts every packet; Attempts counts tries: a device asks
	// for A and AAAA (and often HTTPS) at each try, so Attempts is the
	// count of the most asked type in that minute.
	Queries  int64
	Attempts int64
	// Folded is, for a row that folds a flood, how many different names
	// over the device's budget (journal.flood.names_per_minute) it stands
	// for; Name is then a marker such as "*.roblox.com" (the registrable
	// domain of the first name folded) and First and Last bound the folded
	// lookups to the millisecond. 0 for an ordinary row.
	Folded      int64
	First, Last time.Time
}

// Filter selects rows.
type Filter struct {
	Since, Until time.Time // [Since, Until); zero: unbounded
	Device       string    // a configured device name or a client address; "" for all
	// Devices, when not empty, keeps the rows of these configured device
	// names only (a person's devices), besides Device.
	Devices []string
	Action  Actions // AnyAction (the zero value), OnlyBlocked or OnlyAllowed
	Limit   int     // at most this many rows, newest first; 0: all, oldest first
}

// Actions selects rows by their action, for a Filter.
type Actions uint8

const (
	AnyAction   Actions = iota // blocked and allowed
	OnlyBlocked                // ActionBlock
	OnlyAllowed                // ActionAllow (safe-search rewrites included)
)

// action is the one action f selects; ok is false for AnyAction.
func (f Actions) action() (a verdict.Action, ok bool) {
	switch f {
	case OnlyBlocked:
		return ActionBlock, true
	case OnlyAllowed:
		return ActionAllow, true
	}
	return 0, false
}

// Facts are the row's decision, for policy/words.
func (r *Row) Facts() verdict.Facts {
	return verdict.Facts{
		Action: r.Action, Reason: r.Reason, Mode: r.Mode, Device: r.Device, Group: r.Group,
		Rule: r.Rule, Category: r.Category, Service: r.Service, List: r.List, Window: r.Window,
	}
}

// The journal stores action, reason and mode by their stable names
// (verdict's), a scheduled-less mode as "". Reading a row parses them once
// and refuses a name it does not know.

func modeName(m verdict.Mode) string {
	if m == verdict.ModeAlways {
		return ""
	}
	return m.String()
}

// parseDecision reads the stored names into r.
func (r *Row) parseDecision(action, reason, mode string) error {
	var err error
	if r.Action, err = verdict.ParseAction(action); err != nil {
		return r.badRow(err)
	}
	if r.Reason, err = verdict.ParseReason(reason); err != nil {
		return r.badRow(err)
	}
	if r.Mode, err = verdict.ParseMode(mode); err != nil {
		return r.badRow(err)
	}
	return nil
}

func (r *Row) badRow(err error) error {
	return fmt.Errorf("journal: the row of %s for %s at %s: %w (written by a newer hearth?)",
		r.Device+r.Client, r.Name, r.Minute.Format(time.RFC3339), err)
}

// Has reports whether f selects rows of action a.
func (f Actions) Has(a verdict.Action) bool {
	want, ok := f.action()
	return !ok || a == want
}
