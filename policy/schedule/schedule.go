package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	// Zone data in the binary, so a bare Raspberry Pi image can load
	// Europe/London without /usr/share/zoneinfo.
	_ "time/tzdata"
)

const (
	secondsPerDay  = 24 * 60 * 60
	minutesPerDay  = 24 * 60
	allDays        = 1<<7 - 1
	weekdayDays    = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	weekendDays    = 1<<time.Saturday | 1<<time.Sunday
	maxZoneOffset  = 30 * 60 * 60 // more than any zone's offset from UTC, past or present
	nextLookAhead  = 9            // days: a weekly pattern repeats within 7, plus a night crossing midnight
	activeLookBack = 2            // days: an instant can fall in an occurrence that started this many days earlier
)

// Window is one recurring span: a set of weekdays and a start and end time of
// day, as read on a wall clock in the household's zone. If End is not after
// Start the window crosses midnight and runs from each listed day's evening to
// the next morning. The zero Window has no days and is never active.
//
// Window is comparable: two windows that parse from different spellings of the
// same rule ("mon-fri" and "weekdays") are ==.
type Window struct {
	days  uint8  // bit time.Weekday set: an occurrence starts on that day
	start uint16 // minutes after midnight, 0..1439
	end   uint16 // minutes after midnight, 1..1440; end < start crosses midnight
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWindow parses a window written as DAYS START-END:
//
//	mon-fri 16:00-19:00
//	sat,sun 10:00-20:00
//	daily 07:00-21:00
//	sun-thu 21:30-07:00     (crosses midnight: each listed evening to the next morning)
//	weekdays 8:00-9:00      (also "weekends")
//	school nights 21:00-07:00
//	mon-fri,sun 8:00-9:00
//	fri-mon 18:00-24:00     (day ranges may wrap past Sunday)
//
// Days are three-letter or full English names, any case, or the words of
// dayWords: daily (every day), weekdays and school days (mon-fri), weekends
// (sat,sun) and school nights (sun-thu: the evenings before a school day).
// The words are about days of the week only; on holidays a group's
// holiday windows apply instead (Schedule.WithHoliday). Times are H:MM or
// HH:MM on a 24-hour clock; 24:00 is allowed as an end. A start equal to its
// end is an error (write 00:00-24:00 for a whole day).
func ParseWindow(s string) (Window, error) {
	fail := func(format string, args ...any) (Window, error) {
		return Window{}, fmt.Errorf("window %q: %s", s, fmt.Sprintf(format, args...))
	}
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) >= 2 && fields[0] == "school" { // "school nights 21:00-07:00"
		fields = append([]string{"school-" + fields[1]}, fields[2:]...)
	}
	if len(fields) != 2 {
		return fail(`want "DAYS HH:MM-HH:MM", like "mon-fri 16:00-19:00"`)
	}
	var w Window
	for item := range strings.SplitSeq(fields[0], ",") {
		switch item {
		case "":
			return fail("empty day in %q", fields[0])
		}
		if days, ok := dayWords[item]; ok {
			w.days |= days
			continue
		}
		from, to, isRange := strings.Cut(item, "-")
		a, ok := parseDay(from)
		if !ok {
			return fail("unknown day %q; %s", item, validDays)
		}
		b := a
		if isRange {
			if b, ok = parseDay(to); !ok {
				return fail("unknown day %q; %s", to, validDays)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			w.days |= 1 << d
			if d == b {
				break
			}
		}
	}
	from, to, ok := strings.Cut(fields[1], "-")
	if !ok {
		return fail("want times as START-END, like 16:00-19:00, not %q", fields[1])
	}
	start, err := parseClock(from)
	if err != nil {
		return fail("start %v", err)
	}
	if start == minutesPerDay {
		return fail("start 24:00: 24:00 is only allowed as an end")
	}
	end, err := parseClock(to)
	if err != nil {
		return fail("end %v", err)
	}
	if start == end {
		return fail("start %s equals end %s", from, to)
	}
	if end == 0 {
		end = minutesPerDay // 21:30-00:00 is 21:30-24:00
	}
	w.start, w.end = uint16(start), uint16(end)
	return w, nil
}

// dayWords are the words a window's days may be written as, besides days
// and ranges of days. "school-nights" is also written "school nights" or
// "schoolnights".
var dayWords = map[string]uint8{
	"daily":         allDays,
	"everyday":      allDays,
	"weekdays":      weekdayDays,
	"weekends":      weekendDays,
	"school-days":   weekdayDays,
	"schooldays":    weekdayDays,
	"school-nights": schoolNights,
	"schoolnights":  schoolNights,
}

const schoolNights = 1<<time.Sunday | 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday

const validDays = "write days as mon, tue, wed, thu, fri, sat, sun (or in full), ranges like mon-fri, " +
	"or one of daily, weekdays (mon-fri), weekends (sat,sun), school days (mon-fri), school nights (sun-thu)"

func parseDay(s string) (time.Weekday, bool) {
	for d, name := range dayNames {
		if s == name || strings.EqualFold(s, time.Weekday(d).String()) {
			return time.Weekday(d), true
		}
	}
	return 0, false
}

// parseClock parses H:MM or HH:MM, 00:00 to 24:00, into minutes after midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !allDigits(h) || !allDigits(m) {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh > 24 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q: no such time of day", s)
	}
	return hh*60 + mm, nil
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// String returns the canonical form, which ParseWindow parses back to w:
// "daily", "weekdays" or "weekends" when they fit, otherwise days from Monday
// to Sunday with runs of three or more as ranges ("mon-wed,sat,sun"), then
// the times as HH:MM-HH:MM. The zero Window, which ParseWindow never returns,
// prints as "never".
func (w Window) String() string {
	if w.days == 0 {
		return "never"
	}
	var b strings.Builder
	switch w.days {
	case allDays:
		b.WriteString("daily")
	case weekdayDays:
		b.WriteString("weekdays")
	case weekendDays:
		b.WriteString("weekends")
	default:
		// Monday first: index i is weekday (i+1)%7.
		has := func(i int) bool { return i < 7 && w.days&(1<<((i+1)%7)) != 0 }
		for i := 0; i < 7; i++ {
			if !has(i) {
				continue
			}
			j := i
			for has(j + 1) {
				j++
			}
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			switch {
			case j-i >= 2:
				b.WriteString(dayNames[(i+1)%7] + "-" + dayNames[(j+1)%7])
			case j == i+1:
				b.WriteString(dayNames[(i+1)%7] + "," + dayNames[(j+1)%7])
			default:
				b.WriteString(dayNames[(i+1)%7])
			}
			i = j
		}
	}
	fmt.Fprintf(&b, " %02d:%02d-%02d:%02d", w.start/60, w.start%60, w.end/60, w.end%60)
	return b.String()
}

