package journal

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// The harness mix of issue 15: 10,000 distinct blocked names a minute from
// one device, cycled (dnsperf loops over its list), A queries.
const harnessNames = 10_000

func harnessEvents(at time.Time) []Event {
	ev := make([]Event, harnessNames)
	for i := range ev {
		ev[i] = blocked(at, "kid-laptop", kid, fmt.Sprintf("n%05d.casino.example", i), 1)
	}
	return ev
}

// BenchmarkRecordHarness is Record on the DNS path at the harness mix: the
// 10,000 names cycled, the writer running (flush every second).
func BenchmarkRecordHarness(b *testing.B) {
	ev := harnessEvents(time.Now())
	j := Open(Config{Queue: 65536, FlushInterval: time.Second}, Options{Dir: b.TempDir()})
	defer j.Close(context.Background())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := ev[i%harnessNames]
		e.Time = time.Now()
		j.Record(e)
		i++
	}
	b.StopTimer()
	b.ReportMetric(float64(j.Stats().Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkFlushHarness is one flush of a second of the harness mix in the
// middle of a minute, the 10,000 rows of that minute already written once:
// what the writer costs a second.
func BenchmarkFlushHarness(b *testing.B) {
	clk := clocktest.New(t0.Add(10 * time.Second))
	j := Open(Config{Queue: 65536, FlushInterval: time.Hour, RetentionDays: 3650, MaxSizeMB: 100_000},
		Options{Dir: b.TempDir(), Clock: clk})
	defer j.Close(context.Background())
	ev := harnessEvents(t0.Add(10 * time.Second))
	j.do(func() {
		for i := range ev {
			j.add(&ev[i])
		}
	})
	j.sync()      // the rows exist
	j.do(func() { // and are pending again, written once this minute
		for i := range ev {
			j.add(&ev[i])
		}
		j.flushTick()
	})
	var n0 int64
	j.do(func() { n0 = j.rowWrites })
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		j.do(func() {
			for i := range ev {
				j.add(&ev[i])
			}
		})
		b.StartTimer()
		j.do(func() { j.flushTick() })
	}
	b.StopTimer()
	var n int64
	j.do(func() { n = j.rowWrites })
	b.ReportMetric(float64(n-n0)/float64(b.N), "rows/flush")
}
