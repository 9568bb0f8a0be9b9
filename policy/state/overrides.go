package state

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-dns/hearth/internal/atomicfile"
	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/fielderr"
)

// OverrideKind says what an Override does.
type OverrideKind string

const (
	// OverridePause blocks everything for the target except the help and
	// allow lists.
	OverridePause OverrideKind = "pause"
	// OverrideBonus lifts, for the target, the rules that would block What.
	OverrideBonus OverrideKind = "bonus"
	// OverrideLaterBedtime lifts the target's bedtime until Until: tonight's
	// bedtime starts then instead of at its usual time.
	OverrideLaterBedtime OverrideKind = "later-bedtime"
	// OverrideEarlyBedtime is bedtime for the target from Created until
	// Until (the end of tonight's bedtime): bedtime starts now.
	OverrideEarlyBedtime OverrideKind = "early-bedtime"
	// OverrideMinutes adds Minutes to today's amount of a daily budget
	// (What: the budget's id) for a person or a device, until Until (the
	// household's midnight).
	OverrideMinutes OverrideKind = "extra-minutes"
)

// kindsText lists the kinds for messages.
const kindsText = `"pause", "bonus", "later-bedtime", "early-bedtime" or "extra-minutes"`

// MaxExtraMinutes bounds one extra-minutes override.
const MaxExtraMinutes = 24 * 60

// MaxOverride is how far ahead an override may end when it is added.
const MaxOverride = 7 * 24 * time.Hour

// overridesVersion is the "version" written to the overrides file.
const overridesVersion = 1

var (
	// ErrNotPersisted is wrapped by the error of a change that applies in
	// memory but could not be saved: it is lost on restart.
	ErrNotPersisted = errors.New("policy: override change applied but not saved (lost on restart)")
	// ErrNoOverride is wrapped by Cancel's error for an unknown ID.
	ErrNoOverride = errors.New("policy: no such override")
)

// Override is one parent's decision, in force until Until.
type Override struct {
	ID      string       `json:"id"` // assigned by Add: 8 random lowercase hex chars
	Kind    OverrideKind `json:"kind"`
	Device  string       `json:"device,omitempty"` // exactly one of Device, Person, Group and All
	Person  string       `json:"person,omitempty"` // extra minutes only
	Group   string       `json:"group,omitempty"`
	All     bool         `json:"all,omitempty"`     // everyone: every device, named or not (pauses only)
	What    string       `json:"what,omitempty"`    // bonus: a category or service id; extra minutes: a budget's id
	Minutes int          `json:"minutes,omitempty"` // extra minutes only: how many
	Until   time.Time    `json:"until"`
	Created time.Time    `json:"created"`      // set by Add from the clock
	By      string       `json:"by,omitempty"` // who set it ("dashboard", "api token", "cli")
}

// Target returns "device alex-tablet", "group kids" or "everyone".
func (o Override) Target() string {
	switch {
	case o.Device != "":
		return "device " + o.Device
	case o.Person != "":
		return "person " + o.Person
	case o.All:
		return "everyone"
	}
	return "group " + o.Group
}

// Active reports whether o is in force at t: Created <= t < Until. A zero
// Created counts as always started.
func (o Override) Active(t time.Time) bool {
	return (o.Created.IsZero() || !t.Before(o.Created)) && t.Before(o.Until)
}

