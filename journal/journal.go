// Package journal keeps the record of blocked lookups (and, for groups that
// ask for it, allowed ones) that the parents' report is made from. Lookups
// are queued without waiting by the DNS path, batched by one writer into an
// embedded SQLite database (pure Go: modernc.org/sqlite), and stored per
// device, name and minute with their counts, so a burst of retries is one row
// that says how many tries it was.
package journal

import (
	"net/netip"
	"time"
)

// Event is one lookup as the DNS path hands it over.
type Event struct {
	Time   time.Time
	Device string // the configured device name; "" for an unknown device
	Group  string
	Client netip.Addr
	Name   string // lowercase, no trailing dot; the caller's own copy
	Qtype  uint16
	Action string // ActionBlock or ActionAllow
	// From the policy's Decision:
	Reason   string // "rule", "bedtime", "pause", "device", ...
	Mode     string // for rules with windows: "outside" or "during"
	Category string
	Service  string
	List     string
	Rule     string // config key of the deciding rule
	Window   string
	Response string // how it was answered: "nxdomain", "null_ip", "refused", "address"
}

// Actions.
const (
	ActionBlock = "block"
	ActionAllow = "allow"
)

// Row is what the journal stores: the lookups of one device (by name and
// client address) for one name in one minute, with one decision.
type Row struct {
	Minute   time.Time // the minute's start, UTC
	Device   string
	Client   string
	Group    string
	Name     string
	Action   string
	Reason   string
	Mode     string
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
}

// Filter selects rows.
type Filter struct {
	Since, Until time.Time // [Since, Until); zero: unbounded
	Device       string    // a configured device name or a client address; "" for all
	Action       string    // ActionBlock, ActionAllow, or "" for both
	Limit        int       // at most this many rows, newest first; 0: all, oldest first
}
