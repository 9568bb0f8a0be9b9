package blocklists

// The compiled domain set: which sources block or allow a name, through
// which rule, with one pass over the name's bytes per query.
//
// Design (the reasoning and its measurements are in docs/performance.md,
// "How the list matcher is built"; the benchmarks in matcher_bench_test.go):
//
//   - Names are not stored. Each is reduced to a 64-bit key: FNV-1a over
//     its bytes read from the end, from a random seed drawn per Builder,
//     finished with murmur3's fmix64. Read from the end, the hash state at
//     each label boundary is that suffix's, so Match gets the keys of all
//     suffixes in one pass. The price: Match.Rule must be a substring of the
//     queried name (it is, by the Match contract), and a Matcher cannot
//     list its names.
//   - The table keeps bucketBits+32 bits of each key (matcher_table.go): the
//     top bits choose one of about n/4 buckets, whose bounds are a uint32
//     each, and the next 32 bits are the key's fingerprint, sorted within
//     its bucket. 4 bytes a name plus 1 a name for the bounds, instead of
//     the 10 a slot (12.5 a name) of the open-addressing table before: 1.2M
//     names take about 7.4 MB. A lookup can wrongly hit with probability
//     about 4/2^32 per suffix (one allowed name in about a billion lookups
//     looks listed, until the next build draws a new seed); it can never
//     wrongly miss. The arrays are anonymous memory maps outside the Go heap
//     on Unix (mem.go).
//   - Each key has a combo number (one byte while there are at most 256
//     combinations, else a uint16, and a second uint16 past 65,536)
//     indexing an interned table of the distinct (blockExact, blockSub,
//     allowExact, allowSub) source-set combinations.
//   - Match first computes every suffix's key and reads its bucket's bounds,
//     then scans the buckets: the reads do not wait on each other.
//   - Building is streaming: Add appends 8 bytes per entry (the key, with
//     the entry's kind in its two low bits; a chunk holds one source's
//     entries) to chunks of at most 32K entries; Build counts the entries of
//     each bucket, places each entry's fingerprint and tag there (dropping
//     each chunk once placed), sorts each bucket and merges the entries of
//     one name (from several entries or sources) into one combo, moving the
//     rest down. No name string is held, and no table is built twice.

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
)

// Entry kinds, the low two bits of a Builder tag.
const (
	kindBlockExact = 0
	kindBlockSub   = 1 // Subdomains bit
	kindAllowExact = 2 // Allow bit
	kindAllowSub   = 3
)

// Builder collects entries from sources and compiles them into a Matcher.
// It is not safe for concurrent use.
type Builder struct {
	seed   uint64
	chunks []entryChunk
	open   [MaxSources]int32 // each source's last chunk, index+1 (0: none)
	n      int               // entries added
	hint   int
}

// entryChunk holds added entries. Entries go in chunks of at most
// maxChunk rather than one growing slice: no copy and no garbage as they
// grow, and Build frees each chunk once it is in the table.
type entryChunk struct {
	src    SourceID // every entry of a chunk is from one source
	hashes []uint64 // key of each added name (never 0) | its kind
}

// Chunk sizes, in entries: the first is sized by the hint within these.
const (
	minChunk = 64
	maxChunk = 1 << 15 // 256 KiB
)

// NewBuilder returns a Builder expecting about sizeHint entries; the hint
// only sizes the first chunk of storage, so 0 is fine.
func NewBuilder(sizeHint int) *Builder {
	return &Builder{seed: rand.Uint64(), hint: sizeHint}
}

// Add records e for src. The same name from several entries or sources
// merges. A trailing dot is dropped and upper case lowered; an empty name is
// ignored. src must be below MaxSources.
func (b *Builder) Add(src SourceID, e Entry) {
	if src >= MaxSources {
		panic(fmt.Sprintf("blocklists: SourceID %d out of range (max %d)", src, MaxSources-1))
	}
	name := e.Name
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if name == "" {
		return
	}
	if hasUpper(name) {
		name = strings.ToLower(name)
	}
	kind := uint16(kindBlockExact)
	if e.Subdomains {
		kind |= kindBlockSub
	}
	if e.Allow {
		kind |= kindAllowExact
	}
	var c *entryChunk
	if k := b.open[src]; k > 0 && len(b.chunks[k-1].hashes) < cap(b.chunks[k-1].hashes) {
		c = &b.chunks[k-1]
	} else {
		c = b.newChunk(src)
	}
	// Keys have their low two bits clear (finishKey): the kind rides there.
	c.hashes = append(c.hashes, nameKey(b.seed, name)|uint64(kind))
	b.n++
}

