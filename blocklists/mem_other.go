//go:build !unix

package blocklists

// offHeap: tables are Go slices here, freed by the collector.
const offHeap = false

func allocBytes(n int) []byte { return make([]byte, n) }

func freeBytes([]byte) {}
