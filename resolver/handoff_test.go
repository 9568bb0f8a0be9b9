package resolver

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestHandoffKeepsGoroutines: queries handed on one after another run on
// the goroutines kept (were a goroutine started per query, the earlier ones
// would still be waiting: handoffKeep of them; a query handed on just as a
// goroutine is about to wait may start a second one); a burst leaves at most
// handoffKeep waiting; close ends the waiting ones.
func TestHandoffKeepsGoroutines(t *testing.T) {
	h := newHandoff()
	done := make(chan struct{})
	for range 100 {
		h.run(func() { done <- struct{}{} })
		<-done
		waitFor(t, func() bool { return h.waiting.Load() >= 1 })
	}
	if w := h.waiting.Load(); w > 3 {
		t.Fatalf("after 100 queries one after another, %d goroutines wait; want the one or two that ran them all", w)
	}

	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 3 * handoffKeep {
		wg.Add(1)
		h.run(func() { wg.Done(); <-release })
	}
	wg.Wait() // all running at once
	close(release)
	waitFor(t, func() bool { return h.waiting.Load() == handoffKeep })
	for range 1000 {
		if w := h.waiting.Load(); w > handoffKeep {
			t.Fatalf("%d goroutines wait after a burst, want at most %d", w, handoffKeep)
		}
		runtime.Gosched()
	}

	h.close()
	waitFor(t, func() bool { return h.waiting.Load() == 0 })
	ran := make(chan struct{})
	h.run(func() { close(ran) }) // after close: still runs
	<-ran
}

// waitFor polls cond (goroutines end asynchronously) for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
	}
}
