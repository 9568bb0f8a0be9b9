package blocklists

// The Matcher's storage: an ordered open-addressing table of 64-bit name
// keys with a combo number per key, and the interner that numbers the
// distinct source-set combinations. The design and its reasons are in
// matcher.go.

import (
	"math/bits"
	"slices"
)

// combo is one distinct combination of the sources behind a name.
type combo struct {
	blockExact, blockSub, allowExact, allowSub Sources
}

// interner numbers distinct combos; combos[0] is the empty one.
type interner struct {
	combos []combo
	index  map[combo]uint32
	trans  map[uint64]uint32 // old combo<<16 | tag -> new combo
	last   uint64            // the last trans key, +1 (0: none)
	lastV  uint32
}

func newInterner() *interner {
	return &interner{
		combos: []combo{{}},
		index:  map[combo]uint32{{}: 0},
		trans:  map[uint64]uint32{},
	}
}

// merge returns the combo old with tag's source added under tag's kind.
func (in *interner) merge(old uint32, tag uint16) uint32 {
	key := uint64(old)<<16 | uint64(tag)
	if key+1 == in.last {
		return in.lastV
	}
	v, ok := in.trans[key]
	if !ok {
		c := in.combos[old]
		src := SourceID(tag >> 2)
		switch tag & 3 {
		case kindBlockExact:
			c.blockExact.Add(src)
		case kindBlockSub:
			c.blockSub.Add(src)
		case kindAllowExact:
			c.allowExact.Add(src)
		case kindAllowSub:
			c.allowSub.Add(src)
		}
		if v, ok = in.index[c]; !ok {
			v = uint32(len(in.combos))
			in.combos = append(in.combos, c)
			in.index[c] = v
		}
		in.trans[key] = v
	}
	in.last, in.lastV = key+1, v
	return v
}

// table is the frozen set of name keys with their combo numbers. A key's
// top bits choose its bucket; within a bucket the next 32 bits of each key
// (its fingerprint) are kept, sorted, with a combo number each. A name is
// found by reading its bucket's bounds and scanning a few fingerprints
// (about four on average), for hits and misses alike.
type table struct {
	shift uint     // 64 - bucket bits: bucket(h) = h >> shift
	start []uint32 // bucket b holds fps[start[b]:start[b+1]]; len buckets+1
	fps   []uint32 // fingerprints, sorted within each bucket
	v8    []uint8  // combo numbers, when there are at most 256 combos
	v16   []uint16 // otherwise their low 16 bits,
	hi    []uint16 // and their high 16 bits past 65,536 combos
	n     int      // keys set
}

// bucketBits is how many bits choose a bucket for n keys: about four keys
// a bucket, so a bucket's bounds and fingerprints are one or two cache
// lines. A key's bucket and fingerprint together are bucketBits+32 of its
// bits: a lookup wrongly hits with probability about 4/2^32 per suffix.
func bucketBits(n int) uint { return uint(min(max(bits.Len(uint(n/4)), 1), 30)) }

// fingerprint is the 32 bits of h below its bucket bits.
func (t *table) fingerprint(h uint64) uint32 { return uint32(h >> (t.shift - 32)) }

// bytes is the size of t's arrays.
func (t *table) bytes() int {
	return 4*(cap(t.start)+cap(t.fps)) + cap(t.v8) + 2*(cap(t.v16)+cap(t.hi))
}

// mem is t's storage, to free when t is dropped.
func (t *table) mem() tableMem { return tableMem{t.start, t.fps, t.v8, t.v16, t.hi} }

// find returns where h is, or where it would be.
func (t *table) find(h uint64) (int, bool) {
	b := h >> t.shift
	return t.findIn(t.fingerprint(h), t.start[b], t.start[b+1])
}

// findIn looks for fingerprint fp in fps[lo:hi].
func (t *table) findIn(fp, lo, hi uint32) (int, bool) {
	fps := t.fps[lo:hi]
	for i, f := range fps {
		if f >= fp {
			return int(lo) + i, f == fp
		}
	}
	return int(hi), false
}

