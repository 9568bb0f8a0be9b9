package resolver

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

var localQueries = []struct {
	name  string
	qtype uint16
}{
	{"nas.home.arpa.", dns.TypeA},
	{"printer.local.", dns.TypeAAAA},
	{"tablet.lan.", dns.TypeA},
	{"Laptop.LAN.", dns.TypeA},
	{"printer.", dns.TypeA},
	{"20.1.168.192.in-addr.arpa.", dns.TypePTR},
	{"5.0.16.172.in-addr.arpa.", dns.TypePTR},
	{"1.0.0.10.in-addr.arpa.", dns.TypePTR},
	{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR},
}

func TestLocalNamesNeverGoUpstream(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	for _, q := range localQueries {
		if r := ask(t, addr, q.name, q.qtype); r.Rcode != dns.RcodeNameError {
			t.Errorf("%s: %s, want NXDOMAIN", q.name, dns.RcodeToString[r.Rcode])
		}
	}
	if n := up.Queries(); n != 0 {
		t.Errorf("upstream saw %d local names", n)
	}
	// Public names that only look alike still go out.
	for _, name := range []string{"arpa.", "com.", "5.0.32.172.in-addr.arpa.", "notlocal.example."} {
		ask(t, addr, name, dns.TypeNS)
	}
	if n := up.Queries(); n != 4 {
		t.Errorf("upstream saw %d of 4 public names", n)
	}
}

func TestLocalNamesGoToRouter(t *testing.T) {
	t.Parallel()
	router := dnstest.NewServer(t)
	up, _, addr, _ := upstreamAndServer(t, func(c *Config) { c.Local.Router = router.Addr })
	for _, q := range localQueries {
		r := ask(t, addr, q.name, q.qtype)
		if r.Rcode != dns.RcodeSuccess || r.Question[0].Name != q.name {
			t.Errorf("%s: %s, want the router's answer", q.name, dns.RcodeToString[r.Rcode])
		}
	}
	if n := router.Queries(); n != int64(len(localQueries)) {
		t.Errorf("router saw %d queries, want %d", n, len(localQueries))
	}
	if n := up.Queries(); n != 0 {
		t.Errorf("upstream saw %d local names", n)
	}
}

func TestLocalhost(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	if a := firstA(t, ask(t, addr, "localhost.", dns.TypeA)); a.A.String() != "127.0.0.1" {
		t.Errorf("localhost A %s", a.A)
	}
	r := ask(t, addr, "app.localhost.", dns.TypeAAAA)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.AAAA).AAAA.String() != "::1" {
		t.Errorf("app.localhost AAAA %v", r.Answer)
	}
	if up.Queries() != 0 {
		t.Errorf("localhost went upstream")
	}
}
