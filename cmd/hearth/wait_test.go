package main

import (
	"testing"
	"time"
)

// waitUntil checks cond every few milliseconds until it holds, failing the
// test if it does not within the deadline: for what a running process does on
// its own schedule (a file looked at once a second, a journal flush), the
// test waits for the effect itself rather than for a fixed time.
func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("%s: not within %v", what, within)
		case <-tick.C:
		}
	}
}
