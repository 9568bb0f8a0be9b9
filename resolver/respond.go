package resolver

import (
	"math"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/policy/words"
)

// Writing answers. Everything goes through writeEntry (cached wire bytes,
// the fast path) or writeMsg (a message we own, packed into a pooled buffer).

const maxPooledBuf = 64 << 10

func (s *Server) getBuf() *[]byte { return s.bufs.Get().(*[]byte) }

func (s *Server) putBuf(bp *[]byte, b []byte) {
	if cap(b) <= maxPooledBuf {
		*bp = b[:0]
		s.bufs.Put(bp)
	}
}

// writeEntry answers from a cache entry, falling back to unpacking it when
// the stored bytes cannot be sent as they are (too large for the client).
func (s *Server) writeEntry(w dns.ResponseWriter, r *request, e *cacheEntry, now int64) {
	bp := s.getBuf()
	out, ok := e.appendResponse(*bp, r, now)
	if ok {
		_, _ = w.Write(out)
		s.putBuf(bp, out)
		return
	}
	s.putBuf(bp, out)
	m, err := e.msg(now, r.maxTTL)
	if err != nil {
		m = rcodeMsg(dns.RcodeServerFailure)
	}
	s.writeMsg(w, r, m)
}

// writeMsg sends m, which the caller hands over, as the answer to r: client's
// ID and question (0x20 case kept), our OPT (carrying opts) if the client used
// EDNS, truncated to the client's size over UDP.
func (s *Server) writeMsg(w dns.ResponseWriter, r *request, m *dns.Msg, opts ...dns.EDNS0) {
	m.Id = r.id
	m.Response = true
	m.Opcode = dns.OpcodeQuery
	m.RecursionDesired = r.rd
	m.RecursionAvailable = true
	m.CheckingDisabled = r.cd
	m.Question = []dns.Question{{Name: r.name, Qtype: r.qtype, Qclass: r.qclass}}
	m.Extra = withoutOPT(m.Extra)
	if r.edns {
		m.SetEdns0(r.udpSize, r.do)
		if len(opts) > 0 {
			opt := m.IsEdns0()
			opt.Option = append(opt.Option, opts...)
		}
	}
	if !r.tcp {
		m.Truncate(r.limit)
	}
	bp := s.getBuf()
	out, err := m.PackBuffer(*bp)
	if err != nil {
		if s.logs.allow(logSubject{kind: "pack"}, s.clock.Now()) {
			s.log.Error().Err(err).Str("name", r.name).Msg("cannot pack answer")
		}
		s.putBuf(bp, *bp)
		return
	}
	_, _ = w.Write(out)
	s.putBuf(bp, out)
}

// reply answers a query that was not (or could not be) read into a request.
func (s *Server) reply(w dns.ResponseWriter, req *dns.Msg, rcode int) {
	m := new(dns.Msg)
	m.SetRcode(req, rcode)
	m.RecursionAvailable = true
	if rcode == dns.RcodeBadVers {
		m.SetEdns0(upstreamUDPSize, false)
	}
	_ = w.WriteMsg(m)
}

func rcodeMsg(rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.Rcode = rcode
	return m
}

// answerANY gives the minimal answer of RFC 8482 section 4.2: one synthesised
// HINFO record, instead of whatever the upstream holds.
func (s *Server) answerANY(w dns.ResponseWriter, r *request) {
	m := new(dns.Msg)
	m.Answer = []dns.RR{&dns.HINFO{
		Hdr: dns.RR_Header{Name: r.name, Rrtype: dns.TypeHINFO, Class: dns.ClassINET, Ttl: 3600},
		Cpu: "RFC8482",
	}}
	s.writeMsg(w, r, m)
}

// answerLocalhost answers localhost and its subdomains with the loopback
// addresses (RFC 6761 section 6.3).
func (s *Server) answerLocalhost(w dns.ResponseWriter, r *request) {
	m := new(dns.Msg)
	hdr := dns.RR_Header{Name: r.name, Rrtype: r.qtype, Class: dns.ClassINET, Ttl: 3600}
	switch r.qtype {
	case dns.TypeA:
		m.Answer = []dns.RR{&dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)}}
	case dns.TypeAAAA:
		m.Answer = []dns.RR{&dns.AAAA{Hdr: hdr, AAAA: net.IPv6loopback}}
	}
	s.writeMsg(w, r, m)
}

