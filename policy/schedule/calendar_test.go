package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestParseDateRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"2026-12-19..2027-01-04", "2026-12-19..2027-01-04"},
		{" 2026-12-19 .. 2027-01-04 ", "2026-12-19..2027-01-04"},
		{"2026-05-25", "2026-05-25"},
		{"2026-05-25..2026-05-25", "2026-05-25"},
		{"2028-02-29..2028-03-01", "2028-02-29..2028-03-01"},
	} {
		r, err := ParseDateRange(tc.in)
		if err != nil {
			t.Errorf("ParseDateRange(%q): %v", tc.in, err)
			continue
		}
		if got := r.String(); got != tc.want {
			t.Errorf("ParseDateRange(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"2027-01-04..2026-12-19", `date range "2027-01-04..2026-12-19": last day 2026-12-19 is before first day 2027-01-04`},
		{"2026-02-30", `date "2026-02-30": want YYYY-MM-DD`},
		{"2026-12-19..", `date "": want YYYY-MM-DD`},
		{"19/12/2026", `want YYYY-MM-DD`},
		{"", `want YYYY-MM-DD`},
	} {
		_, err := ParseDateRange(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDateRange(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestCalendarOn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone string
		at   string
		want string // "" for not a holiday
	}{
		{"UTC", "2026-12-18T23:59:59Z", ""},
		{"UTC", "2026-12-19T00:00:00Z", "christmas"},
		{"UTC", "2027-01-04T23:59:59Z", "christmas"}, // the last day is included
		{"UTC", "2027-01-05T00:00:00Z", ""},
		{"Australia/Sydney", "2026-12-18T13:00:00Z", "christmas"}, // 00:00 on the 19th in Sydney
		{"Australia/Sydney", "2026-12-18T12:59:59Z", ""},
		{"America/New_York", "2027-01-05T04:59:59Z", "christmas"}, // still the 4th in New York
		{"America/New_York", "2027-01-05T05:00:00Z", ""},
		{"Asia/Kolkata", "2026-05-24T18:30:00Z", "bank holiday"},
		{"Asia/Kolkata", "2026-05-24T18:29:59Z", ""},
		{"Europe/London", "2026-05-24T23:00:00Z", "bank holiday"}, // BST
		{"Europe/London", "2026-05-24T22:59:59Z", ""},
	} {
		c := NewCalendar(mustZone(t, tc.zone))
		for name, r := range map[string]string{"christmas": "2026-12-19..2027-01-04", "bank holiday": "2026-05-25"} {
			dr, err := ParseDateRange(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Add(name, dr); err != nil {
				t.Fatal(err)
			}
		}
		name, ok := c.On(mustInstant(t, tc.at))
		if ok != (tc.want != "") || name != tc.want {
			t.Errorf("%s On(%s) = %q, %v; want %q", tc.zone, tc.at, name, ok, tc.want)
		}
	}
	var nilCal *Calendar
	if _, ok := nilCal.On(time.Now()); ok {
		t.Error("nil calendar has a holiday")
	}
	if err := NewCalendar(nil).Add("bad", DateRange{CivilDate{2026, 2, 30}, CivilDate{2026, 3, 1}}); err == nil {
		t.Error("Add accepted 2026-02-30")
	}
}

// holidaySchedule: school nights sun-thu from 21:30, holiday nights from
// 23:00, over the Christmas holidays 2026-12-19 (a Saturday) to 2027-01-04 (a
// Monday).
func holidaySchedule(t testing.TB, zone string) *Schedule {
	t.Helper()
	loc := mustZone(t, zone)
	cal := NewCalendar(loc)
	r, err := ParseDateRange("2026-12-19..2027-01-04")
	if err != nil {
		t.Fatal(err)
	}
	if err := cal.Add("christmas", r); err != nil {
		t.Fatal(err)
	}
	return NewSchedule(loc, mustWindows(t, "sun-thu 21:30-07:00")).
		WithHoliday(cal, mustWindows(t, "daily 23:00-09:00"))
}

func TestScheduleHoliday(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"} {
		s := holidaySchedule(t, zone)
		loc := s.Location()
		at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, loc) }
		for _, tc := range []struct {
			at   time.Time
			want bool
		}{
			{at(2026, 12, 17, 21, 30), true},  // Thursday, a school night
			{at(2026, 12, 18, 7, 0), false},   // Friday morning
			{at(2026, 12, 18, 21, 30), false}, // Friday, the last school day: no school night
			{at(2026, 12, 18, 23, 0), false},  // and not a holiday night either: it starts on a school day
			{at(2026, 12, 19, 8, 0), false},
			{at(2026, 12, 19, 23, 0), true}, // Saturday, holiday night
			{at(2026, 12, 20, 21, 30), false},
			{at(2026, 12, 21, 8, 59), true},
			{at(2027, 1, 3, 21, 30), false}, // Sunday, holiday: the holiday window
			{at(2027, 1, 4, 23, 0), true},   // Monday, the last holiday: its night runs to Tuesday 09:00
			{at(2027, 1, 5, 8, 59), true},
			{at(2027, 1, 5, 9, 0), false},
			{at(2027, 1, 5, 21, 30), true}, // Tuesday, school again
		} {
			if got := s.Active(tc.at); got != tc.want {
				t.Errorf("%s: Active(%v) = %v, want %v", zone, tc.at, got, tc.want)
			}
		}
		checkNextByStepping(t, s, at(2026, 12, 16, 0, 0), 5)
		checkNextByStepping(t, s, at(2027, 1, 2, 0, 0), 5)
	}
}

func TestScheduleHolidayFarAhead(t *testing.T) {
	t.Parallel()
	// Nothing is active on school days; Next still finds a holiday a year away.
	loc := mustZone(t, "Europe/London")
	cal := NewCalendar(loc)
	r, err := ParseDateRange("2027-12-24")
	if err != nil {
		t.Fatal(err)
	}
	if err := cal.Add("christmas eve", r); err != nil {
		t.Fatal(err)
	}
	s := NewSchedule(loc, nil).WithHoliday(cal, mustWindows(t, "daily 18:00-20:00"))
	from := time.Date(2026, 11, 27, 12, 0, 0, 0, loc)
	if got, want := s.Next(from), time.Date(2027, 12, 24, 18, 0, 0, 0, loc); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v", from, got, want)
	}
	if got := s.Next(time.Date(2027, 12, 24, 20, 0, 0, 0, loc)); !got.IsZero() {
		t.Errorf("Next after the last holiday = %v, want zero", got)
	}
}
