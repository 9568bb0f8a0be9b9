package journal

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// household makes lookups the way a household of 30 devices does: names
// picked with a Zipf skew out of 2,000, each try asking for A and usually
// AAAA (sometimes HTTPS too), and blocked names retried a few times.
type household struct {
	rng     *rand.Rand
	zipf    *rand.Zipf
	devices []string
	clients []netip.Addr
	names   []string
}

func newHousehold(seed uint64) *household {
	rng := rand.New(rand.NewPCG(seed, 1))
	h := &household{rng: rng, zipf: rand.NewZipf(rng, 1.1, 1, 1999)}
	people := []string{"emma", "noah", "olivia", "liam", "ava", "lucas", "mia", "living-room", "kitchen", "guest"}
	kinds := []string{"phone", "laptop", "tablet"}
	for i := range 30 {
		h.devices = append(h.devices, people[i%10]+"-"+kinds[i/10])
		h.clients = append(h.clients, netip.AddrFrom4([4]byte{192, 168, 1, byte(20 + i)}))
	}
	words := []string{"cdn", "api", "static", "img", "video", "edge", "telemetry", "ads", "login", "www"}
	tlds := []string{"com", "net", "org", "io", "co.uk"}
	for i := range 2000 {
		h.names = append(h.names, fmt.Sprintf("%s%d.%s-%d.%s", words[i%10], i%7, "site", i, tlds[i%5]))
	}
	return h
}

var categories = []string{"gambling", "adult", "social", "games", "ads"}

// events returns n lookups spread evenly over span from start.
func (h *household) events(n int, start time.Time, span time.Duration) []Event {
	out := make([]Event, 0, n+8)
	for len(out) < n {
		at := start.Add(span / time.Duration(n) * time.Duration(len(out)))
		d := h.rng.IntN(len(h.devices))
		ni := int(h.zipf.Uint64())
		e := Event{Time: at, Device: h.devices[d], Group: "kids", Client: h.clients[d], Name: h.names[ni], Action: ActionAllow}
		tries := 1
		if ni%5 == 0 {
			cat := categories[ni%len(categories)]
			e.Action, e.Reason, e.Category, e.List = ActionBlock, verdict.ReasonRule, cat, "hagezi-"+cat
			e.Rule, e.Response = "groups.kids.block[0]", "nxdomain"
			tries += h.rng.IntN(4)
		}
		for range tries {
			for _, q := range []uint16{1, 28, 65} {
				switch {
				case q == 28 && h.rng.IntN(10) == 0, q == 65 && h.rng.IntN(10) >= 4:
					continue
				}
				e.Qtype = q
				out = append(out, e)
			}
		}
	}
	return out[:n]
}

// BenchmarkRecord measures Record from parallel goroutines. With the real
// writer behind it most calls find the queue full (nothing else but Record
// runs, on every core) and take the drop path; "send" measures the other.
func BenchmarkRecord(b *testing.B) {
	e := blocked(t0, "kid-laptop", kid, "casino.example", 1)
	run := func(b *testing.B, j *Journal) {
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				j.Record(e)
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(j.Stats().Dropped)/float64(b.N), "dropped/op")
	}
	b.Run("writer", func(b *testing.B) {
		j := Open(Config{Queue: 65536, FlushInterval: time.Second}, Options{Dir: b.TempDir()})
		defer j.Close(context.Background())
		run(b, j)
	})
	b.Run("send", func(b *testing.B) {
		// One goroutine, the queue emptied with the timer stopped: the
		// cost of the send path alone.
		j := Open(Config{Queue: 65536, FlushInterval: time.Second}, Options{Dir: b.TempDir()})
		defer j.Close(context.Background())
		release := j.stall()
		defer release()
		b.ReportAllocs()
		for b.Loop() {
			if j.queued() == j.cfg.Queue {
				b.StopTimer()
				l := j.lanes[0]
				l.take(l.take(nil)) // empty it, keeping its capacity
				b.StartTimer()
			}
			j.Record(e)
		}
		b.ReportMetric(float64(j.Stats().Dropped)/float64(b.N), "dropped/op")
	})
}

// BenchmarkWriter measures how many lookups a second the writer commits
// to disk, with the household's mix over a week (few lookups share a row).
func BenchmarkWriter(b *testing.B) {
	events := newHousehold(1).events(b.N, t0.Add(-7*24*time.Hour), 7*24*time.Hour)
	j := Open(Config{Queue: 65536, FlushInterval: time.Second, RetentionDays: 3650, MaxSizeMB: 100_000},
		Options{Dir: b.TempDir(), Clock: clocktest.New(t0)})
	b.ResetTimer()
	start := time.Now()
	for i := range events {
		j.enqueue(events[i]) // waits for the writer, unlike Record
	}
	if err := j.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkSizePerMillion writes a million lookups of the household's mix
// over a week and reports the size of the database per million lookups.
func BenchmarkSizePerMillion(b *testing.B) {
	const n = 1_000_000
	events := newHousehold(2).events(n, t0.Add(-7*24*time.Hour), 7*24*time.Hour)
	b.ResetTimer()
	for range b.N {
		dir := b.TempDir()
		j := Open(Config{Queue: 65536, FlushInterval: time.Second, RetentionDays: 3650, MaxSizeMB: 100_000},
			Options{Dir: dir, Clock: clocktest.New(t0)})
		for i := range events {
			j.enqueue(events[i])
		}
		if err := j.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		rows := j.Stats().Rows // as of the last commit
		fi, err := os.Stat(filepath.Join(dir, "journal.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size())/(1<<20), "MB/Mevents")
		b.ReportMetric(float64(rows)/n*1e6, "rows/Mevents")
	}
}
