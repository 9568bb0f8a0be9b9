package resolver

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

func TestRefusesClientsOutsideAllowList(t *testing.T) {
	t.Parallel()
	// Tests may only use loopback, so the "outside" client is 127.0.0.1
	// against an allow list that leaves loopback out.
	up, _, addr, _ := upstreamAndServer(t, func(c *Config) { c.AllowClients = []string{"192.168.0.0/16", "fd00::/8"} })
	for _, o := range [][]qopt{nil, {overTCP()}} {
		r := ask(t, addr, "example.com.", dns.TypeA, o...)
		if r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
			t.Errorf("got %s with %d answers, want REFUSED", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	if up.Queries() != 0 {
		t.Errorf("a refused query reached the upstream")
	}
}

func TestDefaultAllowListIsPrivateOnly(t *testing.T) {
	t.Parallel()
	p := &pipeline{}
	for _, c := range []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10"} {
		pre, err := parseClientPrefix(c)
		if err != nil {
			t.Fatal(err)
		}
		p.allow = append(p.allow, pre)
	}
	for ip, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.31.255.1": true, "192.168.1.20": true, "169.254.3.3": true,
		"fd12::1": true, "fe80::1": true, "::1": true, "::ffff:192.168.1.2": true,
		"8.8.8.8": false, "172.32.0.1": false, "100.64.0.1": false, "2001:db8::1": false, "::ffff:8.8.8.8": false,
	} {
		if got := p.allowed(mustRemote(t, &net.UDPAddr{IP: net.ParseIP(ip)})); got != want {
			t.Errorf("allowed(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestEDNSNegotiation(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)

	r := ask(t, addr, "example.com.", dns.TypeA)
	if r.IsEdns0() != nil {
		t.Errorf("answer to a query without EDNS carries OPT")
	}
	r = ask(t, addr, "example.com.", dns.TypeA, withEDNS(4096, true))
	opt := r.IsEdns0()
	if opt == nil || opt.UDPSize() != 1232 || !opt.Do() {
		t.Errorf("OPT %v, want size 1232 (our udp_size) with DO echoed", opt)
	}
	if q := up.LastQuery(); q.IsEdns0() == nil || !q.IsEdns0().Do() {
		t.Errorf("upstream query %v, want EDNS with DO=1", q)
	}
	// Unknown EDNS version: BADVERS (RFC 6891 section 6.1.3).
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().SetVersion(1)
	r, _, err := (&dns.Client{}).Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != dns.RcodeBadVers || r.IsEdns0() == nil {
		t.Errorf("EDNS version 1: rcode %s, want BADVERS with OPT", dns.RcodeToString[r.Rcode])
	}
}

func TestClientOptionsAreNotForwarded(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	m := new(dns.Msg)
	m.SetQuestion("private.example.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP("192.168.1.0").To4()})
	if _, _, err := (&dns.Client{}).Exchange(m, addr); err != nil {
		t.Fatal(err)
	}
	if opts := up.LastQuery().IsEdns0().Option; len(opts) != 0 {
		t.Errorf("upstream got the client's EDNS options %v; the home network's subnet must not leave the house", opts)
	}
}

func TestTruncationToClientSize(t *testing.T) {
	t.Parallel()
	_, _, addr, _ := upstreamAndServer(t, nil)
	// The upstream answer (~3 kB) reaches Hearth whole over TCP.
	full := ask(t, addr, "big.test.", dns.TypeTXT, overTCP())
	if full.Truncated || len(full.Answer) != 30 {
		t.Fatalf("over TCP: TC=%v with %d answers, want the full 30", full.Truncated, len(full.Answer))
	}
	for _, tc := range []struct {
		opts  []qopt
		limit int
	}{{nil, 512}, {[]qopt{withEDNS(1232, false)}, 1232}, {[]qopt{withEDNS(600, false)}, 600}} {
		m := new(dns.Msg)
		m.SetQuestion("big.test.", dns.TypeTXT)
		for _, o := range tc.opts {
			o(m, &dns.Client{})
		}
		pkt, _ := m.Pack()
		raw := askRaw(t, addr, pkt, time.Second)
		r := unpack(t, raw)
		if r == nil || !r.Truncated {
			t.Errorf("limit %d: TC not set in %v", tc.limit, r)
		}
		if len(raw) > tc.limit {
			t.Errorf("limit %d: answer of %d bytes", tc.limit, len(raw))
		}
	}
	// Served from the cache, a small answer still fits and is not truncated.
	if r := ask(t, addr, "example.com.", dns.TypeA); r.Truncated {
		t.Errorf("small answer truncated")
	}
}

func TestUpstreamTruncationRetriedOverTCP(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	up.SetMode(dnstest.TruncateUDP)
	r := ask(t, addr, "example.com.", dns.TypeA, withEDNS(1232, false))
	if r.Truncated || len(r.Answer) != 1 {
		t.Errorf("got TC=%v with %d answers, want the answer fetched over TCP", r.Truncated, len(r.Answer))
	}
}

func TestMalformedAndUnsupportedQueries(t *testing.T) {
	t.Parallel()
	_, _, addr, _ := upstreamAndServer(t, nil)

	two := new(dns.Msg)
	two.SetQuestion("a.example.", dns.TypeA)
	two.Question = append(two.Question, dns.Question{Name: "b.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	pkt, _ := two.Pack()
	if r := unpack(t, askRaw(t, addr, pkt, time.Second)); r == nil || r.Rcode != dns.RcodeFormatError {
		t.Errorf("two questions: got %v, want FORMERR", r)
	}

	// A header announcing a question that is not there.
	bad := make([]byte, 12)
	binary.BigEndian.PutUint16(bad[0:], 4242)
	binary.BigEndian.PutUint16(bad[4:], 1)
	if r := unpack(t, askRaw(t, addr, bad, time.Second)); r == nil || r.Rcode != dns.RcodeFormatError || r.Id != 4242 {
		t.Errorf("truncated question: got %v, want FORMERR with our ID", r)
	}

	// Garbage shorter than a header is dropped (no amplification), and the
	// server goes on answering.
	if raw := askRaw(t, addr, []byte{1, 2, 3}, 300*time.Millisecond); raw != nil {
		t.Errorf("garbage got a reply %x", raw)
	}

	for _, op := range []int{dns.OpcodeStatus, dns.OpcodeNotify, dns.OpcodeUpdate, dns.OpcodeIQuery} {
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeSOA)
		m.Opcode = op
		pkt, _ := m.Pack()
		if r := unpack(t, askRaw(t, addr, pkt, time.Second)); r == nil || r.Rcode != dns.RcodeNotImplemented {
			t.Errorf("opcode %s: got %v, want NOTIMP", dns.OpcodeToString[op], r)
		}
	}

	if r := ask(t, addr, "example.com.", dns.TypeA); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after bad packets: %s", dns.RcodeToString[r.Rcode])
	}
}

func unpack(t testing.TB, raw []byte) *dns.Msg {
	t.Helper()
	if raw == nil {
		return nil
	}
	m := new(dns.Msg)
	if err := m.Unpack(raw); err != nil {
		t.Fatalf("unpack reply: %v", err)
	}
	return m
}

func TestANYGetsMinimalAnswer(t *testing.T) {
	t.Parallel()
	up, _, addr, _ := upstreamAndServer(t, nil)
	r := ask(t, addr, "example.com.", dns.TypeANY)
	if len(r.Answer) != 1 {
		t.Fatalf("ANY: %d answers, want 1", len(r.Answer))
	}
	h, ok := r.Answer[0].(*dns.HINFO)
	if !ok || h.Cpu != "RFC8482" {
		t.Errorf("ANY answer %v, want HINFO \"RFC8482\"", r.Answer[0])
	}
	if up.Queries() != 0 {
		t.Errorf("ANY went upstream")
	}
}

func TestRecordTypesPassThroughUnchanged(t *testing.T) {
	t.Parallel()
	rrs := map[uint16][]string{
		dns.TypeAAAA:  {"t.example. 300 IN AAAA 2001:db8::7"},
		dns.TypeHTTPS: {`t.example. 300 IN HTTPS 1 . alpn="h3,h2" ipv4hint=192.0.2.7`},
		dns.TypeSVCB:  {`_dns.t.example. 300 IN SVCB 1 dns.t.example. alpn="dot" port=853`},
		dns.TypeTXT:   {`t.example. 300 IN TXT "v=spf1 -all" "second"`},
		dns.TypeSRV:   {"_xmpp._tcp.t.example. 300 IN SRV 5 0 5222 chat.t.example."},
		dns.TypePTR:   {"7.2.0.192.in-addr.arpa. 300 IN PTR t.example."},
		dns.TypeMX:    {"t.example. 300 IN MX 10 mail.t.example."},
		dns.TypeCAA:   {`t.example. 300 IN CAA 0 issue "letsencrypt.org"`},
		dns.TypeDS:    {"t.example. 300 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		dns.TypeA: {
			"t.example. 300 IN A 192.0.2.7",
			"t.example. 300 IN RRSIG A 13 2 300 20261231000000 20261101000000 12345 example. c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl",
		},
	}
	up, _, addr, _ := upstreamAndServer(t, nil)
	up.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg)
		r.SetReply(q)
		for _, s := range rrs[q.Question[0].Qtype] {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			r.Answer = append(r.Answer, rr)
		}
		if o := q.IsEdns0(); o != nil {
			r.SetEdns0(1232, o.Do())
		}
		return r
	})
	for qtype, want := range rrs {
		name := want[0][:indexSpace(want[0])]
		for range 2 { // from the upstream, then from the cache
			r := ask(t, addr, name, qtype, withEDNS(1232, true))
			var got []string
			for _, rr := range r.Answer {
				got = append(got, rr.String())
			}
			var exp []string
			for _, s := range want {
				rr, _ := dns.NewRR(s)
				exp = append(exp, rr.String())
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("%s: got %q, want %q", dns.TypeToString[qtype], got, exp)
			}
		}
	}
}

func indexSpace(s string) int {
	for i := range s {
		if s[i] == ' ' {
			return i
		}
	}
	return len(s)
}

func TestDoTAndDoHUpstreams(t *testing.T) {
	t.Parallel()
	ca := dnstest.NewCA(t)
	for name, up := range map[string]*dnstest.Server{"dot": dnstest.NewDoT(t, ca), "doh": dnstest.NewDoH(t, ca)} {
		addr := "tls://" + up.Addr
		if up.URL != "" {
			addr = up.URL
		}
		cfg := testConfig(addr)
		_, srv := startWith(t, cfg, Options{RootCAs: ca.Pool})
		r := ask(t, srv, "secure.example.", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || up.Queries() != 1 {
			t.Errorf("%s: rcode %s, %d answers, upstream saw %d", name, dns.RcodeToString[r.Rcode], len(r.Answer), up.Queries())
		}
	}
}

func TestPublicAllowListIsWarnedAbout(t *testing.T) {
	t.Parallel()
	for prefix, private := range map[string]bool{
		"192.168.1.0/24": true, "10.0.0.0/8": true, "fd00::/8": true, "100.64.0.0/10": true, "127.0.0.1": true,
		"::ffff:192.168.0.0/112": true,
		"0.0.0.0/0":              false, "8.8.8.0/24": false, "::/0": false, "2001:db8::/32": false, "172.0.0.0/8": false,
	} {
		p, err := parseClientPrefix(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if got := isPrivatePrefix(p); got != private {
			t.Errorf("isPrivatePrefix(%s) = %v, want %v", prefix, got, private)
		}
	}
	var logs bytes.Buffer
	cfg := testConfig("udp://127.0.0.1:1")
	cfg.AllowClients = []string{"192.168.0.0/16", "0.0.0.0/0"}
	if _, err := New(cfg, Options{Logger: zerolog.New(&logs)}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "public addresses"); n != 1 {
		t.Errorf("%d warnings about public addresses, want 1 (for 0.0.0.0/0); log:\n%s", n, logs.String())
	}
}

func mustRemote(t *testing.T, a net.Addr) netip.Addr {
	t.Helper()
	addr, ok := remoteAddr(a)
	if !ok {
		t.Fatalf("remoteAddr(%v) failed", a)
	}
	return addr
}
