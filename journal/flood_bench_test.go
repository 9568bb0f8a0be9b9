package journal

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
)

// BenchmarkFlood30k ingests 30,000 made-up names under roblox.com from one
// device in 4 seconds (A and AAAA each, through Record, committed), with
// the default budget and with none, and reports the time per flood, the
// bytes on disk per name and per row, and the rows written.
//
//	go test -run XXX -bench Flood30k -benchtime 5x ./journal/
func BenchmarkFlood30k(b *testing.B) {
	for _, c := range []struct {
		name   string
		budget int
	}{{"budget240", 240}, {"nobudget", 0}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 30_000
			rng := rand.New(rand.NewPCG(9, 10))
			names := make([]string, n)
			for i := range names {
				names[i] = randomName(rng)
			}
			var size, rows int64
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				cfg := Config{Queue: 1 << 17, FlushInterval: time.Second, RetentionDays: 3650, MaxSizeMB: 100_000,
					Flood: FloodConfig{NamesPerMinute: c.budget}}
				j := Open(cfg, Options{Logger: zerolog.Nop(), Clock: clocktest.New(t0), Dir: dir})
				b.StartTimer()
				for i, name := range names {
					at := t0.Add(4 * time.Second * time.Duration(i) / n)
					j.Record(gaming(at, name, 1))
					j.Record(gaming(at, name, 28))
				}
				j.sync()
				b.StopTimer()
				st := j.Stats()
				if st.Dropped != 0 {
					b.Fatalf("dropped %d", st.Dropped)
				}
				if err := j.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
				size, rows = fileBytes(filepath.Join(dir, FileName)), st.Rows
				b.StartTimer()
			}
			b.ReportMetric(float64(size)/n, "bytes/name")
			b.ReportMetric(float64(size)/float64(rows), "bytes/row")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// fileBytes is the database and its WAL on disk.
func fileBytes(path string) int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}
