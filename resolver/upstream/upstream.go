package upstream

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// Upstream exchanges one query with one server.
//
// Exchange returns a reply matching q (same question, q's ID) or an error; an
// SERVFAIL reply is a reply, not an error. It does not keep q, but packing
// writes into q's OPT record, so one *dns.Msg must not be given to concurrent
// exchanges. Without a deadline on ctx an exchange is bounded by 5 s.
type Upstream interface {
	Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error)
	// String is the address as configured, for logs and metrics.
	String() string
}

// Options carries what the YAML file cannot.
type Options struct {
	Logger zerolog.Logger
	// RootCAs, when set, replaces the system roots for DoT/DoH (tests).
	RootCAs *x509.CertPool
	// Observe, when set, is called by a Group after each attempt with one
	// upstream (addr as configured), for metrics: the attempt's duration and
	// whether it failed (error, timeout, SERVFAIL, REFUSED). Attempts
	// abandoned because the caller's context ended are not reported. It is
	// called on the query path and must not block.
	Observe func(addr string, d time.Duration, failed bool)
}

// New returns the Upstream for one address (see Config.Servers for the
// forms). bootstrap resolves DoT/DoH host names; it may be nil when every
// host is an IP address. The result implements Closer.
func New(addr string, opts Options, bootstrap *Bootstrap) (Upstream, error) {
	a, err := parseAddress(addr)
	if err != nil {
		return nil, err
	}
	switch a.proto {
	case protoUDP, protoTCP:
		return newPlain(a, opts.Logger, true)
	case protoTLS:
		return newDoT(a, opts, bootstrap)
	case protoHTTPS:
		return newDoH(a, opts, bootstrap)
	}
	return nil, fmt.Errorf("%q: unknown protocol", addr)
}

// Closer is implemented by upstreams holding idle connections.
type Closer interface {
	// Close releases idle connections. Later exchanges still work.
	Close()
}

// Close ends the UDP queries waiting on the plain upstream's sockets with an
// error and closes the sockets; later queries open new ones.
func (u *plain) Close() {
	if u.pool != nil {
		u.pool.Close()
	}
}

var (
	_ Closer = (*plain)(nil)
	_ Closer = (*dot)(nil)
	_ Closer = (*doh)(nil)
)
