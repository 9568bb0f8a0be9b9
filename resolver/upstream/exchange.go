package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// defaultTimeout bounds an exchange whose context has no deadline.
const defaultTimeout = 5 * time.Second

var (
	errMismatch = errors.New("reply does not match the query")
	// errCase: a UDP reply with the query's ID and question, but not the
	// question's letter case (0x20): a spoof, or a server that does not
	// keep case.
	errCase = errors.New("reply does not keep the question's letter case")
)

// withDeadline returns ctx, adding defaultTimeout if it has no deadline.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultTimeout)
}

// packWithID packs q with id in place of q.Id on the wire. Pack writes the
// extended rcode into q's OPT record, so q must not be shared with a
// concurrent exchange (Group gives each attempt its own copy).
func packWithID(q *dns.Msg, id uint16) ([]byte, error) {
	wire, err := q.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack query: %w", err)
	}
	wire[0], wire[1] = byte(id>>8), byte(id)
	return wire, nil
}

// matches reports whether r answers q: a response with the same question.
// The ID is checked by the caller, which knows the ID used on the wire.
func matches(q, r *dns.Msg) bool {
	if !r.Response || len(r.Question) != len(q.Question) {
		return false
	}
	for i, qq := range q.Question {
		rq := r.Question[i]
		if rq.Qtype != qq.Qtype || rq.Qclass != qq.Qclass || !strings.EqualFold(rq.Name, qq.Name) {
			return false
		}
	}
	return true
}

// exchangeConn writes wire (carrying ID id) on co and reads the reply. Over
// UDP, packets that do not match are ignored (late replies, spoofing); over a
// stream a mismatch is an error. The connection's deadline follows ctx, and
// cancelling ctx unblocks it. With exactCase, a UDP reply whose question
// differs from q's only in letter case ends the exchange with errCase.
func exchangeConn(ctx context.Context, co *dns.Conn, q *dns.Msg, wire []byte, id uint16, exactCase bool) (*dns.Msg, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = co.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = co.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := co.Write(wire); err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("write: %w", err))
	}
	_, packet := co.Conn.(net.PacketConn)
	for {
		r, err := co.ReadMsg()
		if err != nil {
			if packet && !isNetErr(err) {
				continue // garbage datagram: wait for the real reply
			}
			return nil, ctxErr(ctx, fmt.Errorf("read: %w", err))
		}
		if r.Id == id && matches(q, r) {
			if exactCase && packet && r.Question[0].Name != q.Question[0].Name {
				return nil, errCase
			}
			r.Id = q.Id
			return r, nil
		}
		if !packet {
			return nil, errMismatch
		}
	}
}

// isNetErr reports whether err came from the connection rather than from
// unpacking a message.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed)
}

// ctxErr prefers the context's error, which says why a read was cut short.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}
