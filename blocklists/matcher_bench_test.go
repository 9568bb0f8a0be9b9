package blocklists

import (
	"bufio"
	"runtime"
	"strings"
	"testing"
)

const largeList = "large-merged-union.domains.txt.gz"

// buildLarge parses the 1.2M-name union straight into a Builder, as
// Subdomains rules if sub (a source widened to subdomains).
func buildLarge(b testing.TB, sub bool) (*Matcher, ParseStats) {
	bl := NewBuilder(0)
	st, err := parseView(openList(b, largeList), func(e Entry) { // as Compile does
		e.Subdomains = e.Subdomains || sub
		bl.Add(0, e)
	})
	if err != nil {
		b.Fatal(err)
	}
	return bl.Build(), st
}

func heapInuseMB() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkBuildLarge parses and builds the 1,213,879-line union (gzip
// included, as hearth reads it) and reports the memory the Matcher keeps:
// its table (table-MB, outside the Go heap on Unix: mem.go) and heap-MB
// beside it, B/name of the two, and the most heap the runtime held from the
// OS while building (heapsys-MB: the builder's chunks and garbage from
// parsing included).
func BenchmarkBuildLarge(b *testing.B) {
	base := heapInuseMB()
	var m *Matcher
	var peak uint64
	for b.Loop() {
		m = nil
		runtime.GC()
		m, _ = buildLarge(b, false)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapSys)
	}
	b.StopTimer()
	heap := heapInuseMB() - base
	table := float64(m.t.bytes()) / (1 << 20)
	if !offHeap {
		heap -= table // the table is in the heap here
	}
	b.ReportMetric(table, "table-MB")
	b.ReportMetric(heap, "heap-MB")
	b.ReportMetric(float64(peak)/(1<<20), "heapsys-MB")
	b.ReportMetric((heap+table)*(1<<20)/float64(m.Len()), "B/name")
	runtime.KeepAlive(m)
}

// BenchmarkBuildOnly times Build alone, the entries already added.
func BenchmarkBuildOnly(b *testing.B) {
	var names []string
	if _, err := Parse(openList(b, largeList), func(e Entry) { names = append(names, e.Name) }); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		bl := NewBuilder(len(names))
		for _, n := range names {
			bl.Add(0, Entry{Name: n})
		}
		b.StartTimer()
		bl.Build()
	}
}

// BenchmarkMatch looks names up in the 1.2M-name Matcher, its names taken
// as Subdomains rules: names it holds,
// names it does not ("nx" + held + "x": whole name and registrable domain
// both absent), and a deep subdomain of a held name ("a.b.c.d.e.f." + held).
// The plain cases cycle through ~12,500 names, so the table's lines are
// mostly not in cache: they measure memory latency (about 170-210 ns per
// random access to a 16 MB array on the 2-core VM this was written on).
// The -hot cases cycle through 64 names, as a home network's repeated
// queries do, and measure the hashing and probing alone.
func BenchmarkMatch(b *testing.B) {
	m, _ := buildLarge(b, true)
	// Every 97th held name, and the same names made unheld.
	var hits []string
	sc := bufio.NewScanner(openList(b, largeList))
	for i := 0; sc.Scan(); i++ {
		if l := sc.Text(); i%97 == 0 && !strings.HasPrefix(l, "#") && m.Match(l).Blocked() {
			hits = append(hits, l)
		}
	}
	misses := make([]string, len(hits))
	deep := make([]string, len(hits))
	for i, h := range hits {
		misses[i] = "nx" + h + "x"
		deep[i] = "a.b.c.d.e.f." + h
	}
	for _, bc := range []struct {
		name    string
		names   []string
		blocked bool
	}{
		{"hit", hits, true}, {"miss", misses, false}, {"deep-subdomain", deep, true},
		{"hit-hot", hits[:64], true}, {"miss-hot", misses[:64], false}, {"deep-subdomain-hot", deep[:64], true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			if n := testing.AllocsPerRun(100, func() { m.Match(bc.names[0]) }); n != 0 {
				b.Fatalf("%v allocs per Match", n)
			}
			i := 0
			for b.Loop() {
				if m.Match(bc.names[i]).Blocked() != bc.blocked {
					b.Fatalf("Match(%q) blocked = %v", bc.names[i], !bc.blocked)
				}
				if i++; i == len(bc.names) {
					i = 0
				}
			}
		})
	}
}
