// Package clocktest provides a settable clock for tests.
package clocktest

import (
	"sync"
	"time"
)

// Fake is a clock that only moves when told to, with timers that fire when
// it moves past them. Safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced when a timer is added
}

type timer struct {
	at time.Time
	c  chan time.Time
}

// New returns a fake clock reading t.
func New(t time.Time) *Fake { return &Fake{now: t, changed: make(chan struct{})} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t, firing the timers due by then.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.fire()
	f.mu.Unlock()
}

// Advance moves the clock forward by d, firing the timers due by then.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.fire()
	f.mu.Unlock()
}

// After returns a channel that receives the fake time once the clock has
// moved d past now (at once if d <= 0), and a function that stops the timer.
func (f *Fake) After(d time.Duration) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tm := &timer{at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		tm.c <- f.now
		return tm.c, func() bool { return false }
	}
	f.timers = append(f.timers, tm)
	if f.changed == nil {
		f.changed = make(chan struct{})
	}
	close(f.changed)
	f.changed = make(chan struct{})
	return tm.c, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, x := range f.timers {
			if x == tm {
				f.timers = append(f.timers[:i], f.timers[i+1:]...)
				return true
			}
		}
		return false
	}
}

// fire sends on and removes the timers due by now. f.mu is held.
func (f *Fake) fire() {
	kept := f.timers[:0]
	for _, tm := range f.timers {
		if tm.at.After(f.now) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- f.now
	}
	clear(f.timers[len(kept):])
	f.timers = kept
}

// Timers returns how many timers wait for the clock to move.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitTimers waits until at least n timers wait for the clock to move (a
// goroutine under test has gone to sleep on it), or the wall-clock limit
// passes (false).
func (f *Fake) WaitTimers(n int, limit time.Duration) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		got, changed := len(f.timers), f.changed
		f.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}
