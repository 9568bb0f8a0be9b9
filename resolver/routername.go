package resolver

import (
	"context"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/policy/identity"
)

// RouterName asks the configured local router (local.router) what it calls
// address a: a PTR lookup of a's reverse name, with the router's own
// timeout. It is for the Devices page, run in the background (see
// policy.Engine's router names), never on the query path. "" with a nil
// error: the router has no name for a.
func (s *Server) RouterName(ctx context.Context, a netip.Addr) (string, error) {
	p := s.pipe.Load()
	if p == nil || p.router == nil {
		return "", identity.ErrNoRouter
	}
	rev, err := dns.ReverseAddr(a.Unmap().String())
	if err != nil {
		return "", err
	}
	q := new(dns.Msg)
	q.SetQuestion(rev, dns.TypePTR)
	q.SetEdns0(upstreamUDPSize, false)
	ctx, cancel := context.WithTimeout(ctx, p.budget)
	defer cancel()
	r, err := p.router.Exchange(ctx, q)
	if err != nil {
		return "", err
	}
	if r.Rcode != dns.RcodeSuccess {
		return "", nil
	}
	for _, rr := range r.Answer {
		if ptr, ok := rr.(*dns.PTR); ok && strings.EqualFold(ptr.Hdr.Name, rev) {
			return strings.TrimSuffix(ptr.Ptr, "."), nil
		}
	}
	return "", nil
}
