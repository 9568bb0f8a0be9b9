package report

// The report's shape, and Build, which fills it from a Source. The counting
// is in count.go, the conversation starters in starters.go, the help in
// help.go; text.go, html.go and JSON below only format.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/journal"
)

// ParseLength reads a period's length: "30m", "12h", "7d", "2w".
func ParseLength(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q: write a length like 30m, 12h, 7d or 2w", s)
	if s == "" {
		return 0, bad
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit != 0 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > 3660 {
			return 0, bad
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, nil
}

// Source is where rows come from (the journal or its read-only Reader).
type Source interface {
	Rows(ctx context.Context, f journal.Filter) ([]journal.Row, error)
	Dropped(ctx context.Context, since, until time.Time) (int64, error)
}

// Options say what the report covers.
type Options struct {
	// Since and Until bound the period, [Since, Until). The period of the
	// same length just before Since is the one compared with.
	Since, Until time.Time
	// Device is a configured device name or a client address; "" for
	// every device.
	Device string
	// Location is the household's zone: hours and days are read on its
	// clock. nil: time.Local.
	Location *time.Location
	// Catalogue names categories and services. nil: blocklists.Builtin().
	Catalogue *blocklists.Catalogue
	// HelpCountries choose the "Where to get help" section (codes as in
	// policy.HelpCountries: "gb", "ie", "us", "au"). Empty: gb.
	HelpCountries []string
	// Person, when set, is the child the report is about, and Devices
	// their devices: only those devices' rows are read.
	Person  string
	Devices []string
	// Budgets are the minutes used of daily budgets per owner and day
	// (the budgets file's history); the report shows the period's.
	Budgets []BudgetDay
}

// Report is what a parent reads: one section per device, then where to get
// help. Every number in it is a count of tries (journal.Row.Attempts), not
// of packets.
type Report struct {
	Since         time.Time `json:"since"`
	Until         time.Time `json:"until"`
	PreviousSince time.Time `json:"previous_since"` // the compared period is [PreviousSince, Since)
	Zone          string    `json:"zone"`
	Device        string    `json:"device,omitempty"` // Options.Device
	Person        string    `json:"person,omitempty"` // Options.Person
	// History says whether the journal holds anything from before Since.
	// Without it nothing is "new" and nothing is compared.
	History bool `json:"history"`
	// Dropped is how many lookups of the period could not be recorded.
	Dropped int64    `json:"dropped"`
	Devices []Device `json:"devices"`
	// Budgets are the minutes used of each daily budget in the period, per
	// child (or device nobody owns).
	Budgets []Budget `json:"budgets"`
	// Starters are the conversation starters matched to what the devices
	// tried, each once, with what brought it up on each device.
	Starters []Starter     `json:"starters"`
	Help     []HelpCountry `json:"help"`

	loc *time.Location
}

// Device is the report on one device.
type Device struct {
	// Name is the configured name, or "unknown device 192.168.1.7".
	Name   string `json:"name"`
	Known  bool   `json:"known"`            // a configured device
	Client string `json:"client,omitempty"` // the address, for an unknown device
	// Blocked counts the blocked tries of the period; Change compares them
	// with the period before (nil without history).
	Blocked int64   `json:"blocked"`
	Change  *Change `json:"change,omitempty"`
	When    When    `json:"when"`
	// Categories and Services count blocked tries, most first. A category
	// blocked only in the period before is listed with 0.
	Categories []Count `json:"categories"`
	Services   []Count `json:"services"`
	// Hours counts blocked tries by hour of day on the household's clock.
	Hours   [24]int64   `json:"hours"`
	Busiest []HourCount `json:"busiest"` // the top 3 hours, most first
	// New are the services this device reached for (blocked or allowed)
	// for the first time: never in the journal before Since.
	New []Service `json:"new"`
	// Allowed are the services most used among the allowed lookups, for
	// groups that journal those (log_allowed); empty otherwise.
	Allowed []Count `json:"allowed"`
	// Floods are the floods of made-up names the journal folded (their
	// tries are in the counts above), most names first.
	Floods []Flood `json:"floods"`
	// Settings link the parental controls of the games and platforms this
	// device looked up or was blocked from (the catalogue's settings), the
	// most tried first: what the game's own settings do that DNS cannot
	// (docs/game-chat.md).
	Settings []SettingsLink `json:"settings"`

	starters []Starter // merged into Report.Starters
}

// When splits a device's blocked tries by the reason they were blocked.
type When struct {
	Bedtime int64 `json:"bedtime"` // the group's bedtime
	// Outside counts rules that allow a service only inside its windows
	// ("games 16:00-18:00"), tried outside them.
	Outside int64 `json:"outside_allowed_hours"`
	// During counts rules that block during windows (school, homework).
	During int64 `json:"during_blocked_hours"`
	Pause  int64 `json:"pause"`
	// Anytime counts the rest: rules and device entries with no window.
	Anytime int64 `json:"anytime"`
}

// Count is the tries of one category or service.
type Count struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Attempts int64   `json:"attempts"`
	Change   *Change `json:"change,omitempty"` // categories only, with history
}

// Change compares a count with the period before.
type Change struct {
	Previous int64 `json:"previous"`
	Diff     int64 `json:"diff"`
	// Percent is Diff against Previous, rounded; only when Previous is
	// at least minPercentBase, where a percentage means something.
	Percent *int64 `json:"percent,omitempty"`
}

// HourCount is the tries in one hour of the day (Hour:00 to Hour:59).
type HourCount struct {
	Hour     int   `json:"hour"`
	Attempts int64 `json:"attempts"`
}

// SettingsLink is one service's own parental-control page.
type SettingsLink struct {
	Service     string `json:"service"`      // the service id, "roblox"
	ServiceName string `json:"service_name"` // "Roblox"
	Name        string `json:"name"`         // "Roblox Parental Controls"
	URL         string `json:"url"`          // https
}

// Text is the line a parent reads: "Roblox has its own chat settings:
// Roblox Parental Controls https://...".
func (l SettingsLink) Text() string {
	return l.Lead() + " " + l.URL
}

// Lead is Text without the address (the HTML report links the name).
func (l SettingsLink) Lead() string {
	return l.ServiceName + " has its own chat settings: " + l.Name
}

// Service names a catalogue service.
type Service struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Build counts the rows of opts' period and the one before it into a
// Report. Rows are read once, from the start of the journal to Until, so
// that services can be checked for having been seen before.
func Build(ctx context.Context, src Source, opts Options) (*Report, error) {
	if src == nil {
		return nil, errors.New("report: no source")
	}
	if opts.Since.IsZero() || opts.Until.IsZero() || !opts.Until.After(opts.Since) {
		return nil, fmt.Errorf("report: the period %s to %s is empty", opts.Since, opts.Until)
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Catalogue == nil {
		opts.Catalogue = blocklists.Builtin()
	}
	help, err := helpFor(opts.HelpCountries)
	if err != nil {
		return nil, err
	}
	rows, err := src.Rows(ctx, journal.Filter{Until: opts.Until, Device: opts.Device, Devices: opts.Devices})
	if err != nil {
		return nil, fmt.Errorf("report: reading the journal: %w", err)
	}
	if ts, ok := src.(TotalsSource); ok {
		totals, err := ts.Totals(ctx, journal.Filter{Until: opts.Until, Device: opts.Device, Devices: opts.Devices})
		if err != nil {
			return nil, fmt.Errorf("report: reading the journal's totals: %w", err)
		}
		rows = fillPruned(rows, totals, opts.Until)
	}
	history := false
	for i := range rows {
		if rows[i].Minute.Before(opts.Since) {
			history = true
			break
		}
	}
	if !history && (opts.Device != "" || len(opts.Devices) > 0) {
		// Other devices' rows say whether the journal was running.
		earlier, err := src.Rows(ctx, journal.Filter{Until: opts.Since, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("report: reading the journal: %w", err)
		}
		history = len(earlier) > 0
	}
	dropped, err := src.Dropped(ctx, opts.Since, opts.Until)
	if err != nil {
		return nil, fmt.Errorf("report: reading the dropped count: %w", err)
	}
	r := &Report{
		Since:         opts.Since.In(opts.Location),
		Until:         opts.Until.In(opts.Location),
		PreviousSince: opts.Since.Add(-opts.Until.Sub(opts.Since)).In(opts.Location),
		Zone:          opts.Location.String(),
		Device:        opts.Device,
		Person:        opts.Person,
		History:       history,
		Dropped:       dropped,
		Help:          help,
		loc:           opts.Location,
	}
	r.Devices = count(rows, r, opts.Catalogue)
	if r.Devices == nil {
		r.Devices = []Device{}
	}
	r.Starters = mergeStarters(r.Devices)
	var keep []string
	switch {
	case opts.Person != "":
		keep = []string{opts.Person}
	case opts.Device != "":
		keep = []string{opts.Device}
	}
	r.Budgets = budgetsOf(opts.Budgets, opts.Since, opts.Until, opts.Location, keep)
	if s := budgetStarter(r.Budgets); s != nil {
		r.Starters = append(r.Starters, *s)
	}
	return r, nil
}

// JSON writes the report as indented JSON; times are on the household's
// clock.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// minPercentBase is the smallest previous count a percentage is given
// against: "+3 (+300%)" from 1 to 4 says more than it means.
const minPercentBase = 10

// change compares cur with prev.
func change(cur, prev int64) *Change {
	c := &Change{Previous: prev, Diff: cur - prev}
	if prev >= minPercentBase {
		p := (200*c.Diff + prev) / (2 * prev) // rounded half up
		if c.Diff < 0 {
			p = -((200*-c.Diff + prev) / (2 * prev))
		}
		c.Percent = &p
	}
	return c
}

// String is "+5 (+33%)", "-2", "no change".
func (c *Change) String() string {
	if c.Diff == 0 {
		return "no change"
	}
	s := fmt.Sprintf("%+d", c.Diff)
	if c.Percent != nil {
		s += fmt.Sprintf(" (%+d%%)", *c.Percent)
	}
	return s
}

// periodWord names the period for sentences: "week", "day", or "period".
func (r *Report) periodWord() string {
	switch r.days() {
	case 7:
		return "week"
	case 1:
		return "day"
	}
	return "period"
}

// days is the period's length in whole days (a week across a clock change
// is still 7), or 0 when it is not whole days.
func (r *Report) days() int {
	d := r.Until.Sub(r.Since)
	days := (d + 12*time.Hour) / (24 * time.Hour)
	if off := d - days*24*time.Hour; off > time.Hour || off < -time.Hour {
		return 0
	}
	return int(days)
}
