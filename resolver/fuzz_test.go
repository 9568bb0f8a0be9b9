package resolver

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/miekg/dns"
)

// FuzzWire checks the wire helpers against miekg/dns: for any message it
// can unpack and pack again with one question, ttlOffsets finds every
// record's TTL, and patchQname never writes outside the question name.
func FuzzWire(f *testing.F) {
	for _, seed := range wireSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		m := new(dns.Msg)
		if m.Unpack(wire) != nil || len(m.Question) != 1 {
			return
		}
		// The cache packs every answer itself before it reads TTL offsets,
		// so check what Pack makes of the message.
		m.Compress = true
		wire, err := m.Pack()
		if err != nil {
			return
		}
		offs, qEnd, err := ttlOffsets(wire)
		if err != nil {
			t.Fatalf("ttlOffsets failed on a message miekg/dns unpacks: %v", err)
		}
		var rrs []dns.RR
		rrs = append(append(append(rrs, m.Answer...), m.Ns...), m.Extra...)
		if len(offs) != len(rrs) {
			t.Fatalf("%d TTL offsets for %d records", len(offs), len(rrs))
		}
		for i, rr := range rrs {
			if rr.Header().Rrtype == dns.TypeOPT {
				continue // miekg keeps the OPT TTL as flags
			}
			if got := binary.BigEndian.Uint32(wire[offs[i]:]); got != rr.Header().Ttl {
				t.Fatalf("record %d: TTL at offset %d is %d, want %d", i, offs[i], got, rr.Header().Ttl)
			}
		}
		cp := append([]byte(nil), wire...)
		patchQname(cp, m.Question[0].Name)
		for i := range cp {
			if (i < headerLen || i >= qEnd) && cp[i] != wire[i] {
				t.Fatalf("patchQname changed byte %d outside the question name", i)
			}
		}
	})
}

// FuzzServeDNS sends arbitrary (unpackable) queries through the whole
// handler: nothing may panic, and every query gets exactly one reply with
// its ID.
func FuzzServeDNS(f *testing.F) {
	for _, seed := range wireSeeds() {
		f.Add(seed)
	}
	cfg := testConfig("udp://127.0.0.1:1") // nothing listens: misses fail fast
	cfg.Upstreams.Timeout = 50 * time.Millisecond
	s, err := New(cfg, Options{})
	if err != nil {
		f.Fatal(err)
	}
	// Something in the cache, as a hit path to reach.
	resp := new(dns.Msg)
	resp.SetQuestion("www.example.com.", dns.TypeA)
	resp.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, 1)}}
	p := s.pipe.Load()
	now := s.clock.Now().UnixNano()
	p.cache.put(appendKey(nil, "www.example.com.", dns.TypeA, dns.ClassINET, false, false), p.cache.newEntry(resp, now), now)

	f.Fuzz(func(t *testing.T, wire []byte) {
		req := new(dns.Msg)
		if req.Unpack(wire) != nil {
			return
		}
		h := dns.Header{Id: req.Id, Qdcount: uint16(len(req.Question)), Ancount: uint16(len(req.Answer)),
			Nscount: uint16(len(req.Ns)), Arcount: uint16(len(req.Extra))}
		if req.Response {
			h.Bits |= 1 << 15
		}
		h.Bits |= uint16(req.Opcode&0xF) << 11
		if acceptQuery(h) != dns.MsgAccept {
			return // miekg/dns answers these itself
		}
		w := dnstest.NewDiscardWriter(net.IPv4(127, 0, 0, 1))
		s.ServeDNS(w, req)
		r := new(dns.Msg)
		if err := r.Unpack(w.Last); err != nil {
			t.Fatalf("reply does not unpack: %v", err)
		}
		if r.Id != req.Id || !r.Response {
			t.Fatalf("reply ID %d response %v, want ID %d", r.Id, r.Response, req.Id)
		}
	})
}

func wireSeeds() [][]byte {
	var seeds [][]byte
	add := func(m *dns.Msg) {
		b, err := m.Pack()
		if err == nil {
			seeds = append(seeds, b)
		}
	}
	q := new(dns.Msg).SetQuestion("WWW.Example.com.", dns.TypeA)
	add(q)
	q = new(dns.Msg).SetQuestion("www.example.com.", dns.TypeAAAA)
	q.SetEdns0(4096, true)
	add(q)
	add(new(dns.Msg).SetQuestion("x.home.arpa.", dns.TypeA))
	add(new(dns.Msg).SetQuestion("example.com.", dns.TypeANY))
	r := new(dns.Msg).SetQuestion("www.example.com.", dns.TypeA)
	r.Response = true
	r.Answer = []dns.RR{
		&dns.CNAME{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: "example.com."},
		&dns.A{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.IPv4(192, 0, 2, 1)},
	}
	r.Ns = []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 3600}, Ns: "ns.example.com."}}
	r.Compress = true
	add(r)
	return seeds
}
