package app

import (
	"context"
	"runtime/debug"
	"time"
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

// When the code pages are dropped again while Hearth runs (trimCode).
const (
	codeSettle    = 2 * time.Second // after start: its goroutines' first runs are over
	codeTrimEvery = time.Minute
)

// trimCode drops the executable's read-only pages (releaseCodePages) once
// the start's background work has settled, then every minute until ctx
// ends. Start drops them as it returns, but the goroutines it started run
// their first rounds just after (the dashboard, the journal's first flush,
// device identification: 4-8 MB of code and tables faulted in 64 KiB
// windows), and later the collector's stack scans, the hourly prune, a
// reload or a list refresh each fault in code they may not run again for
// hours. Dropped, those pages become ordinary page cache the kernel can
// reclaim first on a small Pi, and what counts as resident is the code
// used in the last minute. The serving path's pages come back on their
// next use, a minor fault each (84 at each minute's drop at 20,000 qps, a
// few microseconds each). It is process housekeeping, so real time, not
// the household's clock.
func trimCode(ctx context.Context) {
	t := time.NewTimer(codeSettle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		releaseCodePages()
		t.Reset(codeTrimEvery)
	}
}
