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
