package resolver

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// homeHandler answers as an upstream that points some public names into the
// home network.
func homeHandler(q *dns.Msg) *dns.Msg {
	r := new(dns.Msg)
	r.SetReply(q)
	qq := q.Question[0]
	a := func(name, ip string) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.ParseIP(ip)}
	}
	cname := func(name, target string) dns.RR {
		return &dns.CNAME{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: target}
	}
	switch strings.ToLower(qq.Name) {
	case "rebind.example.com.", "router.example.net.", "nas.lan.":
		r.Answer = []dns.RR{a(qq.Name, "192.168.1.2")}
	case "loop.example.com.":
		r.Answer = []dns.RR{&dns.AAAA{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 300}, AAAA: net.ParseIP("::ffff:127.0.0.1")}}
	case "via.example.com.": // a public name, then a CNAME into the house
		r.Answer = []dns.RR{cname(qq.Name, "inside.example.org."), a("inside.example.org.", "10.1.2.3")}
	case "chain.example.com.": // out of order, with a record for another name
		r.Answer = []dns.RR{a("b.example.org.", "192.0.2.7"), a("bank.example.", "192.0.2.66"),
			cname("a.example.org.", "b.example.org."), cname(qq.Name, "a.example.org.")}
	default:
		r.Answer = []dns.RR{a(qq.Name, "192.0.2.1")}
	}
	return r
}

func ede(m *dns.Msg) *dns.EDNS0_EDE {
	if opt := m.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				return e
			}
		}
	}
	return nil
}

// TestRebindingDropped: a public name that an upstream points at
// 192.168.1.2 (or ::ffff:127.0.0.1, or through a CNAME at 10.1.2.3) is
// answered with no records, NOERROR and an EDE saying why; names on the
// allow list and local names (to local.router) are not.
func TestRebindingDropped(t *testing.T) {
	up, s, addr, _ := upstreamAndServer(t, func(c *Config) {
		c.Rebinding = RebindingConfig{Protect: true, Allow: []string{"Example.NET"}}
	})
	up.SetHandler(homeHandler)
	s2cfg := p(s).cfg
	s2cfg.Local.Router = up.Addr
	if err := s.Reload(s2cfg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		qtype uint16
	}{{"rebind.example.com.", dns.TypeA}, {"REBIND.example.com.", dns.TypeA}, {"loop.example.com.", dns.TypeAAAA}, {"via.example.com.", dns.TypeA}} {
		r := ask(t, addr, tc.name, tc.qtype, withEDNS(1232, false))
		e := ede(r)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || e == nil || e.InfoCode != dns.ExtendedErrorCodeBlocked || !strings.Contains(e.ExtraText, "rebinding") {
			t.Errorf("%s: got %v; want NOERROR, no records, EDE 15 about rebinding", tc.name, r)
		}
	}
	if n := s.Stats().Rebinding; n != 4 {
		t.Errorf("Stats().Rebinding = %d, want 4", n)
	}
	for _, name := range []string{"router.example.net.", "nas.lan.", "www.example.com."} {
		r := ask(t, addr, name, dns.TypeA)
		if len(r.Answer) != 1 {
			t.Errorf("%s: got %v; want its address passed on (allowed, local or public)", name, r)
		}
	}

	// With protection off, the private address is passed on.
	cfg := p(s).cfg
	cfg.Rebinding.Protect = false
	if err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if r := ask(t, addr, "rebind.example.com.", dns.TypeA); len(r.Answer) != 1 || firstA(t, r).A.String() != "192.168.1.2" {
		t.Errorf("with rebinding.protect false: %v; want 192.168.1.2", r)
	}
}

// TestAnswerKeepsOnlyItsChain: records for names outside the CNAME chain
// from the question are dropped, from the first answer and the cached one.
func TestAnswerKeepsOnlyItsChain(t *testing.T) {
	up, _, addr, _ := upstreamAndServer(t, nil)
	up.SetHandler(homeHandler)
	for i := range 2 { // from the upstream, then from the cache
		r := ask(t, addr, "Chain.Example.com.", dns.TypeA)
		var names []string
		for _, rr := range r.Answer {
			names = append(names, strings.ToLower(rr.Header().Name))
			if strings.Contains(rr.Header().Name, "bank") {
				t.Errorf("answer %d passes on a record for another name: %v", i, rr)
			}
		}
		if len(r.Answer) != 3 {
			t.Errorf("answer %d has records for %v; want the two CNAMEs and b.example.org's A", i, names)
		}
	}
	if up.Queries() != 1 {
		t.Errorf("upstream asked %d times, want 1 (the cut answer is cached)", up.Queries())
	}
}

func TestChainOnlyDNAME(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("www.old.example.", dns.TypeA)
	rr := func(s string) dns.RR { r, _ := dns.NewRR(s); return r }
	m.Answer = []dns.RR{
		rr("old.example. 300 IN DNAME new.example."),
		rr("www.old.example. 300 IN CNAME www.new.example."),
		rr("www.new.example. 300 IN A 192.0.2.9"),
		rr("other.example. 300 IN DNAME elsewhere.example."),
	}
	chainOnly(m, "WWW.old.example.")
	if len(m.Answer) != 3 || m.Answer[0].Header().Rrtype != dns.TypeDNAME {
		t.Errorf("kept %v; want the DNAME above the name, the CNAME and the A", m.Answer)
	}
}

// TestInHomeNetwork lists what counts as the home network for rebinding.
func TestInHomeNetwork(t *testing.T) {
	for ip, want := range map[string]bool{
		"192.168.1.2": true, "10.0.0.1": true, "172.16.5.4": true, "127.0.0.1": true, "169.254.1.1": true,
		"0.0.0.0": true, "100.64.0.1": true, "::1": true, "fe80::1": true, "fd00::1": true, "::": true,
		"::ffff:192.168.0.1": true,
		"192.0.2.1":          false, "8.8.8.8": false, "172.32.0.1": false, "2001:db8::1": false,
	} {
		if got := inHomeNetwork(netip.MustParseAddr(ip)); got != want {
			t.Errorf("inHomeNetwork(%s) = %v, want %v", ip, got, want)
		}
	}
}
