package upstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// plain is DNS over UDP (falling back to TCP when the reply is truncated) or
// over TCP only, to an IP address. A TCP connection serves one query. UDP
// queries share a pool of connected sockets (see udpPool), each with its own
// random source port, replaced after some queries or on any error.
//
// Over UDP the question's letters are sent in random case (0x20, as in
// draft-vixie-dnsext-dns0x20) and the reply must bring the same case back:
// an off-path spoofer has to guess it besides the ID and the port. A reply
// with the right ID but another case ends the attempt (and retires its
// socket), and the query is asked again with a new ID, port and case. If
// that reply too comes back in another case (its ID and port right twice, so
// not a spoof), the server does not keep case: it is answered, and 0x20
// stays off for that server from then on.
type plain struct {
	addr   address
	tcp    bool     // TCP only
	pool   *udpPool // nil: a socket per UDP query (bootstrap servers)
	dialer net.Dialer
	log    zerolog.Logger
	// noCase is set once the server is found not to keep the question's
	// case: its queries are sent as they are.
	noCase atomic.Bool
}

var _ Upstream = (*plain)(nil)

// newPlain returns the upstream for a; pooled gives UDP queries a pool of
// sockets, closed by Close.
func newPlain(a address, log zerolog.Logger, pooled bool) (*plain, error) {
	u := &plain{addr: a, tcp: a.proto == protoTCP, log: log}
	if pooled && !u.tcp {
		p, err := newUDPPool(a.hostPort(), poolSockets, poolMaxUses)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", a.raw, err)
		}
		u.pool = p
	}
	return u, nil
}

func (u *plain) String() string { return u.addr.raw }

// Exchange sends q over UDP, and again over TCP if the UDP reply has TC set;
// TCP-only upstreams go straight to TCP. The query advertises its own EDNS
// size; UDP replies up to that size are read.
func (u *plain) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
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
// server is known not to keep case. The reply carries q's question and ID.
func (u *plain) exchangeUDP(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	if u.pool == nil || len(q.Question) != 1 {
		return u.exchangeUDPOnce(ctx, q)
	}
	mix := !u.noCase.Load()
	r, exact, err := u.pooled(ctx, q, mix, mix)
	if errors.Is(err, errCase) {
		// A spoof, or a server that does not keep case: ask again.
		if r, exact, err = u.pooled(ctx, q, true, false); err == nil && !exact {
			u.caseLost()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("udp: %w", err)
	}
	restoreCase(r, q.Question[0].Name)
	r.Id = q.Id
	return r, nil
}

// packBufs are the buffers queries are packed into.
var packBufs = sync.Pool{New: func() any { b := make([]byte, 512); return &b }}

// pooled packs q (its question in random case with mix) into a pooled
// buffer and exchanges it on the pool.
func (u *plain) pooled(ctx context.Context, q *dns.Msg, mix, exact bool) (*dns.Msg, bool, error) {
	bp := packBufs.Get().(*[]byte)
	defer packBufs.Put(bp)
	wire, err := q.PackBuffer(*bp)
	if err != nil {
		return nil, false, fmt.Errorf("pack query: %w", err)
	}
	if len(wire) > len(*bp) && len(wire) <= 4096 {
		*bp = wire[:cap(wire)] // keep the larger buffer
	}
	end := questionEnd(wire)
	if end < 0 {
		return nil, false, errors.New("pack query: no question")
	}
	if mix {
		randomCaseWire(wire[12 : end-4])
	}
	return u.pool.exchange(ctx, wire, wire[12:end], exact, int(udpReadSize(q)))
}

// questionEnd is the offset just past the first question of the packed
// message b, or -1.
func questionEnd(b []byte) int {
	i := 12
	for i < len(b) && b[i] != 0 {
		if b[i]&0xc0 != 0 {
			return -1
		}
		i += int(b[i]) + 1
	}
	if i += 5; i > len(b) {
		return -1
	}
	return i
}

// caseLost turns 0x20 off for the server.
func (u *plain) caseLost() {
	if !u.noCase.Swap(true) {
		u.log.Info().Str("upstream", u.addr.raw).
			Msg("this upstream does not keep the letter case of questions; 0x20 case randomisation is off for it")
	}
}

// exchangeUDPOnce is exchangeUDP on a socket of its own (a bootstrap
// server, or a query without exactly one question).
func (u *plain) exchangeUDPOnce(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
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
			u.caseLost()
		}
	}
	if err != nil {
		return nil, err
	}
	restoreCase(r, q.Question[0].Name)
	return r, nil
}

// once sends q over UDP on a socket of its own with a new ID and reads the
// reply.
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
	randomCaseWire(b)
	return string(b)
}

// randomCaseWire sets each ASCII letter of b in upper or lower case at
// random: a wire-form name (label lengths, at most 63, are never letters)
// or a presentation-form one.
func randomCaseWire(b []byte) {
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
}

// restoreCase puts name back in r's question and as the owner of r's records
// where they differ from it in case only, so that the random case goes no
// further than the wire.
func restoreCase(r *dns.Msg, name string) {
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
