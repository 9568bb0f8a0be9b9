package app

import (
	"runtime/debug"
)

// fitMemory runs after each list compile. Building a large list leaves
// megabytes of garbage (the builder's chunks, parse buffers) and the previous
// matcher's table, unmapped once nothing uses it: return them to the system
// now rather than minutes later, and drop the start-up code's pages
// (releaseCodePages).
//
// It sets no memory limit. The matcher's table, the one large thing Hearth
// keeps (15 MB for the 1.2M-domain union), lives outside the Go heap
// (blocklists/mem.go), so the collector's default pacing (GOGC=100: the heap
// may grow to twice what is live) applies to what remains, a few MB that
// grow with the cache; a fixed limit set after a compile would make the
// collector run constantly once the cache has filled past it (27% of CPU
// under load when the table still counted; see docs/performance.md). A
// GOMEMLIMIT or GOGC from the environment is the runtime's to honour.
func fitMemory() {
	debug.FreeOSMemory()
	releaseCodePages()
}
