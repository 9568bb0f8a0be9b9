package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustWindows(t testing.TB, specs ...string) []Window {
	t.Helper()
	var ws []Window
	for _, s := range specs {
		w, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	return ws
}

func mustInstant(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"mon-fri 16:00-19:00", "weekdays 16:00-19:00"},
		{"weekdays 16:00-19:00", "weekdays 16:00-19:00"},
		{"sat,sun 10:00-20:00", "weekends 10:00-20:00"},
		{"weekends 10:00-20:00", "weekends 10:00-20:00"},
		{"daily 07:00-21:00", "daily 07:00-21:00"},
		{"mon-sun 07:00-21:00", "daily 07:00-21:00"},
		{"sun-thu 21:30-07:00", "mon-thu,sun 21:30-07:00"},
		{"mon-fri,sun 8:00-9:00", "mon-fri,sun 08:00-09:00"},
		{"fri-mon 18:00-24:00", "mon,fri-sun 18:00-24:00"},
		{"fri-mon 18:00-00:00", "mon,fri-sun 18:00-24:00"},
		{"Monday,Wednesday 6:05-6:06", "mon,wed 06:05-06:06"},
		{"  TUE   00:00-24:00 ", "tue 00:00-24:00"},
		{"wed-wed 23:59-00:01", "wed 23:59-00:01"},
		{"mon,tue,thu-sat 1:00-2:00", "mon,tue,thu-sat 01:00-02:00"},
		{"weekdays,weekends 1:00-2:00", "daily 01:00-02:00"},
		{"school nights 21:00-07:00", "mon-thu,sun 21:00-07:00"},
		{"School Nights 21:00-07:00", "mon-thu,sun 21:00-07:00"},
		{"school-nights 21:00-07:00", "mon-thu,sun 21:00-07:00"},
		{"schoolnights,fri 21:00-07:00", "mon-fri,sun 21:00-07:00"},
		{"school days 8:30-15:30", "weekdays 08:30-15:30"},
		{"schooldays 8:30-15:30", "weekdays 08:30-15:30"},
		{"school nights,sat 21:00-07:00", "mon-thu,sat,sun 21:00-07:00"},
		{"everyday 07:00-21:00", "daily 07:00-21:00"},
	} {
		w, err := ParseWindow(tc.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tc.in, err)
			continue
		}
		if got := w.String(); got != tc.want {
			t.Errorf("ParseWindow(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := ParseWindow(w.String()); err != nil || back != w {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", w.String(), back, err, w)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"mon-fry 16:00-19:00", `window "mon-fry 16:00-19:00": unknown day "fry"`},
		{"funday 16:00-19:00", `unknown day "funday"; write days as mon, tue, wed, thu, fri, sat, sun (or in full), ranges like mon-fri, ` +
			`or one of daily, weekdays (mon-fri), weekends (sat,sun), school days (mon-fri), school nights (sun-thu)`},
		{"weekday 16:00-19:00", `unknown day "weekday"; write days as`},
		{"school night 21:00-07:00", `unknown day "school-night"; write days as`},
		{"school holidays 10:00-12:00", `unknown day "school-holidays"; write days as`},
		{"school nights", `want "DAYS HH:MM-HH:MM"`},
		{"mon,,tue 16:00-19:00", `empty day in "mon,,tue"`},
		{"mon 16:00-16:00", `start 16:00 equals end 16:00`},
		{"mon 00:00-00:00", `equals end`},
		{"mon 24:00-01:00", `start 24:00: 24:00 is only allowed as an end`},
		{"mon 16:00-24:01", `end "24:01": no such time of day`},
		{"mon 25:00-26:00", `start "25:00": no such time of day`},
		{"mon 16:60-17:00", `start "16:60": no such time of day`},
		{"mon 16-19", `start "16": want HH:MM`},
		{"mon 16:0-19:00", `want HH:MM`},
		{"mon 123:00-19:00", `want HH:MM`},
		{"mon 16:00", `want times as START-END`},
		{"mon 16:00-19:00-20:00", `end "19:00-20:00": want HH:MM`},
		{"16:00-19:00", `want "DAYS HH:MM-HH:MM"`},
		{"", `want "DAYS HH:MM-HH:MM"`},
		{"mon 16:00 - 19:00", `want "DAYS HH:MM-HH:MM"`},
		{"mon +1:00-19:00", `want HH:MM`},
	} {
		_, err := ParseWindow(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWindow(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

// scheduleCases are the schedules the Active and Next tests run in every zone.
var scheduleCases = []struct {
	name    string
	windows []string
}{
	{"gaming", []string{"mon-fri 16:00-19:00", "weekends 10:00-20:00"}},
	{"bedtime", []string{"sun-thu 21:30-07:00", "fri,sat 23:00-08:00"}},
	{"small hours", []string{"daily 00:30-01:30", "daily 01:30-02:30", "daily 02:15-03:15"}},
	{"skipped", []string{"sun 01:10-01:20", "sun 02:10-02:20", "sun 23:59-00:01"}},
	{"always", []string{"daily 00:00-24:00"}},
}

func TestScheduleActive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone    string
		windows []string
		at      string // RFC 3339 instant; the offset picks the pass through a repeated hour
		want    bool
	}{
		// Around midnight: a night belongs to the day it starts.
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-26T21:29:59Z", false}, // Thursday
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-26T21:30:00Z", true},
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-27T00:00:00Z", true}, // Friday morning
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-27T06:59:00Z", true},
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-27T07:00:00Z", false},
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-27T21:30:00Z", false}, // Friday night
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-28T03:00:00Z", false}, // Saturday morning
		{"UTC", []string{"sun-thu 21:30-07:00"}, "2026-11-30T03:00:00Z", true},  // Monday morning, Sunday night
		{"UTC", []string{"fri-mon 18:00-24:00"}, "2026-11-30T23:59:59Z", true},  // Monday
		{"UTC", []string{"fri-mon 18:00-24:00"}, "2026-12-01T00:00:00Z", false},
		{"Asia/Kolkata", []string{"mon-fri 16:00-19:00"}, "2026-11-27T10:30:00Z", true}, // Fri 16:00 IST
		{"Asia/Kolkata", []string{"mon-fri 16:00-19:00"}, "2026-11-27T10:29:00Z", false},
		{"Asia/Kolkata", []string{"mon-fri 16:00-19:00"}, "2026-11-27T13:29:00Z", true},
		{"Asia/Kolkata", []string{"mon-fri 16:00-19:00"}, "2026-11-27T13:30:00Z", false},
		{"Asia/Kolkata", []string{"sun-thu 21:30-07:00"}, "2026-11-26T18:30:00Z", true}, // Fri 00:00 IST
		{"Asia/Kolkata", []string{"sun-thu 21:30-07:00"}, "2026-11-27T18:30:00Z", false},

		// Spring forward, Europe/London 2026-03-29: 01:00 GMT becomes 02:00 BST.
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-03-29T00:59:00Z", false},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-03-29T01:00:00Z", true},  // 02:00 BST: starts at the change
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-03-29T00:59:59Z", true},  // 00:59:59 GMT
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-03-29T01:00:00Z", false}, // ends at the change
		{"Europe/London", []string{"sun 01:10-01:20"}, "2026-03-29T01:00:00Z", false}, // wholly skipped
		{"Europe/London", []string{"sat 22:00-01:30"}, "2026-03-29T00:59:00Z", true},
		{"Europe/London", []string{"sat 22:00-01:30"}, "2026-03-29T01:00:00Z", false},
		// Fall back, Europe/London 2026-10-25: 02:00 BST becomes 01:00 GMT.
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-10-25T01:29:00+01:00", true},
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-10-25T01:30:00+01:00", false}, // ends at the first 01:30
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-10-25T01:00:00+00:00", false}, // not again in the repeat
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-10-25T01:29:00+00:00", false},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T01:29:00+01:00", false},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T01:30:00+01:00", true}, // starts at the first 01:30
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T01:10:00+00:00", true}, // and stays on through the repeat
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T02:59:00+00:00", true},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T03:00:00+00:00", false},
		{"Europe/London", []string{"sat 22:00-01:15"}, "2026-10-25T01:14:00+01:00", true},
		{"Europe/London", []string{"sat 22:00-01:15"}, "2026-10-25T01:14:00+00:00", false},

		// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{"America/New_York", []string{"sun 02:30-04:00"}, "2026-03-08T01:59:00-05:00", false},
		{"America/New_York", []string{"sun 02:30-04:00"}, "2026-03-08T03:00:00-04:00", true},
		{"America/New_York", []string{"sat 21:30-02:30"}, "2026-03-08T01:59:00-05:00", true},
		{"America/New_York", []string{"sat 21:30-02:30"}, "2026-03-08T03:00:00-04:00", false},
		{"America/New_York", []string{"sun 01:00-01:30"}, "2026-11-01T01:15:00-04:00", true},
		{"America/New_York", []string{"sun 01:00-01:30"}, "2026-11-01T01:15:00-05:00", false},
		{"America/New_York", []string{"sun 01:45-02:00"}, "2026-11-01T01:50:00-04:00", true},
		{"America/New_York", []string{"sun 01:45-02:00"}, "2026-11-01T01:10:00-05:00", true}, // started, not yet 02:00
		{"America/New_York", []string{"sun 01:45-02:00"}, "2026-11-01T02:00:00-05:00", false},

		// Australia/Sydney (southern): 2026-04-05 03:00 AEDT -> 02:00 AEST; 2026-10-04 02:00 AEST -> 03:00 AEDT.
		{"Australia/Sydney", []string{"sun 02:00-02:30"}, "2026-04-05T02:15:00+11:00", true},
		{"Australia/Sydney", []string{"sun 02:00-02:30"}, "2026-04-05T02:15:00+10:00", false},
		{"Australia/Sydney", []string{"sat 21:30-07:00"}, "2026-04-05T06:59:00+10:00", true},
		{"Australia/Sydney", []string{"sun 02:15-02:45"}, "2026-10-04T01:59:00+10:00", false},
		{"Australia/Sydney", []string{"sun 02:15-02:45"}, "2026-10-04T03:00:00+11:00", false}, // wholly skipped
		{"Australia/Sydney", []string{"sun 02:15-04:00"}, "2026-10-04T03:00:00+11:00", true},
		{"Australia/Sydney", []string{"sat 23:00-02:30"}, "2026-10-04T01:59:00+10:00", true},
		{"Australia/Sydney", []string{"sat 23:00-02:30"}, "2026-10-04T03:00:00+11:00", false},
	} {
		s := NewSchedule(mustZone(t, tc.zone), mustWindows(t, tc.windows...))
		at := mustInstant(t, tc.at)
		if got := s.Active(at); got != tc.want {
			t.Errorf("%s %v: Active(%s) = %v, want %v", tc.zone, tc.windows, tc.at, got, tc.want)
		}
	}
}

func TestScheduleNextExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone    string
		windows []string
		at      string
		want    string // "" for never
	}{
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"},
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-10-25T00:45:00+01:00", "2026-10-25T01:30:00+01:00"},
		{"Europe/London", []string{"sun 00:30-01:30"}, "2026-10-25T01:30:00+01:00", "2026-11-01T00:30:00Z"},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T01:00:00+01:00", "2026-10-25T01:30:00+01:00"},
		{"Europe/London", []string{"sun 01:30-03:00"}, "2026-10-25T01:30:00+01:00", "2026-10-25T03:00:00Z"},
		{"Asia/Kolkata", []string{"sun-thu 21:30-07:00"}, "2026-11-26T12:00:00+05:30", "2026-11-26T21:30:00+05:30"},
		{"Asia/Kolkata", []string{"sun-thu 21:30-07:00"}, "2026-11-27T07:00:00+05:30", "2026-11-29T21:30:00+05:30"},
		{"UTC", nil, "2026-11-26T12:00:00Z", ""},
		{"UTC", []string{"daily 00:00-24:00"}, "2026-11-26T12:00:00Z", ""},
		{"UTC", []string{"daily 12:00-24:00", "daily 00:00-12:00"}, "2026-11-26T12:00:00Z", ""},
		{"UTC", []string{"daily 12:00-13:00", "daily 13:00-14:00"}, "2026-11-26T12:10:00Z", "2026-11-26T14:00:00Z"},
	} {
		s := NewSchedule(mustZone(t, tc.zone), mustWindows(t, tc.windows...))
		got := s.Next(mustInstant(t, tc.at))
		var want time.Time
		if tc.want != "" {
			want = mustInstant(t, tc.want)
		}
		if !got.Equal(want) {
			t.Errorf("%s %v: Next(%s) = %v, want %v", tc.zone, tc.windows, tc.at, got, want)
		}
	}
}

