//go:build linux

package resolver

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"unsafe"
)

// On Linux each listen address gets one UDP socket per core, all bound to
// the same port with SO_REUSEPORT: the kernel spreads clients over them by
// a hash of their address and port, and each socket has its own worker.

// udpSockets is how many UDP sockets (and workers) a listen address gets.
func udpSockets() int { return max(1, runtime.GOMAXPROCS(0)) }

// listenUDPGroup binds n sockets to addr, sharing its port. A wildcard
// address (":53") also asks for the destination address of each packet,
// so the answer leaves from the address the client asked (see pktinfo).
func listenUDPGroup(addr string, n int) ([]*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix_SO_REUSEPORT, 1)
			if serr != nil {
				return
			}
			if ap, err := netip.ParseAddrPort(address); err == nil && ap.Addr().IsUnspecified() {
				if network == "udp4" {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1)
				} else {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_RECVPKTINFO, 1)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	var conns []*net.UDPConn
	for range n {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conn := pc.(*net.UDPConn)
		_ = conn.SetReadBuffer(udpReadBuffer) // best effort: the kernel caps it at net.core.rmem_max
		conns = append(conns, conn)
	}
	return conns, nil
}

// udpReadBuffer is each UDP socket's receive buffer. The kernel's default
// (about 200 KB) holds only a few hundred small packets, because each one
// counts with its buffer overhead: a burst from one flooding device fills it
// and the kernel then drops everyone's queries alike. The memory is used
// only while packets wait; the kernel caps the size at net.core.rmem_max
// (docs/performance.md says how to raise it).
const udpReadBuffer = 2 << 20

// unix_SO_REUSEPORT is SO_REUSEPORT, which package syscall does not name on
// every Linux architecture (it is 15 on all of them).
const unix_SO_REUSEPORT = 0xf

// oobSize is the room for one packet-info control message.
const oobSize = 64

// replyOOB turns the packet-info control message received with a query
// (oob) into the one that makes the answer leave from the address the query
// was sent to, written into dst. It returns nil when oob holds none (a
// socket bound to one address).
func replyOOB(dst, oob []byte) []byte {
	hdr := syscall.SizeofCmsghdr
	for len(oob) >= hdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			return nil
		}
		data := oob[syscall.CmsgLen(0):l]
		switch {
		case h.Level == syscall.IPPROTO_IP && h.Type == syscall.IP_PKTINFO && len(data) >= syscall.SizeofInet4Pktinfo:
			// struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }:
			// answer from addr (the query's destination), any interface.
			out := dst[:syscall.CmsgSpace(syscall.SizeofInet4Pktinfo)]
			clear(out)
			oh := (*syscall.Cmsghdr)(unsafe.Pointer(&out[0]))
			oh.Level, oh.Type = syscall.IPPROTO_IP, syscall.IP_PKTINFO
			oh.SetLen(syscall.CmsgLen(syscall.SizeofInet4Pktinfo))
			copy(out[syscall.CmsgLen(0)+4:], data[8:12])
			return out
		case h.Level == syscall.IPPROTO_IPV6 && h.Type == syscall.IPV6_PKTINFO && len(data) >= syscall.SizeofInet6Pktinfo:
			// struct in6_pktinfo { in6_addr addr; unsigned ifindex; }: the
			// same address back; the interface kept only for link-local.
			out := dst[:syscall.CmsgSpace(syscall.SizeofInet6Pktinfo)]
			clear(out)
			oh := (*syscall.Cmsghdr)(unsafe.Pointer(&out[0]))
			oh.Level, oh.Type = syscall.IPPROTO_IPV6, syscall.IPV6_PKTINFO
			oh.SetLen(syscall.CmsgLen(syscall.SizeofInet6Pktinfo))
			copy(out[syscall.CmsgLen(0):], data[:16])
			a := netip.AddrFrom16([16]byte(data[:16]))
			if a.IsLinkLocalUnicast() {
				copy(out[syscall.CmsgLen(0)+16:], data[16:20])
			} else {
				binary.NativeEndian.PutUint32(out[syscall.CmsgLen(0)+16:], 0)
			}
			return out
		}
		oob = oob[min(len(oob), syscall.CmsgSpace(l-syscall.CmsgLen(0))):]
	}
	return nil
}
