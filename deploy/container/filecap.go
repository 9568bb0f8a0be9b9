//go:build ignore

// filecap gives a file the capability CAP_NET_BIND_SERVICE, as
// `setcap cap_net_bind_service=+ep FILE` does, without installing libcap2-bin
// in the build stage. The container runs Hearth as a non-root user, and Docker
// does not pass added capabilities (--cap-add) to non-root processes: only a
// capability on the file lets Hearth bind port 53 with host networking.
//
// usage: go run deploy/container/filecap.go FILE
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
)

const (
	vfsCapRevision2     = 0x02000000 // struct vfs_cap_data, two 32-bit words per set
	vfsCapFlagEffective = 0x000001   // raise the permitted set into the effective set at exec
	capNetBindService   = 10
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run filecap.go FILE")
		os.Exit(2)
	}
	// magic_etc, then {permitted, inheritable} for capabilities 0-31 and 32-63.
	var v [20]byte
	binary.LittleEndian.PutUint32(v[0:], vfsCapRevision2|vfsCapFlagEffective)
	binary.LittleEndian.PutUint32(v[4:], 1<<capNetBindService)
	if err := syscall.Setxattr(os.Args[1], "security.capability", v[:], 0); err != nil {
		fmt.Fprintf(os.Stderr, "filecap: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