// checkNextByStepping walks minute by minute from from for days days,
// computing Active at each minute, and checks Next against the first later
// minute at which Active differs. Every boundary in these zones falls on a
// whole minute, so stepping by minutes finds every change.
func checkNextByStepping(t *testing.T, s *Schedule, from time.Time, days int) {
	t.Helper()
	n := days * minutesPerDay
	active := make([]bool, n+1)
	for i := range active {
		active[i] = s.Active(from.Add(time.Duration(i) * time.Minute))
	}
	next := -1 // index of the next change after i, or -1 if none in range
	for i := n - 1; i >= 0; i-- {
		if active[i+1] != active[i] {
			next = i + 1
		}
		// Next is costlier than Active: check every minute next to a change
		// and a sample of the rest.
		if i%17 != 0 && next != i+1 && next != i+2 && active[i] == active[max(i-1, 0)] {
			continue
		}
		at := from.Add(time.Duration(i) * time.Minute)
		got := s.Next(at)
		if next < 0 {
			if !got.IsZero() && got.Before(from.Add(time.Duration(n)*time.Minute)) {
				t.Errorf("Next(%v) = %v, want none before %v", at, got, from.Add(time.Duration(n)*time.Minute))
				return
			}
			continue
		}
		if want := from.Add(time.Duration(next) * time.Minute); !got.Equal(want) {
			t.Errorf("Next(%v) = %v, want %v (Active %v)", at, got, want, active[i])
			return
		}
	}
}

