package dnstest

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

// Test data served by DefaultHandler.
var (
	DefaultA    = net.ParseIP("192.0.2.1").To4()
	DefaultAAAA = net.ParseIP("2001:db8::1")
)

const (
	defaultTTL = 300
	soaTTL     = 600
	soaMinTTL  = 60
)

// DefaultHandler answers every name: A 192.0.2.1, AAAA 2001:db8::1 and
// TXT "hello", all with TTL 300. Names under "nx.test." are NXDOMAIN and names
// under "nodata.test." NOERROR with no answer, both with an SOA (TTL 600,
// minimum 60) in the authority section. "big.test." TXT returns about 3000
// bytes of TXT records. The reply echoes the question and, if the query had an
// OPT record, carries one with size 1232 and the query's DO bit.
func DefaultHandler(q *dns.Msg) *dns.Msg {
	r := new(dns.Msg)
	r.SetReply(q)
	r.RecursionAvailable = true
	echoOPT(q, r)
	if len(q.Question) == 0 {
		r.Rcode = dns.RcodeFormatError
		return r
	}
	qq := q.Question[0]
	name := strings.ToLower(qq.Name)
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: qq.Name, Rrtype: t, Class: dns.ClassINET, Ttl: defaultTTL}
	}
	switch {
	case dns.IsSubDomain("nx.test.", name):
		r.Rcode = dns.RcodeNameError
		r.Ns = []dns.RR{soa("nx.test.")}
		return r
	case dns.IsSubDomain("nodata.test.", name):
		r.Ns = []dns.RR{soa("nodata.test.")}
		return r
	}
	switch qq.Qtype {
	case dns.TypeA:
		r.Answer = append(r.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: DefaultA})
	case dns.TypeAAAA:
		r.Answer = append(r.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: DefaultAAAA})
	case dns.TypeTXT:
		if name == "big.test." {
			// 30 records of 100 bytes each: ~3000 bytes of data.
			chunk := strings.Repeat("x", 100)
			for i := 0; i < 30; i++ {
				r.Answer = append(r.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{chunk}})
			}
			break
		}
		r.Answer = append(r.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{"hello"}})
	}
	return r
}

func soa(zone string) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: soaTTL},
		Ns:      "ns." + zone,
		Mbox:    "hostmaster." + zone,
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  soaMinTTL,
	}
}

// echoOPT adds an OPT record (size 1232, the query's DO bit) to r if q had one.
func echoOPT(q, r *dns.Msg) {
	if o := q.IsEdns0(); o != nil {
		r.SetEdns0(1232, o.Do())
	}
}

// rcodeReply is an empty reply with the given rcode.
func rcodeReply(q *dns.Msg, rcode int) *dns.Msg {
	r := new(dns.Msg)
	r.SetRcode(q, rcode)
	r.RecursionAvailable = true
	echoOPT(q, r)
	return r
}
