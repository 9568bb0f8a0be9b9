package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// Bounds on how long a bootstrap answer is cached, whatever its TTL.
const (
	bootstrapMinTTL = time.Minute
	bootstrapMaxTTL = time.Hour
)

// Bootstrap resolves the host names of DoT and DoH upstreams through plain-IP
// DNS servers (UDP, TCP when truncated), caching addresses for their TTL
// (clamped to 1 min .. 1 h). It is safe for concurrent use.
type Bootstrap struct {
	servers []*plain
	timeout time.Duration
	now     func() time.Time

	flight singleflight.Group
	mu     sync.Mutex
	cache  map[string]bootEntry
}

type bootEntry struct {
	addrs   []netip.Addr
	expires time.Time
}

// NewBootstrap parses servers ("IP" or "IP:port"); timeout bounds each query
// to one of them (0 means 2 s).
func NewBootstrap(servers []string, timeout time.Duration) (*Bootstrap, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	b := &Bootstrap{timeout: timeout, now: time.Now, cache: map[string]bootEntry{}}
	var errs []error
	for _, s := range servers {
		ap, err := parseIPPort(s, "53")
		if err != nil {
			errs = append(errs, fmt.Errorf("bootstrap %w", err))
			continue
		}
		a := address{raw: s, proto: protoUDP, host: ap.Addr().String(), port: fmt.Sprint(ap.Port()), ip: true}
		u, err := newPlain(a, zerolog.Nop(), false) // rare queries: a socket each
		if err != nil {
			return nil, err
		}
		b.servers = append(b.servers, u)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(b.servers) == 0 {
		return nil, errors.New("bootstrap: no servers")
	}
	return b, nil
}

// LookupHost returns the addresses of host, IPv4 first. An IP literal is
// returned as is. When a cached entry has expired and re-resolving fails, the
// stale addresses are returned.
func (b *Bootstrap) LookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	name := dns.Fqdn(host)
	b.mu.Lock()
	e, ok := b.cache[name]
	b.mu.Unlock()
	if ok && b.now().Before(e.expires) {
		return e.addrs, nil
	}
	ch := b.flight.DoChan(name, func() (any, error) {
		// Detached from the first caller's cancellation, bounded by timeouts.
		return b.resolve(context.WithoutCancel(ctx), name)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			if ok {
				return e.addrs, nil
			}
			return nil, res.Err
		}
		return res.Val.([]netip.Addr), nil
	case <-ctx.Done():
		if ok {
			return e.addrs, nil
		}
		return nil, ctx.Err()
	}
}

// resolve asks each bootstrap server in turn for A and AAAA and caches the
// answer.
func (b *Bootstrap) resolve(ctx context.Context, name string) ([]netip.Addr, error) {
	var errs []error
	for _, s := range b.servers {
		addrs, ttl, err := b.query(ctx, s, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("bootstrap %s: %w", s, err))
			continue
		}
		ttl = min(max(ttl, bootstrapMinTTL), bootstrapMaxTTL)
		b.mu.Lock()
		b.cache[name] = bootEntry{addrs: addrs, expires: b.now().Add(ttl)}
		b.mu.Unlock()
		return addrs, nil
	}
	return nil, fmt.Errorf("resolve %s: %w", name, errors.Join(errs...))
}

// query asks one server for A and AAAA of name in parallel.
func (b *Bootstrap) query(ctx context.Context, s *plain, name string) ([]netip.Addr, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	types := [2]uint16{dns.TypeA, dns.TypeAAAA}
	var (
		replies [2]*dns.Msg
		errs    [2]error
		wg      sync.WaitGroup
	)
	for i, t := range types {
		wg.Go(func() {
			q := new(dns.Msg)
			q.SetQuestion(name, t)
			q.SetEdns0(1232, false)
			replies[i], errs[i] = s.Exchange(ctx, q)
		})
	}
	wg.Wait()

	var (
		addrs []netip.Addr
		ttl   time.Duration = -1
		fails []error
	)
	for i, r := range replies {
		if errs[i] != nil {
			fails = append(fails, errs[i])
			continue
		}
		if r.Rcode != dns.RcodeSuccess {
			fails = append(fails, fmt.Errorf("%s %s: %s", name, dns.TypeToString[types[i]], dns.RcodeToString[r.Rcode]))
			continue
		}
		for _, rr := range r.Answer {
			var ip net.IP
			switch rr := rr.(type) {
			case *dns.A:
				ip = rr.A
			case *dns.AAAA:
				ip = rr.AAAA
			default:
				continue
			}
			a, ok := netip.AddrFromSlice(ip)
			if !ok {
				continue
			}
			addrs = append(addrs, a.Unmap())
			if d := time.Duration(rr.Header().Ttl) * time.Second; ttl < 0 || d < ttl {
				ttl = d
			}
		}
	}
	if len(addrs) == 0 {
		if len(fails) > 0 {
			return nil, 0, errors.Join(fails...)
		}
		return nil, 0, fmt.Errorf("%s: no addresses", name)
	}
	return addrs, ttl, nil
}

// DialContext dials addr ("host:port"), resolving host through the bootstrap
// servers and trying its addresses in turn.
func (b *Bootstrap) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := b.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	var (
		d    net.Dialer
		errs []error
	)
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial %s: %w", addr, errors.Join(errs...))
}
