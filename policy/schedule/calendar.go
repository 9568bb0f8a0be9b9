package schedule

import (
	"fmt"
	"strings"
	"time"
)

// CivilDate is a day on the household's calendar, with no zone and no time of
// day: "2026-12-19" is the same CivilDate in London and in Sydney.
type CivilDate struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseCivilDate parses "YYYY-MM-DD".
func ParseCivilDate(s string) (CivilDate, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return CivilDate{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	y, m, d := t.Date()
	return CivilDate{y, m, d}, nil
}

// String returns the date as "YYYY-MM-DD".
func (d CivilDate) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// valid reports whether d names a real day (not 2026-02-30).
func (d CivilDate) valid() bool {
	return civilFromDayNumber(d.dayNumber()) == d
}

// dayNumber counts days since 1970-01-01 (negative before it).
func (d CivilDate) dayNumber() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

func civilFromDayNumber(n int64) CivilDate {
	y, m, d := time.Unix(n*secondsPerDay, 0).UTC().Date()
	return CivilDate{y, m, d}
}

// DateRange is an inclusive span of days: First and Last are both in it.
type DateRange struct {
	First, Last CivilDate
}

// ParseDateRange parses "2026-12-19..2027-01-04" (both days included) or a
// single day "2026-05-25".
func ParseDateRange(s string) (DateRange, error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "..")
	first, err := ParseCivilDate(strings.TrimSpace(a))
	if err != nil {
		return DateRange{}, fmt.Errorf("date range %q: %w", s, err)
	}
	last := first
	if isRange {
		if last, err = ParseCivilDate(strings.TrimSpace(b)); err != nil {
			return DateRange{}, fmt.Errorf("date range %q: %w", s, err)
		}
	}
	r := DateRange{first, last}
	if err := r.check(); err != nil {
		return DateRange{}, fmt.Errorf("date range %q: %w", s, err)
	}
	return r, nil
}

func (r DateRange) check() error {
	switch {
	case !r.First.valid():
		return fmt.Errorf("no such day %s", r.First)
	case !r.Last.valid():
		return fmt.Errorf("no such day %s", r.Last)
	case r.Last.dayNumber() < r.First.dayNumber():
		return fmt.Errorf("last day %s is before first day %s", r.Last, r.First)
	}
	return nil
}

// String returns the canonical form ParseDateRange accepts.
func (r DateRange) String() string {
	if r.First == r.Last {
		return r.First.String()
	}
	return r.First.String() + ".." + r.Last.String()
}

// Contains reports whether d is one of the days of r.
func (r DateRange) Contains(d CivilDate) bool {
	n := d.dayNumber()
	return r.First.dayNumber() <= n && n <= r.Last.dayNumber()
}

// Calendar is a set of named date ranges (school holidays, bank holidays) in
// the household's zone. Build it with NewCalendar and Add before handing it to
// a Schedule; Schedule.WithHoliday takes its own copy.
type Calendar struct {
	loc     *time.Location
	entries []calendarEntry
}

type calendarEntry struct {
	name        string
	first, last int64 // day numbers, inclusive
}

// NewCalendar returns an empty calendar whose days are days in loc (UTC if nil).
func NewCalendar(loc *time.Location) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	return &Calendar{loc: loc}
}

// Add adds a named range. Ranges may overlap; On reports the first one added.
func (c *Calendar) Add(name string, r DateRange) error {
	if err := r.check(); err != nil {
		return fmt.Errorf("calendar %q: %w", name, err)
	}
	c.entries = append(c.entries, calendarEntry{name, r.First.dayNumber(), r.Last.dayNumber()})
	return nil
}

// On reports whether t falls, in the calendar's zone, on a day of one of its
// ranges, and that range's name.
func (c *Calendar) On(t time.Time) (name string, ok bool) {
	if c == nil {
		return "", false
	}
	return c.onDay(dayNumberIn(t, c.loc))
}

// OnDate is On for a day rather than an instant.
func (c *Calendar) OnDate(d CivilDate) (name string, ok bool) {
	if c == nil {
		return "", false
	}
	return c.onDay(d.dayNumber())
}

func (c *Calendar) onDay(n int64) (string, bool) {
	for _, e := range c.entries {
		if e.first <= n && n <= e.last {
			return e.name, true
		}
	}
	return "", false
}

// lastDay returns the last day number of any range, or ok false if empty.
func (c *Calendar) lastDay() (last int64, ok bool) {
	if c == nil {
		return 0, false
	}
	for i, e := range c.entries {
		if i == 0 || e.last > last {
			last = e.last
		}
	}
	return last, len(c.entries) > 0
}

func (c *Calendar) clone() *Calendar {
	if c == nil {
		return nil
	}
	return &Calendar{loc: c.loc, entries: append([]calendarEntry(nil), c.entries...)}
}

// dayNumberIn returns the day number of the civil date of t in loc.
func dayNumberIn(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return CivilDate{y, m, d}.dayNumber()
}
