package blocklists

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

func sources(ids ...SourceID) Sources {
	var s Sources
	for _, id := range ids {
		s.Add(id)
	}
	return s
}

// buildFrom compiles "src rule" lines, the rule in Parse's syntax.
func buildFrom(t testing.TB, lines ...string) *Matcher {
	t.Helper()
	b := NewBuilder(0)
	for _, l := range lines {
		var src SourceID
		var rule string
		if _, err := fmt.Sscan(l, &src, &rule); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if _, err := Parse(strings.NewReader(rule), func(e Entry) { b.Add(src, e) }); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func TestMatchSemantics(t *testing.T) {
	t.Parallel()
	m := buildFrom(t,
		"0 exact.test",          // exact only
		"1 ||sub.test^",         // name and subdomains
		"2 *.wild.test",         // the same through a wildcard
		"3 ||amazon^",           // a whole TLD
		"4 ||ads.multi.test^",   // two sources on one name, different kinds
		"5 ads.multi.test",      //
		"6 ||multi.test^",       // a parent of it from a third source
		"7 ||lifted.test^",      // blocked by 7 ...
		"7 @@||ok.lifted.test^", // ... except this subtree, for 7 only
		"8 ||ok.lifted.test^",   // 8 blocks the subtree 7 allows
		"9 ||exc.test^",         //
		"9 @@|www.exc.test^",    // exact exception: www.exc.test only
		"10 ||deep.test^",       //
		"10 @@||a.deep.test^",   // exception above a more specific block
		"10 ||x.a.deep.test^",   // of the same source: the exception wins
		"11 ||rule.test^",       // Rule: most specific surviving suffix
		"12 ||b.rule.test^",     //
		"12 @@||c.b.rule.test^",
		"127 ||last.test^", // the highest SourceID
		"13 @@||only-allow.test^",
		"14 both.test",
		"14 ||both.test^",
	)
	tests := []struct {
		name  string
		block Sources
		rule  string
		sub   bool
	}{
		{"exact.test", sources(0), "exact.test", false},
		{"exact.test.", sources(0), "exact.test", false},
		{"www.exact.test", Sources{}, "", false},
		{"test", Sources{}, "", false},
		{"xexact.test", Sources{}, "", false},
		{"sub.test", sources(1), "sub.test", true},
		{"a.sub.test", sources(1), "sub.test", true},
		{"a.b.c.d.e.f.sub.test", sources(1), "sub.test", true},
		{"a.b.c.d.e.f.sub.test.", sources(1), "sub.test", true},
		{"notsub.test", Sources{}, "", false},
		{"sub.test.evil", Sources{}, "", false},
		{"wild.test", sources(2), "wild.test", true},
		{"x.wild.test", sources(2), "wild.test", true},
		{"amazon", sources(3), "amazon", true},
		{"www.amazon", sources(3), "amazon", true},
		{"amazon.com", Sources{}, "", false},
		{"ads.multi.test", sources(4, 5, 6), "ads.multi.test", false},
		{"x.ads.multi.test", sources(4, 6), "ads.multi.test", true},
		{"multi.test", sources(6), "multi.test", true},
		{"lifted.test", sources(7), "lifted.test", true},
		{"ok.lifted.test", sources(8), "ok.lifted.test", true},
		{"a.ok.lifted.test", sources(8), "ok.lifted.test", true},
		{"exc.test", sources(9), "exc.test", true},
		{"www.exc.test", Sources{}, "", false},
		{"a.www.exc.test", sources(9), "exc.test", true},
		{"deep.test", sources(10), "deep.test", true},
		{"a.deep.test", Sources{}, "", false},
		{"x.a.deep.test", Sources{}, "", false},
		{"rule.test", sources(11), "rule.test", true},
		{"b.rule.test", sources(11, 12), "b.rule.test", true},
		{"c.b.rule.test", sources(11), "rule.test", true},
		{"d.c.b.rule.test", sources(11), "rule.test", true},
		{"last.test", sources(127), "last.test", true},
		{"only-allow.test", Sources{}, "", false},
		{"both.test", sources(14), "both.test", false},
		{"www.both.test", sources(14), "both.test", true},
		{"", Sources{}, "", false},
		{".", Sources{}, "", false},
		{"..", Sources{}, "", false},
		{"unlisted.example", Sources{}, "", false},
	}
	for _, tt := range tests {
		got := m.Match(tt.name)
		if got.Block != tt.block || got.Rule != tt.rule || got.Subdomains != tt.sub {
			t.Errorf("Match(%q) = %+v, want Block %v Rule %q Subdomains %v", tt.name, got, tt.block, tt.rule, tt.sub)
		}
		if got.Blocked() != !tt.block.Empty() {
			t.Errorf("Match(%q).Blocked() = %v", tt.name, got.Blocked())
		}
	}
	// exact.test, sub.test, wild.test, amazon, ads.multi.test, multi.test,
	// lifted.test, ok.lifted.test, exc.test, www.exc.test, deep.test,
	// a.deep.test, x.a.deep.test, rule.test, b.rule.test, c.b.rule.test,
	// last.test, only-allow.test, both.test
	if m.Len() != 19 {
		t.Errorf("Len %d, want 19", m.Len())
	}
}

func TestMatchRuleIsSubstring(t *testing.T) {
	t.Parallel()
	m := buildFrom(t, "0 ||ads.test^")
	name := strings.Clone("x.ads.test")
	got := m.Match(name)
	// The rule shares the queried name's bytes: no copy was made.
	if got.Rule != "ads.test" || unsafe.StringData(got.Rule) != unsafe.StringData(name[2:]) {
		t.Errorf("Rule %q is not the suffix of %q in place", got.Rule, name)
	}
}

func TestMatcherEmpty(t *testing.T) {
	t.Parallel()
	var nilM *Matcher
	for _, m := range []*Matcher{nilM, {}, NewBuilder(0).Build(), NewBuilder(10).Build()} {
		if got := m.Match("a.com"); got.Blocked() || got.Rule != "" {
			t.Errorf("%+v", got)
		}
		if m.Len() != 0 {
			t.Errorf("Len %d", m.Len())
		}
	}
	b := NewBuilder(0)
	b.Add(0, Entry{Name: ""})
	b.Add(0, Entry{Name: "."})
	if m := b.Build(); m.Len() != 0 || m.Match("").Blocked() {
		t.Errorf("empty names: Len %d", m.Len())
	}
}

func TestBuilderNormalisesAndResets(t *testing.T) {
	t.Parallel()
	b := NewBuilder(0)
	b.Add(1, Entry{Name: "Upper.Example.", Subdomains: true})
	b.Add(2, Entry{Name: "upper.example"})
	if b.Len() != 2 {
		t.Fatalf("Builder.Len %d", b.Len())
	}
	m := b.Build()
	if got := m.Match("upper.example"); got.Block != sources(1, 2) || got.Subdomains {
		t.Errorf("%+v", got)
	}
	if got := m.Match("www.upper.example"); got.Block != sources(1) {
		t.Errorf("%+v", got)
	}
	if b.Len() != 0 {
		t.Errorf("Builder not reset: %d", b.Len())
	}
	b.Add(3, Entry{Name: "other.example"})
	m2 := b.Build()
	if m2.Len() != 1 || m2.Match("upper.example").Blocked() || !m2.Match("other.example").Blocked() {
		t.Errorf("second build: %d", m2.Len())
	}
	if !m.Match("upper.example").Blocked() || m.Match("other.example").Blocked() {
		t.Error("first Matcher changed by a later Build")
	}
}

func TestBuilderSourceOutOfRange(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic for SourceID 128")
		}
	}()
	NewBuilder(0).Add(MaxSources, Entry{Name: "a.com"})
}

