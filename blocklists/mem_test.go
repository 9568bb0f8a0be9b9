package blocklists

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// manyNames builds a Matcher of n names "name<i>.<tag>.test" from source 0.
func manyNames(n int, tag string) *Matcher {
	b := NewBuilder(n)
	for i := range n {
		b.Add(0, Entry{Name: fmt.Sprintf("name%d.%s.test", i, tag)})
	}
	return b.Build()
}

// watchReleases calls fn with each published table released while the test runs.
func watchReleases(t *testing.T, fn func(*uint32)) {
	if !offHeap {
		t.Skip("tables are Go slices on this platform")
	}
	releaseHook.Store(&fn)
	t.Cleanup(func() { releaseHook.Store(nil) })
}

// gcUntil runs the collector (and lets cleanups run) until done reports
// true, at most 200 times.
func gcUntil(done func() bool) bool {
	for range 200 {
		runtime.GC()
		for range 50 {
			if done() {
				return true
			}
			runtime.Gosched()
		}
	}
	return done()
}

// A table is unmapped only once its Matcher is unreachable, and then it is.
func TestTableReleasedAfterLastReader(t *testing.T) {
	var target, gone atomic.Pointer[uint32]
	watchReleases(t, func(p *uint32) {
		if p == target.Load() {
			gone.Store(p)
		}
	})
	m := manyNames(5000, "kept")
	keys := unsafe.SliceData(m.t.fps)
	target.Store(keys)
	mine := func() bool { return gone.Load() == keys }
	for range 5 {
		runtime.GC()
		runtime.Gosched()
	}
	if mine() {
		t.Fatal("the table was released while its Matcher was still in use")
	}
	if got := m.Match("name4999.kept.test"); got.Block.Empty() {
		t.Fatalf("Match after collections = %+v, want a block", got)
	}
	m = nil
	if !gcUntil(mine) {
		t.Fatal("the table of an unreachable Matcher was never released")
	}
}

// Queries keep matching while the Matcher they use is replaced and the old
// tables are unmapped: a read of an unmapped table would crash the test.
func TestMatchWhileTablesAreReplaced(t *testing.T) {
	var releases atomic.Int64
	watchReleases(t, func(*uint32) { releases.Add(1) })
	var cur atomic.Pointer[Matcher]
	cur.Store(manyNames(1000, "gen"))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Int64
	for r := range 3 {
		wg.Go(func() {
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if cur.Load().Match(fmt.Sprintf("name%d.gen.test", i%1000)).Block.Empty() {
					bad.Add(1)
				}
			}
		})
	}
	for range 15 {
		cur.Store(manyNames(1000, "gen"))
		runtime.GC()
	}
	close(stop)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d listed names not blocked while tables were replaced", n)
	}
	if !gcUntil(func() bool { return releases.Load() >= 10 }) {
		t.Fatalf("only %d of 15 replaced tables released", releases.Load())
	}
}
