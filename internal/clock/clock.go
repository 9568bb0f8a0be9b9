// Package clock lets code ask for the time through an interface, so tests can
// choose the instant (cache expiry, schedules, DST changes).
package clock

import "time"

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// System is the real wall clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

var _ Clock = System{}

// Timers is a Clock that can also wake a goroutine once a duration of its
// own time has passed: System with the runtime's timers, clocktest.Fake when
// a test moves it.
type Timers interface {
	Clock
	// After returns a channel that receives the time once d has passed, and
	// a function that stops the timer (false if it had fired or stopped).
	After(d time.Duration) (<-chan time.Time, func() bool)
}

// After returns time.NewTimer(d)'s channel and Stop.
func (System) After(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

var _ Timers = System{}

// After waits on c's timers when it has them (see Timers), else on the
// runtime's.
func After(c Clock, d time.Duration) (<-chan time.Time, func() bool) {
	if tc, ok := c.(Timers); ok {
		return tc.After(d)
	}
	return System{}.After(d)
}