// checkShape returns every problem with o's kind, target and what, keyed by
// JSON field name. Until is checked by Add, against the clock.
func (o Override) checkShape() []error {
	var errs []error
	switch o.Kind {
	case OverridePause:
		if o.What != "" {
			errs = append(errs, fielderr.New("what", "%q: a pause blocks everything; leave what empty", o.What))
		}
	case OverrideBonus:
		if o.What == "" {
			errs = append(errs, fielderr.New("what", "bonus time needs a category or service"))
		}
	case OverrideLaterBedtime, OverrideEarlyBedtime:
		if o.What != "" {
			errs = append(errs, fielderr.New("what", "%q: bedtime is for everything; leave what empty", o.What))
		}
	case OverrideMinutes:
		if o.What == "" {
			errs = append(errs, fielderr.New("what", "extra minutes need a budget"))
		}
		if o.Minutes < 1 || o.Minutes > MaxExtraMinutes {
			errs = append(errs, fielderr.New("minutes", "%d is outside 1..%d", o.Minutes, MaxExtraMinutes))
		}
		if o.Group != "" || o.All {
			errs = append(errs, fielderr.New("person", "extra minutes are for a person or a device"))
		}
	default:
		errs = append(errs, fielderr.New("kind", "%q: use %s", o.Kind, kindsText))
	}
	if o.Person != "" && o.Kind != OverrideMinutes {
		errs = append(errs, fielderr.New("person", "only extra minutes are for a person; choose a device or a group"))
	}
	if o.Minutes != 0 && o.Kind != OverrideMinutes {
		errs = append(errs, fielderr.New("minutes", "only extra minutes keep a number of minutes"))
	}
	switch n := btoi(o.Device != "") + btoi(o.Person != "") + btoi(o.Group != "") + btoi(o.All); {
	case n == 0:
		errs = append(errs, fielderr.New("device", "set a device, a group or all"))
	case n > 1:
		errs = append(errs, fielderr.New("device", "set one of a device (%q), a person (%q), a group (%q) or all", o.Device, o.Person, o.Group))
	case o.All && o.Kind != OverridePause:
		errs = append(errs, fielderr.New("all", "only a pause can be for everyone: choose a device or a group"))
	}
	return errs
}

// Overrides holds the runtime overrides and saves them to one JSON file.
// Writers take the mutex (and hold it while saving, so the file always
// follows the order of changes); readers use the snapshot, which is
// replaced, never modified, on every change. Safe for concurrent use.
type Overrides struct {
	path     string // "" keeps everything in memory
	readOnly bool   // OpenOverridesReadOnly: changes fail with ErrReadOnly
	clk      clock.Clock
	snap     atomic.Pointer[[]Override] // sorted by Until then ID

	mu         sync.Mutex
	unsaved    bool // the last save failed; Prune retries it
	fns        []func([]Override)
	local      []func(OverrideChange) // OnLocalChange
	notifying  bool                   // a goroutine is running the OnChange functions
	notifyMore bool                   // a change came after it loaded the snapshot
}

// overridesFile is the shape of the file on disk.
type overridesFile struct {
	Version   int        `json:"version"`
	Overrides []Override `json:"overrides"`
}

// OpenOverrides loads the store saved at path; "" gives a store kept in
// memory only. A missing file is an empty store. A file that cannot be
// parsed is renamed aside to path+".corrupt-YYYYMMDDTHHMMSS" (UTC) and an
// empty store comes back with an error saying so; entries with a bad shape
// are dropped, with an error naming them. In both cases the store is usable
// and the caller should log the error and carry on. A file that cannot be
// read returns a nil store and the error. Expired overrides are dropped.
func OpenOverrides(path string, clk clock.Clock) (*Overrides, error) {
	return openOverrides(path, clk, false)
}

// OpenOverridesReadOnly loads the store at path as of clk's time, for a
// program that must not write (hearth explain): a file that cannot be
// parsed is left where it is and an empty store comes back with an error
// saying so; Add, Cancel and Prune fail with ErrReadOnly. Otherwise it is
// OpenOverrides.
func OpenOverridesReadOnly(path string, clk clock.Clock) (*Overrides, error) {
	return openOverrides(path, clk, true)
}

func openOverrides(path string, clk clock.Clock, readOnly bool) (*Overrides, error) {
	if clk == nil {
		clk = clock.System{}
	}
	o := &Overrides{path: path, clk: clk, readOnly: readOnly}
	o.snap.Store(&[]Override{})
	if path == "" {
		return o, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return o, nil
	}
	if err != nil {
		return nil, fmt.Errorf("policy: overrides: %w", err)
	}
	var f overridesFile
	if err := json.Unmarshal(b, &f); err != nil || f.Version != overridesVersion {
		if err == nil {
			err = fmt.Errorf("unsupported version %d (want %d)", f.Version, overridesVersion)
		}
		if readOnly {
			return o, damagedReadOnly(path, "pauses and bonus time", err)
		}
		aside, rerr := atomicfile.SetAside(path, clk.Now())
		if rerr != nil {
			return o, fmt.Errorf("policy: overrides: %s cannot be parsed (%v) nor moved aside (%w); starting with no overrides", path, err, rerr)
		}
		return o, fmt.Errorf("policy: overrides: %s cannot be parsed (%v); moved it to %s and starting with no overrides", path, err, aside)
	}
	now := clk.Now()
	list := make([]Override, 0, len(f.Overrides))
	var errs []error
	for i, ov := range f.Overrides {
		shape := ov.checkShape()
		if ov.ID == "" || slices.ContainsFunc(list, func(x Override) bool { return x.ID == ov.ID }) {
			shape = append(shape, fielderr.New("id", "%q: missing or repeated", ov.ID))
		}
		if len(shape) > 0 {
			errs = append(errs, fmt.Errorf("policy: overrides: %s: dropped overrides[%d]: %w", path, i, errors.Join(shape...)))
			continue
		}
		if now.Before(ov.Until) {
			list = append(list, ov)
		}
	}
	sortOverrides(list)
	o.snap.Store(&list)
	return o, errors.Join(errs...)
}