// newChunk starts a chunk for src: the Builder's first is sized by the
// hint, a source's first minChunk, then each twice its source's last.
func (b *Builder) newChunk(src SourceID) *entryChunk {
	size := minChunk
	if len(b.chunks) == 0 {
		size = min(max(b.hint, minChunk), maxChunk)
	} else if k := b.open[src]; k > 0 {
		size = min(2*cap(b.chunks[k-1].hashes), maxChunk)
	}
	b.chunks = append(b.chunks, entryChunk{src, make([]uint64, 0, size)})
	b.open[src] = int32(len(b.chunks))
	return &b.chunks[len(b.chunks)-1]
}

// Len reports how many entries were added since the last Build.
func (b *Builder) Len() int { return b.n }

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// A name's key is FNV-1a over its bytes read from the end, started from
// the Matcher's seed, then finished with the murmur3 mixer. Read from the
// end, the state after each label is the state of that suffix, so Match
// gets the keys of all of a name's suffixes in one pass over its bytes
// (maphash would hash each suffix anew: 9 passes for a.b.c.d.e.f.x.y.com).
const fnvPrime = 0x100000001b3

// nameKey is the table key of the name s; 0 marks an empty slot.
func nameKey(seed uint64, s string) uint64 {
	h := seed
	for i := len(s) - 1; i >= 0; i-- {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return finishKey(h)
}

// finishKey mixes an FNV state into a key (fmix64 of murmur3), never 0,
// with its low two bits clear: a Builder keeps an entry's kind there (a
// 62-bit key: a false hit is still about n/2^62 per suffix).
func finishKey(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	h &^= 3
	if h == 0 {
		h = 4
	}
	return h
}

// Build compiles the entries added so far into a Matcher. The Builder hands
// its memory over and starts again empty (with a new seed), so dropping it
// afterwards frees nothing more; its entries do not carry into the next Build.
func (b *Builder) Build() *Matcher {
	chunks, n, seed := b.chunks, b.n, b.seed
	*b = Builder{seed: rand.Uint64()}

	m := &Matcher{seed: seed}
	if n == 0 {
		return m
	}
	in := newInterner()
	t := buildTable(chunks, n, in)
	m.t = *t
	m.combos = in.combos
	keepTable(m)
	return m
}

// Matcher is a compiled set of entries from up to MaxSources sources. It is
// immutable and safe for concurrent use without locks; a nil or empty
// Matcher matches nothing. Match allocates nothing; its cost and the
// memory a Matcher keeps are measured in docs/performance.md.
type Matcher struct {
	seed   uint64
	t      table
	combos []combo
}

// Len reports how many distinct names the Matcher holds.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return m.t.n
}

// probeAhead is how many suffixes Match hashes and fetches before testing.
const probeAhead = 16

// lookupFrom is lookup of key h whose bucket spans fps[lo:hi], whose first
// fingerprint (when lo < hi) is first.
func (m *Matcher) lookupFrom(h uint64, lo, hi, first uint32) *combo {
	fp := m.t.fingerprint(h)
	if lo == hi || first > fp {
		return nil // an empty bucket, or every key in it is bigger
	}
	i, ok := m.t.findIn(fp, lo, hi)
	if !ok {
		return nil
	}
	v := m.t.val(i)
	runtime.KeepAlive(m) // the table is released when m is unreachable (mem.go)
	return &m.combos[v]
}

// lookup returns the combo of the name s, or nil.
func (m *Matcher) lookup(s string) *combo {
	i, ok := m.t.find(nameKey(m.seed, s))
	if !ok {
		return nil
	}
	v := m.t.val(i)
	runtime.KeepAlive(m)
	return &m.combos[v]
}

