package upstream

import (
	"context"
	"fmt"
	"net"

	"github.com/miekg/dns"
)

// plain is DNS over UDP (falling back to TCP when the reply is truncated) or
// over TCP only, to an IP address. A TCP connection serves one query.
type plain struct {
	addr   address
	tcp    bool // TCP only
	dialer net.Dialer
}

var _ Upstream = (*plain)(nil)

func newPlain(a address) *plain { return &plain{addr: a, tcp: a.proto == protoTCP} }

func (u *plain) String() string { return u.addr.raw }

// Exchange sends q over UDP, and again over TCP if the UDP reply has TC set;
// TCP-only upstreams go straight to TCP. The query advertises its own EDNS
// size; UDP replies up to that size are read.
func (u *plain) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	id := dns.Id()
	wire, err := packWithID(q, id)
	if err != nil {
		return nil, err
	}
	if !u.tcp {
		r, err := u.exchange(ctx, "udp", q, wire, id)
		if err != nil || !r.Truncated {
			return r, err
		}
	}
	return u.exchange(ctx, "tcp", q, wire, id)
}

func (u *plain) exchange(ctx context.Context, network string, q *dns.Msg, wire []byte, id uint16) (*dns.Msg, error) {
	c, err := u.dialer.DialContext(ctx, network, u.addr.hostPort())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	// The read buffer is allocated per reply: size it to what the query
	// advertises (a larger datagram could not be a proper reply anyway).
	co := &dns.Conn{Conn: c, UDPSize: udpReadSize(q)}
	defer co.Close()
	r, err := exchangeConn(ctx, co, q, wire, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	return r, nil
}

// udpReadSize is the largest UDP reply q allows: its EDNS size, or 512.
func udpReadSize(q *dns.Msg) uint16 {
	if opt := q.IsEdns0(); opt != nil {
		return max(opt.UDPSize(), dns.MinMsgSize)
	}
	return dns.MinMsgSize
}
