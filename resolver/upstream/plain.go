package upstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// plain is DNS over UDP (falling back to TCP when the reply is truncated) or
// over TCP only, to an IP address. A TCP connection serves one query.
//
// Over UDP the question's letters are sent in random case (0x20, as in
// draft-vixie-dnsext-dns0x20) and the reply must bring the same case back:
// an off-path spoofer has to guess it besides the ID and the port. A reply
// with the right ID but another case ends the attempt, and the query is
// asked again with a new ID, port and case. If that reply too comes back in
// another case (its ID and port right twice, so not a spoof), the server
// does not keep case: it is answered, and 0x20 stays off for that server
// from then on.
type plain struct {
	addr   address
	tcp    bool // TCP only
	dialer net.Dialer
	log    zerolog.Logger
	// noCase is set once the server is found not to keep the question's
	// case: its queries are sent as they are.
	noCase atomic.Bool
}

var _ Upstream = (*plain)(nil)

func newPlain(a address, log zerolog.Logger) *plain {
	return &plain{addr: a, tcp: a.proto == protoTCP, log: log}
}

func (u *plain) String() string { return u.addr.raw }

// Exchange sends q over UDP, and again over TCP if the UDP reply has TC set;
// TCP-only upstreams go straight to TCP. The query advertises its own EDNS
// size; UDP replies up to that size are read.
func (u *plain) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	if !u.tcp {
		r, err := u.exchangeUDP(ctx, q)
		if err != nil || !r.Truncated {
			return r, err
		}
	}
	id := dns.Id()
	wire, err := packWithID(q, id)
	if err != nil {
		return nil, err
	}
	return u.exchange(ctx, "tcp", q, wire, id, false)
}

// exchangeUDP asks q over UDP, its question in random case unless the
// server is known not to keep case. The reply carries q's question.
func (u *plain) exchangeUDP(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	if u.noCase.Load() || len(q.Question) != 1 {
		return u.once(ctx, q, false)
	}
	mixed := *q // a shallow copy: only the question differs
	mixed.Question = []dns.Question{q.Question[0]}
	mixed.Question[0].Name = randomCase(q.Question[0].Name)
	r, err := u.once(ctx, &mixed, true)
	if errors.Is(err, errCase) {
		// A spoof, or a server that does not keep case: ask again.
		mixed.Question[0].Name = randomCase(q.Question[0].Name)
		if r, err = u.once(ctx, &mixed, false); err == nil && r.Question[0].Name != mixed.Question[0].Name {
			u.noCase.Store(true)
			u.log.Info().Str("upstream", u.addr.raw).
				Msg("this upstream does not keep the letter case of questions; 0x20 case randomisation is off for it")
		}
	}
	if err != nil {
		return nil, err
	}
	restoreCase(r, mixed.Question[0].Name, q.Question[0].Name)
	return r, nil
}

// once sends q over UDP with a new ID and reads the reply.
func (u *plain) once(ctx context.Context, q *dns.Msg, exactCase bool) (*dns.Msg, error) {
	id := dns.Id()
	wire, err := packWithID(q, id)
	if err != nil {
		return nil, err
	}
	return u.exchange(ctx, "udp", q, wire, id, exactCase)
}

func (u *plain) exchange(ctx context.Context, network string, q *dns.Msg, wire []byte, id uint16, exactCase bool) (*dns.Msg, error) {
	c, err := u.dialer.DialContext(ctx, network, u.addr.hostPort())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	// The read buffer is allocated per reply: size it to what the query
	// advertises (a larger datagram could not be a proper reply anyway).
	co := &dns.Conn{Conn: c, UDPSize: udpReadSize(q)}
	defer co.Close()
	r, err := exchangeConn(ctx, co, q, wire, id, exactCase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	return r, nil
}

// randomCase returns name with each ASCII letter in upper or lower case at
// random.
func randomCase(name string) string {
	b := []byte(name)
	var bits uint64
	for i, c := range b {
		if i%64 == 0 {
			bits = rand.Uint64()
		}
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			if bits&1 == 1 {
				b[i] = c &^ 0x20
			} else {
				b[i] = c | 0x20
			}
		}
		bits >>= 1
	}
	return string(b)
}

// restoreCase puts name back (for sent, the name in the case it was sent) in
// r's question and as the owner of r's records, so that the random case
// goes no further than the wire.
func restoreCase(r *dns.Msg, sent, name string) {
	if sent == name {
		return
	}
	for i := range r.Question {
		if strings.EqualFold(r.Question[i].Name, name) {
			r.Question[i].Name = name
		}
	}
	for _, sec := range [][]dns.RR{r.Answer, r.Ns, r.Extra} {
		for _, rr := range sec {
			if h := rr.Header(); strings.EqualFold(h.Name, name) {
				h.Name = name
			}
		}
	}
}

// udpReadSize is the largest UDP reply q allows: its EDNS size, or 512.
func udpReadSize(q *dns.Msg) uint16 {
	if opt := q.IsEdns0(); opt != nil {
		return max(opt.UDPSize(), dns.MinMsgSize)
	}
	return dns.MinMsgSize
}
