package journal

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestRecordQueues: lookups recorded on the shared queue and on the UDP
// workers' queues, from goroutines at once, are all journaled; each queue
// holds up to Config.Queue lookups before it drops; queued counts them all.
func TestRecordQueues(t *testing.T) {
	cfg := testConfig()
	cfg.Queue = 100
	f := newFixture(t, cfg)
	j := f.j
	if len(j.lanes) < 2 {
		t.Fatalf("%d queues: want the shared one and at least one for the workers", len(j.lanes))
	}
	queues := []int{0, 1} // the shared one, the first worker's, and the last's
	if len(j.lanes) > 2 {
		queues = append(queues, len(j.lanes)-1)
	}
	want := 100 * len(queues)
	release := j.stall()
	var wg sync.WaitGroup
	for _, q := range queues {
		wg.Go(func() {
			for i := range 100 {
				e := blocked(t0, "kid-laptop", kid, fmt.Sprintf("n%d-q%d.roblox.com", i, q), 1)
				e.Queue = q
				j.Record(e)
			}
		})
	}
	wg.Wait()
	if n := j.queued(); n != want {
		t.Errorf("%d lookups queued, want %d", n, want)
	}
	if d := j.Stats().Dropped; d != 0 {
		t.Errorf("%d dropped with every queue at its bound, want 0", d)
	}
	e := blocked(t0, "kid-laptop", kid, "one-too-many.roblox.com", 1)
	e.Queue = 1
	j.Record(e)
	e.Queue = len(j.lanes) // the workers' queues are spread: this is worker 1's too
	j.Record(e)
	if d := j.Stats().Dropped; d != 2 {
		t.Errorf("%d dropped past a full queue, want 2", d)
	}
	release()
	j.sync()
	rows := readAll(t, j, Filter{})
	if len(rows) != want || totalQueries(rows) != int64(want) {
		t.Errorf("%d rows, %d lookups journaled; want %d of each", len(rows), totalQueries(rows), want)
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
