package journal

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// Record keeps no view of the caller's buffer: the name is copied.
func TestRecordCopiesName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	buf := []byte("casino.example")
	name := unsafe.String(&buf[0], len(buf)) // a view, as a resolver reading packets in place would pass
	f.j.Record(blocked(t0, "kid-laptop", kid, name, 1))
	copy(buf, "xxxxxx.example") // the caller's next packet
	f.j.Record(blocked(t0, "kid-laptop", kid, name, 1))
	f.j.sync()
	rows := readAll(t, f.j, Filter{})
	if len(rows) != 2 || rows[0].Name != "casino.example" || rows[1].Name != "xxxxxx.example" {
		t.Fatalf("rows %+v, want casino.example and xxxxxx.example", rows)
	}
}

// A lookup of a name already counted this minute costs no allocation.
func TestRecordRepeatedNameNoAlloc(t *testing.T) {
	f := newFixture(t, testConfig())
	buf := []byte("casino.example")
	e := blocked(t0, "kid-laptop", kid, unsafe.String(&buf[0], len(buf)), 1)
	for range 2 { // both queue buffers grown
		for range 300 {
			f.j.Record(e)
		}
		f.j.sync()
	}
	release := f.j.stall()
	defer release()
	if n := testing.AllocsPerRun(200, func() { f.j.Record(e) }); n != 0 {
		t.Errorf("Record allocates %v times per lookup of a known name", n)
	}
}

// A second of the harness mix (10,000 names, all already written this
// minute) writes no rows at the next flush; the counts are written when
// refreshEvery has passed, and when the minute closes, then forgotten.
func TestFlushWritesOnlyDueRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testConfig())
	f.clock.Set(t0.Add(5 * time.Second))
	const n = 10_000
	second := func(at time.Time) {
		f.j.do(func() {
			for i := range n {
				e := blocked(at, "kid-laptop", kid, fmt.Sprintf("n%05d.casino.example", i), 1)
				j := f.j
				j.add(&e)
			}
		})
	}
	tick := func() int64 {
		var before, after int64
		f.j.do(func() {
			before = f.j.rowWrites
			f.j.flush(false)
			after = f.j.rowWrites
		})
		return after - before
	}
	second(f.clock.Now())
	if w := tick(); w != n {
		t.Fatalf("first flush wrote %d rows, want %d (new rows)", w, n)
	}
	f.clock.Advance(time.Second)
	second(f.clock.Now())
	if w := tick(); w != 0 {
		t.Fatalf("a second of the same names wrote %d rows, want 0", w)
	}
	if got := totalQueries(readAll(t, f.j, Filter{})); got != n {
		t.Fatalf("stored %d queries before the refresh, want %d", got, n)
	}
	f.clock.Advance(refreshEvery)
	if w := tick(); w != n {
		t.Fatalf("after refreshEvery wrote %d rows, want %d", w, n)
	}
	if got := totalQueries(readAll(t, f.j, Filter{})); got != 2*n {
		t.Fatalf("stored %d queries after the refresh, want %d", got, 2*n)
	}
	second(f.clock.Now())
	f.clock.Set(t0.Add(time.Minute)) // the minute closes
	if w := tick(); w != n {
		t.Fatalf("at the minute's close wrote %d rows, want %d", w, n)
	}
	var pending int
	f.j.do(func() { pending = len(f.j.pending) })
	if pending != 0 {
		t.Errorf("%d rows still pending after their minute closed", pending)
	}
	rows := readAll(t, f.j, Filter{})
	if len(rows) != n || totalQueries(rows) != 3*n {
		t.Errorf("%d rows, %d queries; want %d, %d", len(rows), totalQueries(rows), n, 3*n)
	}
}
