//go:build redis

package cluster

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/cluster/redistest"
	"github.com/hearth-dns/hearth/policy/state"
)

// TestPropagationLatency measures how long a change made on A takes to be
// in B's overrides: HEARTH_LATENCY_CHANGES pauses (default 50; the issue's
// measure is 1000, scripts/bench-shared-state.sh), each added on A and
// waited for on B, then cancelled on A and waited for again. It logs p50,
// p99 and the worst, and fails if p99 is a second or more.
func TestPropagationLatency(t *testing.T) {
	changes := 50
	if v, err := strconv.Atoi(os.Getenv("HEARTH_LATENCY_CHANGES")); err == nil && v > 0 {
		changes = v
	}
	srv := redistest.Start(t)
	a, b := connectedPair(t, "a", "b", srv.URL(3))
	took := make([]time.Duration, 0, 2*changes)
	for range changes {
		begun := time.Now()
		p := pause(t, a, "kids")
		b.waitFor(t, 5*time.Second, "pause on B", has(p.ID))
		took = append(took, time.Since(begun))
		begun = time.Now()
		if err := a.ov.Cancel(p.ID); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, 5*time.Second, "cancel on B", func(l []state.Override) bool { return !has(p.ID)(l) })
		took = append(took, time.Since(begun))
	}
	slices.Sort(took)
	q := func(f float64) time.Duration { return took[min(len(took)-1, int(f*float64(len(took))))] }
	t.Logf("%d changes (adds and cancels) from A to B: p50 %v, p99 %v, max %v", len(took), q(0.50), q(0.99), took[len(took)-1])
	if q(0.99) >= time.Second {
		t.Errorf("p99 %v: a change must reach the other node within a second", q(0.99))
	}
}
