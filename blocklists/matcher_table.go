package blocklists

// The Matcher's storage: an ordered open-addressing table of 64-bit name
// keys with a combo number per key, and the interner that numbers the
// distinct source-set combinations. The design and its reasons are in
// matcher.go.

import "math/bits"

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

// table is the ordered open-addressing set of name hashes with their combo
// numbers. Keys are in increasing order wherever they are set, each at or
// after its home slot with no gap between, so a search stops at the first
// key not below the one sought, or at a gap.
type table struct {
	size uint64   // home slots: home(h) = h*size>>64 < size
	keys []uint64 // 0 = empty; len >= size, the tail takes runs that spill
	lo   []uint16 // combo number, low 16 bits
	hi   []uint16 // high 16 bits; nil until a combo number needs them
	n    int      // keys set
}

// tableSize is the home range for n keys at load 0.8.
func tableSize(n int) uint64 { return uint64(n)*5/4 + 1 }

func newTable(n int) *table {
	size := tableSize(n)
	return &table{
		size: size,
		keys: allocSlice[uint64](int(size + tableSlack)),
		lo:   allocSlice[uint16](int(size + tableSlack)),
	}
}

// bytes is the size of t's arrays.
func (t *table) bytes() int { return cap(t.keys)*8 + cap(t.lo)*2 + cap(t.hi)*2 }

// mem is t's storage, to free when t is dropped.
func (t *table) mem() tableMem { return tableMem{t.keys, t.lo, t.hi} }

func (t *table) home(h uint64) int {
	hi, _ := bits.Mul64(h, t.size)
	return int(hi)
}

// find returns where h is, or where it would go.
func (t *table) find(h uint64) (int, bool) {
	i := t.home(h)
	return t.findFrom(h, i, t.keys[i])
}

// findFrom is find from slot i, which holds k.
func (t *table) findFrom(h uint64, i int, k uint64) (int, bool) {
	keys := t.keys
	for {
		if k == 0 {
			return i, false
		}
		if k >= h {
			return i, k == h
		}
		if i++; i == len(keys) {
			return i, false
		}
		k = keys[i]
	}
}

func (t *table) val(i int) uint32 {
	v := uint32(t.lo[i])
	if t.hi != nil {
		v |= uint32(t.hi[i]) << 16
	}
	return v
}

func (t *table) setVal(i int, v uint32) {
	t.lo[i] = uint16(v)
	if v > 0xffff && t.hi == nil {
		t.hi = allocSlice[uint16](cap(t.keys))[:len(t.keys)]
	}
	if t.hi != nil {
		t.hi[i] = uint16(v >> 16)
	}
}

// grow adds one slot at the end (a run spilled past the slack), moving
// the arrays to larger ones tableSlack slots at a time.
func (t *table) grow() {
	n := len(t.keys)
	if n == cap(t.keys) {
		old := t.mem()
		t.keys = append(allocSlice[uint64](n + tableSlack)[:0], t.keys...)
		t.lo = append(allocSlice[uint16](n + tableSlack)[:0], t.lo...)
		if t.hi != nil {
			t.hi = append(allocSlice[uint16](n + tableSlack)[:0], t.hi...)
		}
		old.free()
	}
	t.keys, t.lo = t.keys[:n+1], t.lo[:n+1]
	if t.hi != nil {
		t.hi = t.hi[:n+1]
	}
}

// insert adds tag to h's combo, putting h in the table if it is new.
func (t *table) insert(h uint64, tag uint16, in *interner) {
	i, found := t.find(h)
	if found {
		t.setVal(i, in.merge(t.val(i), tag))
		return
	}
	// Shift the run from i up to the next gap one slot right: every key
	// stays at or after its home and the order holds.
	j := i
	for j < len(t.keys) && t.keys[j] != 0 {
		j++
	}
	if j == len(t.keys) {
		t.grow()
	}
	copy(t.keys[i+1:j+1], t.keys[i:j])
	copy(t.lo[i+1:j+1], t.lo[i:j])
	if t.hi != nil {
		copy(t.hi[i+1:j+1], t.hi[i:j])
	}
	t.keys[i] = h
	t.lo[i] = 0
	if t.hi != nil {
		t.hi[i] = 0
	}
	t.setVal(i, in.merge(0, tag))
	t.n++
}

// repack copies t into a table with home range size; keys come out of t in
// order, so each goes to max(its home, the previous slot+1).
func (t *table) repack(size uint64) *table {
	nt := &table{size: size, n: t.n}
	last := -1
	for _, k := range t.keys {
		if k != 0 {
			last = max(nt.home(k), last+1)
		}
	}
	length := max(last+1, int(size)) // every home slot exists
	nt.keys = allocSlice[uint64](length)
	nt.lo = allocSlice[uint16](length)
	if t.hi != nil {
		nt.hi = allocSlice[uint16](length)
	}
	pos := -1
	for i, k := range t.keys {
		if k == 0 {
			continue
		}
		pos = max(nt.home(k), pos+1)
		nt.keys[pos] = k
		nt.lo[pos] = t.lo[i]
		if t.hi != nil {
			nt.hi[pos] = t.hi[i]
		}
	}
	return nt
}
