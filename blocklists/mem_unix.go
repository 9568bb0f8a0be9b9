//go:build unix

package blocklists

import "syscall"

// offHeap: tables are memory maps, released by keepTable's cleanup.
const offHeap = true

// allocBytes maps n zeroed bytes; if the map fails (a strict rlimit), it
// falls back to the Go heap, which freeBytes then leaves to the collector.
func allocBytes(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	return b
}

// freeBytes unmaps b, which must be a whole slice from allocBytes; a slice
// from the fallback is not a map, and Munmap refuses it (EINVAL).
func freeBytes(b []byte) { _ = syscall.Munmap(b) }
