// Package schedule is Hearth's time: windows ("mon-fri 16:00-19:00",
// "sun-thu 21:30-07:00" across midnight), a Schedule of windows in the
// household's zone with DST-exact Active and Next, and holiday calendars
// (CivilDate, DateRange, Calendar) whose days swap in other windows.
//
// It imports nothing of Hearth's: the policy compiles configuration into
// schedules and caches their state; this package only answers "is it on
// now, and when does that change?".
package schedule
