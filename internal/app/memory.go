package app

import (
	"os"
	"runtime"
	"runtime/debug"
)

// memoryHeadroom is how far the heap may grow past what is live before the
// garbage collector works harder, and memoryFloor the limit below which it
// is not worth working harder (see fitMemory).
const (
	memoryHeadroom = 8 << 20
	memoryFloor    = 24 << 20
)

// fitMemory runs after each list compile. Building a large list leaves tens
// of MB of garbage (parse buffers, the builder's chunks, the previous
// matcher): return it to the system now rather than minutes later. Then set
// a soft memory limit just above what is live: with GOGC's default, a 15 MB
// matcher would let the heap reach 30 MB and more between collections, while
// the matcher holds no pointers, so collecting more often costs little (with
// the 1.2M-domain list: 32 MB resident instead of 41, for about a fifth of
// the peak cache-hit throughput; see docs/performance.md). On a Pi, resident
// memory is what counts. A GOMEMLIMIT set by the user wins.
func fitMemory() {
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(max(int64(ms.HeapAlloc+ms.StackInuse+ms.GCSys+ms.OtherSys)+memoryHeadroom, memoryFloor))
}