// Add checks ov's shape, gives it an ID and Created, applies it at once and
// saves the store. Validation problems come back joined, each a
// *fielderr.Error keyed by JSON field name ("kind", "device", "what",
// "until"), and nothing is added. If saving fails, the override still
// applies: Add returns it with an error wrapping ErrNotPersisted.
func (o *Overrides) Add(ov Override) (Override, error) {
	if o.readOnly {
		return Override{}, ErrReadOnly
	}
	now := o.clk.Now()
	errs := ov.checkShape()
	switch {
	case ov.Until.IsZero():
		errs = append(errs, fielderr.New("until", "required"))
	case !ov.Until.After(now):
		errs = append(errs, fielderr.New("until", "%s is not in the future", ov.Until.Format(time.RFC3339)))
	case ov.Until.After(now.Add(MaxOverride)):
		errs = append(errs, fielderr.New("until", "%s is more than %d days ahead", ov.Until.Format(time.RFC3339), MaxOverride/(24*time.Hour)))
	}
	if len(errs) > 0 {
		return Override{}, errors.Join(errs...)
	}
	ov.Until = ov.Until.Round(0) // drop the monotonic reading: memory matches disk
	ov.Created = now.Round(0)

	o.mu.Lock()
	cur := *o.snap.Load()
	ov.ID = newOverrideID(cur)
	next := make([]Override, len(cur), len(cur)+1)
	copy(next, cur)
	next = append(next, ov)
	sortOverrides(next)
	err := o.publishLocked(next)
	o.localLocked(OverrideChange{Override: ov})
	o.notify()
	return ov, err
}

// Cancel removes the override with the given ID and saves the store. An
// unknown ID gives an error wrapping ErrNoOverride. If saving fails, the
// override is still gone from memory and the error wraps ErrNotPersisted.
func (o *Overrides) Cancel(id string) error {
	if o.readOnly {
		return ErrReadOnly
	}
	o.mu.Lock()
	cur := *o.snap.Load()
	i := slices.IndexFunc(cur, func(x Override) bool { return x.ID == id })
	if i < 0 {
		o.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrNoOverride, id)
	}
	next := slices.Concat(cur[:i:i], cur[i+1:])
	err := o.publishLocked(next)
	o.localLocked(OverrideChange{Override: cur[i], Cancelled: true})
	o.notify()
	return err
}

// Extend moves the end of the override with the given ID by d (negative
// to shorten it) and saves the store, returning the override as it now is.
// The new end must be after the clock's now and at most MaxOverride ahead
// (a *fielderr.Error keyed "minutes" otherwise). Unknown or ended IDs give
// an error wrapping ErrNoOverride; a failed save wraps ErrNotPersisted, as
// for Add.
func (o *Overrides) Extend(id string, d time.Duration) (Override, error) {
	if o.readOnly {
		return Override{}, ErrReadOnly
	}
	now := o.clk.Now()
	o.mu.Lock()
	cur := *o.snap.Load()
	i := slices.IndexFunc(cur, func(x Override) bool { return x.ID == id && x.Active(now) })
	if i < 0 {
		o.mu.Unlock()
		return Override{}, fmt.Errorf("%w: %q", ErrNoOverride, id)
	}
	ov := cur[i]
	if ov.Kind == OverrideMinutes {
		o.mu.Unlock()
		return ov, fielderr.New("minutes", "extra minutes last until midnight: give more extra minutes instead")
	}
	until := ov.Until.Add(d).Round(0)
	switch {
	case !until.After(now):
		o.mu.Unlock()
		return ov, fielderr.New("minutes", "it would end at %s, which is not in the future: end it instead", until.Format(time.RFC3339))
	case until.After(now.Add(MaxOverride)):
		o.mu.Unlock()
		return ov, fielderr.New("minutes", "it would end at %s, more than %d days ahead", until.Format(time.RFC3339), MaxOverride/(24*time.Hour))
	}
	ov.Until = until
	next := slices.Concat(cur[:i:i], cur[i+1:], []Override{ov})
	sortOverrides(next)
	err := o.publishLocked(next)
	o.localLocked(OverrideChange{Override: ov})
	o.notify()
	return ov, err
}

