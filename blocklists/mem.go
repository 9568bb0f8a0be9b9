package blocklists

// Where a Matcher's table lives. On Unix the table's arrays are anonymous
// memory maps outside the Go heap: the garbage collector neither scans nor
// counts them, so the 15 MB of a 1.2M-name table do not double the heap's
// goal (with GOGC's default the heap may grow to twice what is live) and
// the process's memory limit need only cover the Go heap. A map is unmapped
// when the Matcher that holds it becomes unreachable: a query that is still
// inside Match holds the Matcher (every method that reads the table ends
// with runtime.KeepAlive of it), so a table is released only after its last
// reader. Elsewhere the arrays are ordinary Go slices.

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// tableMem is the storage of one table, released together.
type tableMem struct {
	start, fps []uint32
	v8         []uint8
	v16, hi    []uint16
}

// releaseHook, if set, is called with the first fingerprint's address of each
// published table released (for tests).
var releaseHook atomic.Pointer[func(*uint32)]

// free gives m's arrays back; nothing may read them afterwards.
func (m tableMem) free() {
	freeSlice(m.start)
	freeSlice(m.fps)
	freeSlice(m.v8)
	freeSlice(m.v16)
	freeSlice(m.hi)
}

// release is free for a published table, told to releaseHook.
func (m tableMem) release() {
	p := unsafe.SliceData(m.fps)
	m.free()
	if h := releaseHook.Load(); h != nil {
		(*h)(p)
	}
}

// keepTable ties t's storage to m: released once m is unreachable.
func keepTable(m *Matcher) {
	if offHeap && m.t.fps != nil {
		runtime.AddCleanup(m, tableMem.release, m.t.mem())
	}
}

// allocSlice returns n zeroed elements (len and cap n), off the Go heap
// where the platform allows; freeSlice gives them back. n == 0 gives nil.
func allocSlice[T uint8 | uint16 | uint32 | uint64](n int) []T {
	if n == 0 {
		return nil
	}
	size := int(unsafe.Sizeof(T(0)))
	b := allocBytes(n * size)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

func freeSlice[T uint8 | uint16 | uint32 | uint64](s []T) {
	if cap(s) > 0 {
		size := int(unsafe.Sizeof(T(0)))
		freeBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), cap(s)*size))
	}
}