// TestMatcherManyNames checks every name, its subdomains and near misses
// against a map, across duplicates and sources, at a size where runs and
// merging and trimming matter.
func TestMatcherManyNames(t *testing.T) {
	t.Parallel()
	const n = 50000
	b := NewBuilder(0)
	want := map[string]Sources{}
	for i := range n {
		name := fmt.Sprintf("host%d.example", i)
		src := SourceID(i % 7)
		b.Add(src, Entry{Name: name})
		s := want[name]
		s.Add(src)
		if i%3 == 0 { // duplicates from another source: exercise merging
			b.Add(src+50, Entry{Name: name})
			s.Add(src + 50)
		}
		want[name] = s
	}
	for i := range n / 2 { // the same names again: merged, and the arrays trimmed
		b.Add(SourceID(i%7), Entry{Name: fmt.Sprintf("host%d.example", i)})
	}
	m := b.Build()
	if m.Len() != n {
		t.Fatalf("Len %d, want %d", m.Len(), n)
	}
	for name, s := range want {
		if got := m.Match(name); got.Block != s || got.Rule != name || got.Subdomains {
			t.Fatalf("Match(%q) = %+v, want %v", name, got, s)
		}
		if got := m.Match("www." + name); got.Blocked() {
			t.Fatalf("Match(www.%q) = %+v", name, got)
		}
		if got := m.Match(name + "x"); got.Blocked() {
			t.Fatalf("Match(%qx) = %+v", name, got)
		}
	}
	checkTableOrder(t, &m.t)
}