// List returns the overrides active at now, sorted by Until then ID, in a
// fresh slice (never nil) the caller may keep.
func (o *Overrides) List(now time.Time) []Override {
	cur := o.Snapshot()
	out := make([]Override, 0, len(cur))
	for _, ov := range cur {
		if ov.Active(now) {
			out = append(out, ov)
		}
	}
	return out
}

// Snapshot returns the current overrides, sorted by Until then ID and
// possibly including expired ones, without locking or allocating. The slice
// is shared: read it, never modify it.
func (o *Overrides) Snapshot() []Override {
	return *o.snap.Load()
}

// Prune drops the overrides that have ended by now and saves the store if
// anything changed, or if the last save failed.
func (o *Overrides) Prune(now time.Time) error {
	if o.readOnly {
		return ErrReadOnly
	}
	o.mu.Lock()
	cur := *o.snap.Load()
	keep := 0
	for _, ov := range cur {
		if now.Before(ov.Until) {
			keep++
		}
	}
	if keep == len(cur) {
		var err error
		if o.unsaved {
			err = o.saveLocked(cur)
		}
		o.mu.Unlock()
		return err
	}
	next := make([]Override, 0, keep)
	for _, ov := range cur {
		if now.Before(ov.Until) {
			next = append(next, ov)
		}
	}
	err := o.publishLocked(next)
	o.notify()
	return err
}

// OnChange registers fn, called after every change with the new Snapshot,
// outside the store's lock (fn may read or change the store). Calls are
// never concurrent and the last one always carries the latest snapshot;
// changes made while fn runs may be reported together in one later call.
func (o *Overrides) OnChange(fn func([]Override)) {
	o.mu.Lock()
	o.fns = append(o.fns, fn)
	o.mu.Unlock()
}

// publishLocked makes next the current set and saves it. o.mu must be held;
// it stays held (notify releases it).
func (o *Overrides) publishLocked(next []Override) error {
	o.snap.Store(&next)
	return o.saveLocked(next)
}

// saveLocked writes list to the file, recording whether that worked.
func (o *Overrides) saveLocked(list []Override) error {
	if o.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(overridesFile{Version: overridesVersion, Overrides: list}, "", "  ")
	if err == nil {
		err = atomicfile.Write(o.path, append(b, '\n'), 0o600)
	}
	o.unsaved = err != nil
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotPersisted, err)
	}
	return nil
}

// notify runs the OnChange functions with the latest snapshot. It is called
// with o.mu held, just after a change, and releases it. If another
// goroutine is already notifying, that one is told to run once more, so
// calls never overlap, never go back in time, and end on the latest set.
func (o *Overrides) notify() {
	if len(o.fns) == 0 {
		o.mu.Unlock()
		return
	}
	if o.notifying {
		o.notifyMore = true
		o.mu.Unlock()
		return
	}
	o.notifying = true
	for {
		o.notifyMore = false
		fns, snap := o.fns, o.Snapshot()
		o.mu.Unlock()
		for _, fn := range fns {
			fn(snap)
		}
		o.mu.Lock()
		if !o.notifyMore {
			o.notifying = false
			o.mu.Unlock()
			return
		}
	}
}

func sortOverrides(list []Override) {
	slices.SortFunc(list, func(a, b Override) int {
		return cmp.Or(a.Until.Compare(b.Until), cmp.Compare(a.ID, b.ID))
	})
}

// newOverrideID returns 8 random lowercase hex characters not used in cur.
func newOverrideID(cur []Override) string {
	var b [4]byte
	for {
		rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
		id := hex.EncodeToString(b[:])
		if !slices.ContainsFunc(cur, func(x Override) bool { return x.ID == id }) {
			return id
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
