//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// heapProfileOnSignal writes a heap profile to path, if set, each time the
// process gets SIGUSR1: what is live in a running server, for measuring
// (scripts/memready.sh; see docs/performance.md).
func heapProfileOnSignal(path string) {
	if path == "" {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		for range ch {
			f, err := os.Create(path)
			if err == nil {
				err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "hearth: HEARTHHEAPPROFILE: %v\n", err)
			}
		}
	}()
}