// Match reports which sources block name and through which rule. name must
// be lowercase; a trailing dot is ignored. It does not allocate.
//
// It walks the name's suffixes once, from the whole name to its last label.
// At each suffix in the set, exact entries count only when the suffix is
// the whole name and Subdomains entries count always; block and allow sets
// are ORed over the walk, and Block is blocks minus allows, so an exception
// lifts only its own source's blocks, whichever suffix either sits at.
func (m *Matcher) Match(name string) Match {
	if m == nil || m.t.n == 0 {
		return Match{}
	}
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if name == "" {
		return Match{}
	}
	// One pass from the end of the name gives the key of every suffix
	// (shortest first); each key's bucket bounds are read as soon as it is
	// known, so the CPU fetches those cache lines in parallel rather than
	// one miss after another. Names of more than probeAhead labels take
	// the slow path.
	var hs [probeAhead]uint64
	var los, his [probeAhead]uint32
	var offs [probeAhead]int
	n := 0
	h := m.seed
	for i := len(name) - 1; i >= 0; i-- {
		h = (h ^ uint64(name[i])) * fnvPrime
		if i == 0 || name[i-1] == '.' {
			if n == probeAhead {
				return m.matchSlow(name)
			}
			key := finishKey(h)
			b := key >> m.t.shift
			hs[n], los[n], his[n], offs[n] = key, m.t.start[b], m.t.start[b+1], i
			n++
		}
	}
	// Then each non-empty bucket's first fingerprint, again all before
	// testing: the second read of each lookup overlaps the others too.
	var firsts [probeAhead]uint32
	for j := range n {
		if los[j] < his[j] {
			firsts[j] = m.t.fps[los[j]]
		}
	}
	// Then test the suffixes from the whole name down to the last label.
	var w walk
	for j := n - 1; j >= 0; j-- {
		if c := m.lookupFrom(hs[j], los[j], his[j], firsts[j]); c != nil {
			w.add(c, offs[j])
		}
	}
	return m.result(name, w)
}

// walk gathers what the suffixes of one name say, most specific first.
type walk struct {
	block, allow Sources
	first        *combo // the most specific suffix that blocks
	firstOff     int    // its offset in the name
}

// add takes in the entries found at the suffix starting at off: exact ones
// count only for the whole name (off 0), Subdomains ones always.
func (w *walk) add(c *combo, off int) {
	b, a := c.blockSub, c.allowSub
	if off == 0 {
		b, a = b.Or(c.blockExact), a.Or(c.allowExact)
	}
	w.allow = w.allow.Or(a)
	if !b.Empty() {
		w.block = w.block.Or(b)
		if w.first == nil {
			w.first, w.firstOff = c, off
		}
	}
}

// matchSlow is Match for names of many labels: each suffix hashed alone.
func (m *Matcher) matchSlow(name string) Match {
	var w walk
	for off := 0; ; {
		s := name[off:]
		if c := m.lookup(s); c != nil {
			w.add(c, off)
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return m.result(name, w)
}

// result turns a walk over name into a Match.
func (m *Matcher) result(name string, w walk) Match {
	res := w.block.AndNot(w.allow)
	if res.Empty() {
		return Match{}
	}
	out := Match{Block: res}
	if sub, ok := ruleAt(w.first, w.firstOff, w.allow); ok {
		out.Rule, out.Subdomains = name[w.firstOff:], sub
	} else {
		out.Rule, out.Subdomains = m.rule(name, w.firstOff, w.allow)
	}
	return out
}

// ruleAt reports whether c, found at suffix offset off, still blocks after
// allow, and whether through a Subdomains entry (exact entries win at the
// whole name, being the more specific).
func ruleAt(c *combo, off int, allow Sources) (sub, ok bool) {
	if off == 0 && !c.blockExact.AndNot(allow).Empty() {
		return false, true
	}
	return true, !c.blockSub.AndNot(allow).Empty()
}

// rule finds the most specific suffix, after offset after, whose blocks
// survive allow: the slow path, when exceptions lifted the first one.
func (m *Matcher) rule(name string, after int, allow Sources) (string, bool) {
	for off := after; ; {
		s := name[off:]
		if off > after {
			if c := m.lookup(s); c != nil {
				if sub, ok := ruleAt(c, off, allow); ok {
					return s, sub
				}
			}
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return "", false
		}
		off += i + 1
	}
}