func TestScheduleNextStepping(t *testing.T) {
	t.Parallel()
	for _, z := range []struct {
		zone   string
		starts []string // each stepped over several days, spanning DST changes where the zone has them
	}{
		{"Europe/London", []string{"2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z"}},
		{"America/New_York", []string{"2026-03-06T05:00:00Z", "2026-10-30T04:00:00Z"}},
		{"Australia/Sydney", []string{"2026-04-03T00:00:00+11:00", "2026-10-02T00:00:00+10:00"}},
		{"Asia/Kolkata", []string{"2026-11-25T00:00:00+05:30"}},
		{"UTC", []string{"2026-11-25T00:00:00Z"}},
		// Changes at midnight, and a half-hour change.
		{"America/Santiago", []string{"2026-04-03T00:00:00-03:00", "2026-09-04T00:00:00-04:00"}},
		{"Australia/Lord_Howe", []string{"2026-04-03T00:00:00+11:00", "2026-10-02T00:00:00+10:30"}},
	} {
		loc := mustZone(t, z.zone)
		for _, sc := range scheduleCases {
			s := NewSchedule(loc, mustWindows(t, sc.windows...))
			for _, start := range z.starts {
				t.Run(z.zone+"/"+sc.name+"/"+start, func(t *testing.T) {
					checkNextByStepping(t, s, mustInstant(t, start), 4)
				})
			}
		}
	}
}

func TestReachDST(t *testing.T) {
	t.Parallel()
	london := NewSchedule(mustZone(t, "Europe/London"), nil)
	wall := func(s string) int64 {
		w, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return w.Unix()
	}
	for _, tc := range []struct{ wall, want string }{
		{"2026-03-29 00:59", "2026-03-29T00:59:00Z"},
		{"2026-03-29 01:00", "2026-03-29T01:00:00Z"}, // skipped: the change
		{"2026-03-29 01:59", "2026-03-29T01:00:00Z"},
		{"2026-03-29 02:00", "2026-03-29T01:00:00Z"},
		{"2026-03-29 02:01", "2026-03-29T01:01:00Z"},
		{"2026-10-25 00:59", "2026-10-24T23:59:00Z"},
		{"2026-10-25 01:30", "2026-10-25T00:30:00Z"}, // repeated: the first pass
		{"2026-10-25 02:00", "2026-10-25T02:00:00Z"},
	} {
		if got := time.Unix(london.reach(wall(tc.wall)), 0).UTC(); !got.Equal(mustInstant(t, tc.want)) {
			t.Errorf("reach(%s) = %v, want %s", tc.wall, got, tc.want)
		}
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{
		"mon-fri 16:00-19:00", "sat,sun 10:00-20:00", "daily 07:00-21:00", "sun-thu 21:30-07:00",
		"weekdays 8:00-9:00", "weekends 0:00-24:00", "mon-fri,sun 8:00-9:00", "fri-mon 18:00-00:00",
		"mon-fry 16:00-19:00", "mon 24:00-01:00", "Tuesday 1:5-2:00", "mon,,tue 1:00-2:00",
		"school nights 21:00-07:00", "school days 8:30-15:30", "schoolnights,sat 1:00-2:00", "school weekends 1:00-2:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		back, err := ParseWindow(w.String())
		if err != nil {
			t.Fatalf("ParseWindow(%q) = %v, but its String %q does not parse: %v", s, w, w.String(), err)
		}
		if back != w {
			t.Fatalf("ParseWindow(%q).String() = %q parses to %v, want %v", s, w.String(), back, w)
		}
		if back.String() != w.String() {
			t.Fatalf("String not canonical: %q then %q", w.String(), back.String())
		}
	})
}

func BenchmarkSchedule(b *testing.B) {
	s := NewSchedule(mustZone(b, "Europe/London"), mustWindows(b, "mon-fri 16:00-19:00", "weekends 10:00-20:00", "sun-thu 21:30-07:00"))
	at := mustInstant(b, "2026-10-25T01:30:00+01:00")
	b.Run("Active", func(b *testing.B) {
		for b.Loop() {
			s.Active(at)
		}
	})
	b.Run("Next", func(b *testing.B) {
		for b.Loop() {
			s.Next(at)
		}
	})
}