// on reports whether an occurrence of w starts on weekday d.
func (w Window) on(d time.Weekday) bool { return w.days&(1<<d) != 0 }

// On reports whether an occurrence of w starts on weekday d.
func (w Window) On(d time.Weekday) bool { return w.on(d) }

// Start is when an occurrence starts, in minutes after midnight (0..1439).
func (w Window) Start() int { return int(w.start) }

// End is when an occurrence ends, in minutes after midnight (1..1440); an
// End not after Start is on the next day (the window crosses midnight).
func (w Window) End() int { return int(w.end) }

// DayName is the three-letter name of d: "sun", "mon", ...
func DayName(d time.Weekday) string { return dayNames[d] }

// Overlap reports whether a and b cover a common minute of the week,
// and the first such (day, minute of day).
func Overlap(a, b Window) (time.Weekday, int, bool) {
	var week weekBits
	mark := func(w Window, check bool) (int, bool) {
		for d := range 7 {
			if !w.on(time.Weekday(d)) {
				continue
			}
			end := int(w.end)
			if w.end < w.start {
				end += minutesPerDay
			}
			for m := int(w.start); m < end; m++ {
				i := (d*minutesPerDay + m) % (7 * minutesPerDay)
				if check {
					if weekBit(&week, i) {
						return i, true
					}
				} else {
					setWeekBit(&week, i)
				}
			}
		}
		return 0, false
	}
	mark(a, false)
	if i, ok := mark(b, true); ok {
		return time.Weekday(i / minutesPerDay), i % minutesPerDay, true
	}
	return 0, 0, false
}

