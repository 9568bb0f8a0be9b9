//go:build !linux

package resolver

import "net"

// Elsewhere than Linux, one UDP socket per listen address, read by one
// worker (SO_REUSEPORT does not spread packets over sockets everywhere).
// Answers to a wildcard address leave from the address the system picks.

func udpSockets() int { return 1 }

func listenUDPGroup(addr string, n int) ([]*net.UDPConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	return []*net.UDPConn{pc.(*net.UDPConn)}, nil
}

const oobSize = 0

func replyOOB(dst, oob []byte) []byte { return nil }
