package journal

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// Filter.Devices keeps a person's devices: the rows and the hourly totals
// of those devices only, whether the rows are still in memory or written.
func TestFilterDevices(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, newFixture fixtureFunc) {
		f := newFixture(t, testConfig())
		filterDevices(t, f, true)
		// No database (a directory that cannot hold one): the rows stay in memory.
		m := &fixture{clock: clocktest.New(t0), log: &syncBuffer{}, dir: t.TempDir()}
		m.j = Open(Config{Path: "/proc/hearth-no-such-dir/journal.db", Queue: 100, FlushInterval: time.Hour},
			Options{Logger: zerolog.New(m.log), Clock: m.clock, Dir: m.dir})
		t.Cleanup(func() { _ = m.j.Close(context.Background()) })
		if !m.j.Stats().InMemory {
			t.Fatalf("the journal at /proc/... has a database: %+v", m.j.Stats())
		}
		filterDevices(t, m, false)
	})
}

func filterDevices(t *testing.T, f *fixture, totals bool) {
	t.Helper()
	at := f.clock.Now()
	for _, e := range []Event{
		blocked(at, "alex-tablet", kid, "a.example", 1),
		blocked(at, "alex-switch", tablet, "b.example", 1),
		blocked(at, "", guest, "c.example", 1),
		blocked(at.Add(time.Minute), "jo-laptop", guest, "d.example", 1),
	} {
		f.j.Record(e)
	}
	alex := Filter{Devices: []string{"alex-tablet", "alex-switch"}}
	check := func(when string) {
		t.Helper()
		rows := readAll(t, f.j, alex)
		if len(rows) != 2 || rows[0].Device == rows[1].Device || (rows[0].Device != "alex-tablet" && rows[0].Device != "alex-switch") ||
			(rows[1].Device != "alex-tablet" && rows[1].Device != "alex-switch") {
			t.Errorf("%s: alex's rows %+v, want the tablet's and the switch's", when, rows)
		}
	}
	f.j.sync()
	check("after the writer ran")
	if !totals {
		return
	}
	ts, err := f.j.Totals(context.Background(), alex)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, tt := range ts {
		if tt.Device != "alex-tablet" && tt.Device != "alex-switch" {
			t.Errorf("a total of %q among alex's", tt.Device)
		}
		n += tt.Attempts
	}
	if n != 2 {
		t.Errorf("alex's totals count %d tries, want 2 (%+v)", n, ts)
	}
}
