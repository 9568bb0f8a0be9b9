package resolver

import (
	"sync"
	"sync/atomic"
	"time"
)

// handoff runs what a UDP worker does not answer inline (cache misses,
// rewrites, queries for ServeDNS) on goroutines that outlive one query. A
// goroutine started per query begins with a small stack and grows it again
// on nearly every miss (runtime.newstack and copystack took 15% of the
// forwarding path's CPU in a profile); one that stays keeps the stack it
// grew. At most handoffKeep goroutines wait for the next query, each for
// handoffIdle, then end, so an idle Hearth holds none and a burst leaves no
// crowd behind; how many run at once follows the queries in flight, which
// upstreams.max_in_flight and the rate limit bound.
type handoff struct {
	tasks    chan func() // unbuffered: a send succeeds only to a waiting goroutine
	stop     chan struct{}
	stopOnce sync.Once
	waiting  atomic.Int32 // goroutines waiting for a query
}

const (
	handoffIdle = 5 * time.Second
	handoffKeep = 32
)

func newHandoff() *handoff {
	return &handoff{tasks: make(chan func()), stop: make(chan struct{})}
}

// run calls f on a waiting goroutine, or on a new one if none waits.
func (h *handoff) run(f func()) {
	select {
	case h.tasks <- f:
	default:
		go h.loop(f)
	}
}

func (h *handoff) loop(f func()) {
	idle := time.NewTimer(handoffIdle)
	defer idle.Stop()
	for {
		f()
		if !h.wait() {
			return
		}
		idle.Reset(handoffIdle)
		select {
		case f = <-h.tasks:
			h.waiting.Add(-1)
		case <-idle.C:
			h.waiting.Add(-1)
			return
		case <-h.stop:
			h.waiting.Add(-1)
			return
		}
	}
}

// wait counts this goroutine among the waiting ones, unless handoffKeep
// wait already (then it should end): the count never passes the bound,
// not even for a moment.
func (h *handoff) wait() bool {
	for {
		w := h.waiting.Load()
		if w >= handoffKeep {
			return false
		}
		if h.waiting.CompareAndSwap(w, w+1) {
			return true
		}
	}
}

// close ends the waiting goroutines; ones still running end after their
// query. run still works afterwards (each call then starts a goroutine
// that ends with its query), for queries racing a shutdown.
func (h *handoff) close() { h.stopOnce.Do(func() { close(h.stop) }) }
