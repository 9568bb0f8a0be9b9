// Command hearth is Hearth's DNS filtering resolver: `hearth serve` runs it,
// `hearth check-config` checks a configuration, `hearth config default`
// prints the default one, `hearth version` says which build this is.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
)

func main() {
	stop := profile(os.Getenv("HEARTHCPUPROFILE"))
	heapProfileOnSignal(os.Getenv("HEARTHHEAPPROFILE"))
	code := execute(context.Background(), newApp(), os.Args[1:])
	stop()
	os.Exit(code)
}

// profile writes a CPU profile of the whole run to path, if set: for
// measuring under the load script (see docs/performance.md).
func profile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hearth: HEARTHCPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