// TestMatcherManyCombos goes past 65,536 distinct source combinations, where
// combo numbers take a second uint16.
func TestMatcherManyCombos(t *testing.T) {
	t.Parallel()
	b := NewBuilder(0)
	const n = 70000
	name := func(i int) string { return fmt.Sprintf("c%d.example", i) }
	set := func(i int) Sources { // a distinct set per i: bits of i over sources 0..16
		var s Sources
		for bit := range 17 {
			if (i+1)>>bit&1 == 1 {
				s.Add(SourceID(bit))
			}
		}
		return s
	}
	for i := range n {
		for bit := range 17 {
			if set(i).Has(SourceID(bit)) {
				b.Add(SourceID(bit), Entry{Name: name(i), Subdomains: true})
			}
		}
	}
	m := b.Build()
	if m.t.hi == nil || len(m.combos) <= 1<<16 {
		t.Fatalf("combos %d, hi %v", len(m.combos), m.t.hi != nil)
	}
	for i := range n {
		if got := m.Match("x." + name(i)); got.Block != set(i) {
			t.Fatalf("%d: %+v, want %v", i, got, set(i))
		}
	}
	checkTableOrder(t, &m.t)
}

// checkTableOrder checks the table's invariant: bucket bounds in order,
// ending at n; fingerprints strictly increasing within each bucket; a
// combo number for every key.
func checkTableOrder(t *testing.T, tb *table) {
	t.Helper()
	buckets := len(tb.start) - 1
	if buckets != 1<<(64-tb.shift) || tb.start[0] != 0 || int(tb.start[buckets]) != tb.n {
		t.Fatalf("%d buckets for shift %d, bounds %d..%d, n = %d", buckets, tb.shift, tb.start[0], tb.start[buckets], tb.n)
	}
	for b := range buckets {
		lo, hi := tb.start[b], tb.start[b+1]
		if lo > hi {
			t.Fatalf("bucket %d: bounds %d > %d", b, lo, hi)
		}
		for i := lo + 1; i < hi; i++ {
			if tb.fps[i] <= tb.fps[i-1] {
				t.Fatalf("bucket %d: fingerprint %x after %x", b, tb.fps[i], tb.fps[i-1])
			}
		}
	}
	if len(tb.fps) < tb.n || (tb.v8 == nil && len(tb.v16) < tb.n) || (tb.v8 != nil && len(tb.v8) < tb.n) {
		t.Fatalf("arrays shorter than n = %d: fps %d, v8 %d, v16 %d", tb.n, len(tb.fps), len(tb.v8), len(tb.v16))
	}
}

