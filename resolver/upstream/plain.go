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
// size; replies up to 64 KiB are read.
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
	co := &dns.Conn{Conn: c, UDPSize: dns.MaxMsgSize}
	defer co.Close()
	r, err := exchangeConn(ctx, co, q, wire, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	return r, nil
}
