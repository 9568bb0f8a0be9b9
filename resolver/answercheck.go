package resolver

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Checks on an upstream's answer before it is cached or passed on.
//
// Chain: only the records of the answer's chain reach the client: those
// owned by the question name, by the targets of the CNAMEs met on the way
// from it, and DNAMEs above them. A record for another name (which an
// upstream, or a spoofer, can add to make a client or a cache believe it) is
// dropped.
//
// Rebinding (on unless rebinding.protect is false): an answer that gives a
// public name an address in a private, loopback, link-local or unspecified
// range is dropped, as dnsmasq's --stop-dns-rebind does, so that a page on
// the internet cannot make the family's browsers reach the router, the
// dashboard or a printer under its own name. Local names never get here
// (they are answered in step 4 and never sent upstream); names listed in
// rebinding.allow, with their subdomains, are let through. The client gets
// an empty NOERROR answer with an Extended DNS Error saying why: not
// REFUSED, which makes a stub try the next resolver (perhaps one without
// this protection), and not NXDOMAIN, which would say the name does not
// exist.

// chainOnly removes from m's answer section the records that do not belong
// to the chain from qname (any case).
func chainOnly(m *dns.Msg, qname string) {
	if len(m.Answer) == 0 {
		return
	}
	chain := []string{strings.ToLower(qname)}
	in := func(name string) bool {
		for _, c := range chain {
			if strings.EqualFold(c, name) {
				return true
			}
		}
		return false
	}
	// CNAMEs may come in any order: follow them until no new name joins
	// (bounded, so a loop of CNAMEs ends).
	for grew := true; grew && len(chain) < 16; {
		grew = false
		for _, rr := range m.Answer {
			if c, ok := rr.(*dns.CNAME); ok && in(c.Hdr.Name) && !in(c.Target) {
				chain = append(chain, strings.ToLower(c.Target))
				grew = true
			}
		}
	}
	out := m.Answer[:0]
	for _, rr := range m.Answer {
		h := rr.Header()
		keep := in(h.Name)
		if !keep && isDNAME(rr) {
			// A DNAME (and its signature) is owned by a parent of the name.
			keep = dns.IsSubDomain(strings.ToLower(h.Name), chain[0])
		}
		if keep {
			out = append(out, rr)
		}
	}
	clear(m.Answer[len(out):])
	m.Answer = out
}

// isDNAME reports whether rr is a DNAME or the signature of one.
func isDNAME(rr dns.RR) bool {
	if sig, ok := rr.(*dns.RRSIG); ok {
		return sig.TypeCovered == dns.TypeDNAME
	}
	return rr.Header().Rrtype == dns.TypeDNAME
}

// rebindGuard holds the rebinding allow list; a nil guard allows anything.
type rebindGuard struct {
	allow map[string]struct{} // lowercase, fully qualified
}

func newRebindGuard(cfg RebindingConfig) *rebindGuard {
	if !cfg.Protect {
		return nil
	}
	g := &rebindGuard{allow: make(map[string]struct{})}
	for _, a := range cfg.Allow {
		g.allow[dns.Fqdn(strings.ToLower(strings.TrimSpace(a)))] = struct{}{}
	}
	return g
}

// allowed reports whether name (any case, fully qualified) or a parent of it
// is in the allow list.
func (g *rebindGuard) allowed(name string) bool {
	name = strings.ToLower(name)
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if _, ok := g.allow[name[off:]]; ok {
			return true
		}
	}
	return false
}

// rebinds reports whether m, the answer for qname, gives an address in the
// home network (or this machine) to a name that is not allowed to.
func (g *rebindGuard) rebinds(m *dns.Msg, qname string) bool {
	if g == nil || g.allowed(qname) {
		return false
	}
	for _, rr := range m.Answer {
		var a netip.Addr
		switch rr := rr.(type) {
		case *dns.A:
			a, _ = netip.AddrFromSlice(rr.A)
		case *dns.AAAA:
			a, _ = netip.AddrFromSlice(rr.AAAA)
		default:
			continue
		}
		if inHomeNetwork(a) && !g.allowed(rr.Header().Name) {
			return true
		}
	}
	return false
}

var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	sharedCGNAT = netip.MustParsePrefix("100.64.0.0/10")
)

// inHomeNetwork reports whether a is private (RFC 1918, ULA), shared
// address space (RFC 6598), loopback, link-local or unspecified (0.0.0.0/8,
// ::), IPv4-mapped forms included.
func inHomeNetwork(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		thisNetwork.Contains(a) || sharedCGNAT.Contains(a)
}