// weekBits has a bit per minute of the week.
type weekBits [(7*minutesPerDay + 63) / 64]uint64

func weekBit(w *weekBits, i int) bool { return w[i/64]&(1<<(i%64)) != 0 }
func setWeekBit(w *weekBits, i int)   { w[i/64] |= 1 << (i % 64) }

// Schedule is a set of windows in one zone, optionally with a holiday
// calendar: on a holiday day the holiday windows apply instead of the usual
// ones. A Schedule is immutable and safe for concurrent use.
//
// Windows are wall-clock times in the zone. Each occurrence of a window starts
// on a day (a listed weekday, or, with a calendar, a day of the right kind) at
// the first instant the zone's clock reads the start time or later, and ends at
// the first instant the clock reads the end time or later (on the next day if
// the window crosses midnight). Around daylight-saving changes this means:
//
//   - A window that starts in a skipped hour (Europe/London 2026-03-29 01:00 to
//     02:00 does not exist) starts at the change (02:00 BST); one that ends in a
//     skipped hour ends at the change. A window wholly inside the skipped hour
//     does not happen that day.
//   - A repeated hour (Europe/London 2026-10-25 01:00 to 02:00 happens twice)
//     does not extend or repeat a window: 00:30-01:30 ends at the first 01:30,
//     and a window starting at 01:30 starts at the first 01:30 and stays active
//     through the repeat until its end.
//   - A window crossing midnight belongs to the day it starts: with
//     "sun-thu 21:30-07:00", Thursday 21:30 to Friday 07:00 is active and Friday
//     21:30 is not. With a calendar, whether a night is a holiday night is
//     decided by the day it starts, so the night after the last school day
//     follows the school windows.
//
// So an occurrence lasts an hour less or more than its wall-clock length on a
// change day; Active and Next agree exactly.
type Schedule struct {
	loc      *time.Location
	windows  []Window
	cal      *Calendar // nil: no holidays
	holidays []Window
}

// NewSchedule returns a schedule of windows in loc (UTC if nil). Load loc with
// time.LoadLocation("Europe/London"); the zone data is built in.
func NewSchedule(loc *time.Location, windows []Window) *Schedule {
	if loc == nil {
		loc = time.UTC
	}
	return &Schedule{loc: loc, windows: slices.Clone(windows)}
}

// WithHoliday returns a copy of s in which, on days that cal lists (read as
// days in the schedule's zone), holidayWindows apply instead of s's windows.
// An empty holidayWindows means nothing is active on holidays.
func (s *Schedule) WithHoliday(cal *Calendar, holidayWindows []Window) *Schedule {
	c := *s
	c.cal = cal.clone()
	c.holidays = slices.Clone(holidayWindows)
	return &c
}

// Location returns the schedule's zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// windowsOn returns the windows whose occurrences may start on day n.
func (s *Schedule) windowsOn(n int64) []Window {
	if s.cal == nil {
		return s.windows
	}
	if _, ok := s.cal.onDay(n); ok {
		return s.holidays
	}
	return s.windows
}

// occurrence returns the instants (Unix seconds) at which w's occurrence
// starting on day n begins and ends.
func (s *Schedule) occurrence(w Window, n int64) (start, end int64) {
	base := n * secondsPerDay
	endWall := base + int64(w.end)*60
	if w.end < w.start {
		endWall += secondsPerDay
	}
	return s.reach(base + int64(w.start)*60), s.reach(endWall)
}

