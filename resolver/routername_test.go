package resolver

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy/identity"
)

// routerAnswering is a loopback DNS server playing the home router: it
// names 192.168.1.23 "nintendo-switch.lan" and knows no other address.
func routerAnswering(t *testing.T) *dnstest.Server {
	router := dnstest.NewServer(t)
	router.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg)
		r.SetReply(q)
		if q.Question[0].Qtype == dns.TypePTR && strings.EqualFold(q.Question[0].Name, "23.1.168.192.in-addr.arpa.") {
			r.Answer = []dns.RR{&dns.PTR{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "nintendo-switch.lan."}}
		} else {
			r.Rcode = dns.RcodeNameError
		}
		return r
	})
	return router
}

func TestRouterName(t *testing.T) {
	t.Parallel()
	router := routerAnswering(t)
	cfg := testConfig("udp://" + dnstest.NewServer(t).Addr)
	cfg.Local.Router = router.Addr
	s, _ := start(t, cfg, nil)
	ctx := context.Background()
	if n, err := s.RouterName(ctx, netip.MustParseAddr("192.168.1.23")); n != "nintendo-switch.lan" || err != nil {
		t.Errorf("RouterName(192.168.1.23) = %q, %v", n, err)
	}
	if n, err := s.RouterName(ctx, netip.MustParseAddr("192.168.1.24")); n != "" || err != nil {
		t.Errorf("RouterName(192.168.1.24) = %q, %v; want no name", n, err)
	}
	if router.Queries() != 2 {
		t.Errorf("the router saw %d queries, want 2", router.Queries())
	}

	noRouter, _ := start(t, testConfig("udp://"+dnstest.NewServer(t).Addr), nil)
	if _, err := noRouter.RouterName(ctx, netip.MustParseAddr("192.168.1.23")); !errors.Is(err, identity.ErrNoRouter) {
		t.Errorf("without local.router: %v", err)
	}
}
