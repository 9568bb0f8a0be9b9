package web

// The bcrypt slots: checking a password costs ~100 ms of a core on a Pi on
// purpose, so a crowd of logins at once (many addresses, each within its
// own limits) could take every core from DNS. At most maxComparing
// passwords are checked at a time; a login beyond that waits for a slot, at
// most compareWait, and is then answered 429 with Retry-After 1 (not
// counted as a failure: nobody is locked out by it). One more slot is kept
// for addresses that logged in lately (the parent's phone), so that a crowd
// of strangers delays them by one check at most.

import (
	"context"
	"time"

	"github.com/hearth-dns/hearth/internal/clock"
)

const (
	maxComparing = 2               // passwords checked at once by anyone
	compareWait  = 3 * time.Second // the longest a login waits for a slot
)

// loginSlots are the semaphores: shared by everyone, and one more for
// trusted addresses.
type loginSlots struct {
	shared  chan struct{}
	trusted chan struct{}
}

func newLoginSlots() loginSlots {
	return loginSlots{shared: make(chan struct{}, maxComparing), trusted: make(chan struct{}, 1)}
}

// acquire waits for a slot (a trusted address may take either kind),
// at most compareWait on clk, and returns the function that gives it back.
// Past the wait it returns a busy RateLimitedError; when ctx ends, its error.
func (s loginSlots) acquire(ctx context.Context, clk clock.Clock, trusted bool) (release func(), err error) {
	var mine chan struct{}
	select { // a free slot: no timer
	case s.shared <- struct{}{}:
		mine = s.shared
	default:
	}
	if mine == nil && trusted {
		select {
		case s.trusted <- struct{}{}:
			mine = s.trusted
		default:
		}
	}
	if mine == nil {
		var reserved chan struct{} // nil: never ready
		if trusted {
			reserved = s.trusted
		}
		tick, stop := clock.After(clk, compareWait)
		defer stop()
		select {
		case s.shared <- struct{}{}:
			mine = s.shared
		case reserved <- struct{}{}:
			mine = s.trusted
		case <-tick:
			return nil, RateLimitedError{RetryAfter: time.Second, Busy: true}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return func() { <-mine }, nil
}
