// Command hearth is Hearth's DNS filtering resolver: `hearth serve` runs it,
// `hearth check-config` checks a configuration, `hearth config default`
// prints the default one, `hearth version` says which build this is.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(execute(context.Background(), newApp(), os.Args[1:]))
}