func TestMatcherConcurrent(t *testing.T) {
	t.Parallel()
	m := buildFrom(t, "0 ||ads.test^", "1 exact.test", "1 @@||ok.ads.test^")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				name := fmt.Sprintf("h%d-%d.ads.test", g, i)
				if got := m.Match(name); got.Block != sources(0) || got.Rule != "ads.test" {
					t.Errorf("%s: %+v", name, got)
					return
				}
				if m.Match("exact.test").Block != sources(1) || m.Match("x.exact.test").Blocked() {
					t.Error("exact.test")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestMatchNoAllocs(t *testing.T) {
	m := buildFrom(t, "0 ||ads.test^", "1 @@||ok.ads.test^", "1 ||ads.test^")
	for _, name := range []string{"x.ads.test", "ok.ads.test", "a.b.c.d.e.f.g.unlisted.test.", "ads.test"} {
		if n := testing.AllocsPerRun(100, func() { m.Match(name) }); n != 0 {
			t.Errorf("Match(%q): %v allocs", name, n)
		}
	}
}

// TestMatchSlowPathAgrees checks the one-pass walk against the per-suffix
// walk, and names with more labels than the one-pass walk takes.
func TestMatchSlowPathAgrees(t *testing.T) {
	m := buildFrom(t, "0 ||ads.test^", "1 x.ads.test", "2 @@||y.x.ads.test^", "2 ||test^",
		"3 ||l.k.j.i.h.g.f.e.d.c.b.a.test^")
	deep := "z.y.x.w.v.u.t.s.r.q.p.o.n.m.l.k.j.i.h.g.f.e.d.c.b.a.test"
	for _, name := range []string{
		"ads.test", "x.ads.test", "y.x.ads.test", "q.y.x.ads.test", "test", "other.test",
		"a..ads.test", ".ads.test", "ads.test..", deep, deep[2:], deep[len(deep)-30:],
		strings.Repeat("a.", 100) + "ads.test", "k.j.i.h.g.f.e.d.c.b.a.test",
	} {
		if got, want := m.Match(name), m.matchSlow(strings.TrimSuffix(name, ".")); got != want {
			t.Errorf("Match(%q) = %+v, slow path %+v", name, got, want)
		}
	}
	if got := m.Match(deep); got.Block != sources(2, 3) {
		t.Errorf("deep: %+v", got)
	}
	if got := m.Match("m." + deep[len(deep)-len("l.k.j.i.h.g.f.e.d.c.b.a.test"):]); got.Block != sources(2, 3) || got.Rule != "l.k.j.i.h.g.f.e.d.c.b.a.test" {
		t.Errorf("%+v", got)
	}
	if n := testing.AllocsPerRun(100, func() { m.Match(deep) }); n != 0 {
		t.Errorf("deep: %v allocs", n)
	}
}

// TestMatcherComboWidths: one byte a combo number up to 256 combinations,
// a uint16 beyond, and every name still gets its own sources.
func TestMatcherComboWidths(t *testing.T) {
	t.Parallel()
	for _, combos := range []int{3, 300} {
		b := NewBuilder(0)
		set := func(i int) Sources { // a distinct set per i over sources 0..9
			var s Sources
			for bit := range 10 {
				if (i+1)>>bit&1 == 1 {
					s.Add(SourceID(bit))
				}
			}
			return s
		}
		for i := range 2000 {
			s := set(i % combos)
			for bit := range 10 {
				if s.Has(SourceID(bit)) {
					b.Add(SourceID(bit), Entry{Name: fmt.Sprintf("w%d.example", i)})
				}
			}
		}
		m := b.Build()
		if wide := m.t.v8 == nil; wide != (len(m.combos) > 256) || (wide && m.t.v16 == nil) {
			t.Fatalf("%d combos: v8 %v, v16 %v", len(m.combos), m.t.v8 != nil, m.t.v16 != nil)
		}
		for i := range 2000 {
			if got := m.Match(fmt.Sprintf("w%d.example", i)); got.Block != set(i%combos) {
				t.Fatalf("%d combos, name %d: %v, want %v", combos, i, got.Block, set(i%combos))
			}
		}
		checkTableOrder(t, &m.t)
	}
}