func (t *table) val(i int) uint32 {
	if t.v8 != nil {
		return uint32(t.v8[i])
	}
	v := uint32(t.v16[i])
	if t.hi != nil {
		v |= uint32(t.hi[i]) << 16
	}
	return v
}

// buildTable makes the table of the chunks' n entries, merging entries with
// the same key (one name from several entries or sources) into one combo
// through in. Each chunk is dropped once read for the last time. Besides
// the table it needs 2 bytes per entry, given back before it returns.
func buildTable(chunks []entryChunk, n int, in *interner) *table {
	t := &table{shift: 64 - bucketBits(n)}
	buckets := 1 << (64 - t.shift)
	// Count each bucket's entries, then place every entry in its bucket:
	// start[b] runs from b's first slot to its end (b+1's first slot).
	t.start = allocSlice[uint32](buckets + 1)
	for _, c := range chunks {
		for _, h := range c.hashes {
			t.start[h>>t.shift+1]++
		}
	}
	for b := 1; b <= buckets; b++ {
		t.start[b] += t.start[b-1]
	}
	t.fps = allocSlice[uint32](n)
	tags := allocSlice[uint16](n) // source<<2 | kind, then combo numbers
	for i, c := range chunks {
		for _, h := range c.hashes {
			b := h >> t.shift
			pos := t.start[b]
			t.start[b]++
			t.fps[pos] = t.fingerprint(h)
			tags[pos] = uint16(c.src)<<2 | uint16(h&3)
		}
		chunks[i] = entryChunk{} // garbage now: the table takes its place
	}
	copy(t.start[1:], t.start[:buckets])
	t.start[0] = 0

	// Sort each bucket and merge equal fingerprints into one slot with one
	// combo, moving everything down over the merged slots.
	var w uint32
	var lo []uint16 // combo numbers' low 16 bits: tags, reused in place
	lo, t.hi = tags, nil
	begin := uint32(0)
	for b := range buckets {
		end := t.start[b+1]
		sortBucket(t.fps[begin:end], tags[begin:end])
		t.start[b] = w
		for r := begin; r < end; {
			fp := t.fps[r]
			v := uint32(0)
			for ; r < end && t.fps[r] == fp; r++ {
				v = in.merge(v, tags[r])
			}
			t.fps[w] = fp
			lo[w] = uint16(v)
			if v > 0xffff && t.hi == nil {
				t.hi = allocSlice[uint16](n)
			}
			if t.hi != nil {
				t.hi[w] = uint16(v >> 16)
			}
			w++
		}
		begin = end
	}
	t.start[buckets] = w
	t.n = int(w)

	// Trim to the keys set, and to one byte a combo number where that holds
	// them all.
	if int(w) < n*9/10 {
		t.fps = moveTo(t.fps, int(w))
		if t.hi != nil {
			t.hi = moveTo(t.hi, int(w))
		}
	}
	if len(in.combos) <= 1<<8 {
		t.v8 = allocSlice[uint8](max(int(w), 1))
		for i := range int(w) {
			t.v8[i] = uint8(lo[i])
		}
		freeSlice(lo)
	} else if int(w) < n*9/10 {
		t.v16 = moveTo(lo, int(w))
	} else {
		t.v16 = lo
	}
	return t
}

// sortBucket sorts a bucket's entries by fingerprint (insertion sort: a
// bucket holds a handful), carrying each entry's tag along.
func sortBucket(fps []uint32, tags []uint16) {
	for i := 1; i < len(fps); i++ {
		f, g := fps[i], tags[i]
		j := i
		for ; j > 0 && fps[j-1] > f; j-- {
			fps[j], tags[j] = fps[j-1], tags[j-1]
		}
		fps[j], tags[j] = f, g
	}
}

// moveTo copies s's first n elements to a new array of that size and
// frees s.
func moveTo[T uint8 | uint16 | uint32 | uint64](s []T, n int) []T {
	out := allocSlice[T](max(n, 1))[:n]
	copy(out, s[:n])
	freeSlice(s)
	return slices.Clip(out)
}
