package cluster

import "testing"

// TestBitmapWords: Redis numbers a bitmap's bits from the high bit of its
// first byte (SETBIT offset 0 is 0x80 of byte 0); a counter's minute m is
// bit m%64 of word m/64.
func TestBitmapWords(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 80)
	for _, m := range []int{0, 7, 8, 63, 64, 600, 639} {
		raw[m/8] |= 0x80 >> (m % 8)
	}
	w := bitmapWords(raw)
	want := map[int]bool{0: true, 7: true, 8: true, 63: true, 64: true, 600: true, 639: true}
	for m := range len(w) * 64 {
		if got := w[m/64]&(1<<(m%64)) != 0; got != want[m] {
			t.Errorf("minute %d: %v, want %v", m, got, want[m])
		}
	}
	long := make([]byte, 1000) // bits far beyond the counter's words: ignored, no panic
	for i := range long {
		long[i] = 0xff
	}
	for i, x := range bitmapWords(long) {
		if x != ^uint64(0) {
			t.Errorf("word %d = %x", i, x)
		}
	}
}