// answerBlocked answers a name the policy blocks, as its group's response
// says, with an Extended DNS Error (RFC 8914, code 15 "Blocked") saying why.
func (s *Server) answerBlocked(w dns.ResponseWriter, r *request, d *policy.Decision) {
	m := new(dns.Msg)
	hdr := dns.RR_Header{Name: r.name, Rrtype: r.qtype, Class: dns.ClassINET, Ttl: d.TTL}
	var v4, v6 netip.Addr
	switch d.Response.Kind {
	case policy.RespondNXDomain:
		m.Rcode = dns.RcodeNameError
	case policy.RespondRefused:
		m.Rcode = dns.RcodeRefused
	case policy.RespondNullIP: // an address nothing answers at; other types get no data
		v4, v6 = netip.IPv4Unspecified(), netip.IPv6Unspecified()
	case policy.RespondAddress: // a local page
		v4, v6 = d.Response.V4, d.Response.V6
	}
	switch {
	case r.qtype == dns.TypeA && v4.IsValid():
		m.Answer = []dns.RR{&dns.A{Hdr: hdr, A: v4.AsSlice()}}
	case r.qtype == dns.TypeAAAA && v6.IsValid():
		m.Answer = []dns.RR{&dns.AAAA{Hdr: hdr, AAAA: v6.AsSlice()}}
	}
	s.writeMsg(w, r, m, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeBlocked, ExtraText: blockText(d)})
	s.noteBlocked(r, d)
}

// noteBlocked tells the Observer of a blocked answer and logs it (debug,
// limited per device).
func (s *Server) noteBlocked(r *request, d *policy.Decision) {
	s.obs.Blocked(d.Category, d.Group, d.Reason.String())
	if e := s.log.Debug(); e.Enabled() && s.logs.allow(deviceSubject(d.Device, d.Client), s.clock.Now()) {
		e.Str("name", r.name).Str("device", d.Device).Str("group", d.Group).Str("rule", d.Rule).
			Str("category", d.Category).Str("service", d.Service).Str("list", d.List).
			Str("entry", d.EntryText()).Str("window", d.Window).Msg("blocked")
	}
}

// answerRebinding answers a public name whose upstream answer pointed into
// the home network: no records, NOERROR, and an Extended DNS Error (code 15,
// "Blocked") saying why (see answercheck.go).
func (s *Server) answerRebinding(w dns.ResponseWriter, r *request) {
	s.writeMsg(w, r, new(dns.Msg), &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeBlocked,
		ExtraText: "hearth: DNS rebinding protection: a public name pointed into the home network (rebinding.allow lets a name through)"})
}

// blockText is the EDE text of a blocked answer:
// "hearth: gaming/roblox (groups.kids.rules[1], allowed weekdays 16:00-19:00)".
func blockText(d *policy.Decision) string {
	return string(appendBlockText(make([]byte, 0, 128), d))
}

// appendBlockText appends blockText's words to dst.
func appendBlockText(dst []byte, d *policy.Decision) []byte {
	f := d.Facts()
	return words.AppendShort(append(dst, "hearth: "...), &f)
}

// answerRewrite answers a name the policy rewrites (safe search): a CNAME to
// the safe endpoint, followed by the endpoint's own records for the type
// asked, resolved and cached like any name.
func (s *Server) answerRewrite(p *pipeline, w dns.ResponseWriter, r *request, d *policy.Decision, clock time.Time) Result {
	target := dns.Fqdn(d.Target)
	tr := *r
	tr.name = target
	var keyBuf [maxKeyLen]byte
	key := appendKey(keyBuf[:0], target, r.qtype, r.qclass, r.do, r.cd)
	now := clock.UnixNano()
	var got *dns.Msg
	if p.cache != nil {
		e := p.cache.get(key, now)
		hit := e != nil && e.servable(now)
		s.obs.Cache(hit)
		if hit {
			got, _ = e.msg(now, math.MaxUint32)
		}
	}
	if got == nil {
		switch ans := s.resolve(p, &tr, key); {
		case ans.rebind:
			got = new(dns.Msg)
		case ans.entry != nil:
			got, _ = ans.entry.msg(now, math.MaxUint32)
		case ans.msg != nil:
			got = ans.msg.Copy()
		}
	}
	if got == nil {
		s.writeMsg(w, r, rcodeMsg(dns.RcodeServerFailure))
		return ResultError
	}
	m := new(dns.Msg)
	m.Rcode = got.Rcode
	cname := &dns.CNAME{Hdr: dns.RR_Header{Name: r.name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: rewriteTTL}, Target: target}
	m.Answer = append([]dns.RR{cname}, got.Answer...)
	m.Ns = got.Ns
	capTTLs(m, verdict.TTLUntil(clock, d.Expires()))
	s.writeMsg(w, r, m)
	if m.Rcode == dns.RcodeServerFailure || m.Rcode == dns.RcodeRefused {
		return ResultError // the upstreams' own failure, passed on
	}
	return ResultRewritten
}

// rewriteTTL is the TTL of a safe-search CNAME.
const rewriteTTL = 300