// Active reports whether t falls inside an occurrence of any window.
func (s *Schedule) Active(t time.Time) bool {
	u := t.Unix()
	today := dayNumberIn(t, s.loc)
	for n := today - activeLookBack; n <= today+1; n++ {
		wd := weekdayOf(n)
		for _, w := range s.windowsOn(n) {
			if !w.on(wd) {
				continue
			}
			if start, end := s.occurrence(w, n); start <= u && u < end {
				return true
			}
		}
	}
	return false
}

// Next returns the first instant after t at which Active changes, or the zero
// time if it never does (no windows, or windows covering every minute).
func (s *Schedule) Next(t time.Time) time.Time {
	u := t.Unix()
	was := s.Active(t)
	today := dayNumberIn(t, s.loc)
	last := today + nextLookAhead
	if calLast, ok := s.cal.lastDay(); ok && calLast+nextLookAhead > last {
		last = calLast + nextLookAhead
	}
	// Occurrence boundaries are the only instants at which Active can change.
	// Collect them day by day; those before the start of day n+1 are final
	// once day n is in, since later days' occurrences start after it.
	var pending []int64
	for n := today - activeLookBack; n <= last; n++ {
		wd := weekdayOf(n)
		for _, w := range s.windowsOn(n) {
			if w.on(wd) {
				start, end := s.occurrence(w, n)
				pending = append(pending, start, end)
			}
		}
		slices.Sort(pending)
		limit := s.reach((n + 1) * secondsPerDay)
		i := 0
		for ; i < len(pending) && pending[i] < limit; i++ {
			b := pending[i]
			if b <= u || i > 0 && b == pending[i-1] {
				continue
			}
			if at := time.Unix(b, 0).In(t.Location()); s.Active(at) != was {
				return at
			}
		}
		pending = pending[i:]
	}
	return time.Time{}
}

// reach returns the first instant (Unix seconds) at which the wall clock in
// the schedule's zone reads wall (seconds since the civil epoch) or later.
// In a skipped hour that is the change; in a repeated hour, the first pass.
func (s *Schedule) reach(wall int64) int64 {
	u := time.Unix(wall-maxZoneOffset, 0).In(s.loc)
	for {
		_, off := u.Zone()
		if u.Unix()+int64(off) >= wall {
			return u.Unix() // the clock jumped over wall at the start of this period
		}
		_, end := u.ZoneBounds()
		if end.IsZero() || wall-int64(off) < end.Unix() {
			return wall - int64(off)
		}
		u = end
	}
}

func weekdayOf(n int64) time.Weekday {
	return time.Weekday(((n+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
}

// Since returns the instant at which the state t is in (Active or not)
// began: the last occurrence boundary at or before t at which Active
// changed, or the zero time if it has held for longer than the schedule
// looks back (a few days).
func (s *Schedule) Since(t time.Time) time.Time {
	u := t.Unix()
	was := s.Active(t)
	today := dayNumberIn(t, s.loc)
	var bounds []int64
	for n := today - activeLookBack - 1; n <= today+1; n++ {
		wd := weekdayOf(n)
		for _, w := range s.windowsOn(n) {
			if w.on(wd) {
				start, end := s.occurrence(w, n)
				bounds = append(bounds, start, end)
			}
		}
	}
	slices.Sort(bounds)
	for i := len(bounds) - 1; i >= 0; i-- {
		b := bounds[i]
		if b > u || i+1 < len(bounds) && bounds[i+1] == b && bounds[i+1] <= u {
			continue
		}
		if s.Active(time.Unix(b-1, 0)) != was && s.Active(time.Unix(b, 0)) == was {
			return time.Unix(b, 0).In(t.Location())
		}
	}
	return time.Time{}
}
