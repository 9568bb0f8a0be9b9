package resolver

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// The UDP fast path: the steps of serve (pipeline.go), run by the worker on
// the packet's wire bytes, for the common query: one question of class IN
// whose name needs no escaping, at most an OPT record without options (an
// option may say who the client is: a MAC, a client subnet). It calls the
// same functions as serve, in the same order; only reading the query and
// writing the answer differ. What it cannot answer inline:
//
//   - before any step with a side effect (rate limit, identify, journal):
//     anything else in the packet, ANY, localhost, local names: the slow
//     path (ServeDNS) serves the packet whole;
//   - after deciding: a rewrite, a cache miss, a hit whose CNAME targets
//     must be decided too or that does not fit the client: the query
//     continues on a goroutine from step 6 (serveAllowed), decided once.

// fast answers pkt inline or hands it on decided; it reports false, having
// done nothing, when the slow path must serve it.
func (wk *udpWorker) fast(pkt []byte, from netip.AddrPort, oob []byte) bool {
	s := wk.s
	p := s.pipe.Load()

	// 3. Normalise (first here: the wire is read before any side effect).
	var r request
	qEnd, ok := wk.parse(&r, pkt, p.cfg.UDPSize)
	if !ok {
		return false
	}
	key := appendKey(wk.key[:0], r.name, r.qtype, r.qclass, r.do, r.cd)
	lname := key[:len(key)-5]

	// 4. Answered here: by the slow path.
	if r.qtype == dns.TypeANY || isLocalhost(lname) || p.local.match(lname, r.qtype) {
		return false
	}

	res, handedOn := ResultError, false
	defer func() {
		if v := recover(); v != nil {
			if s.logs.allow(logSubject{kind: "panic"}, s.clock.Now()) {
				s.log.Error().Interface("panic", v).Str("name", r.name).Msg("query handler panicked; answered SERVFAIL")
			}
			wk.send(appendRcode(wk.out[:0], pkt[:qEnd], dns.RcodeServerFailure), from, oob)
			res, handedOn = ResultError, false
		}
		if !handedOn {
			s.obs.Query(ProtoUDP, res)
		}
	}()

	// 1. Who may ask.
	remote := from.Addr().Unmap()
	if !p.allowed(remote) {
		wk.send(appendRcode(wk.out[:0], pkt[:qEnd], dns.RcodeRefused), from, oob)
		res = ResultRefused
		return true
	}

	// 2. Rate limit.
	clock := s.clock.Now()
	if p.limiter != nil && !p.limiter.allow(remote, clock.UnixNano()) {
		wk.send(appendRcode(wk.out[:0], pkt[:qEnd], dns.RcodeRefused), from, oob)
		res = ResultLimited
		return true
	}

	// 5. Identify, then decide.
	var who policy.Who
	var d policy.Decision
	if s.policy != nil {
		name := unsafe.String(&lname[0], len(lname))
		client := clientFromAddr(remote)
		who = s.policy.Identify(&client, clock)
		s.policy.DecideInto(&d, name, who, clock)
		s.policy.LookedUp(who, &d, clock)
		switch d.Action {
		case policy.Block:
			// The words that show the matched entry (the EDE text, the
			// debug log) are written before the worker reads its next
			// packet: a view of the name will do.
			d.Borrow(name)
			s.record(&r, name, &d, clock)
			wk.answerBlocked(&r, pkt[headerLen:qEnd], &d, from, oob)
			res = ResultBlocked
			return true
		case policy.Rewrite:
			if d.LogAllowed {
				s.record(&r, name, &d, clock)
			}
			handedOn = true
			wk.carryOn(p, &r, key, who, &d, clock, from, oob, true)
			return true
		}
		if d.LogAllowed {
			s.record(&r, name, &d, clock)
		}
		r.maxTTL = verdict.TTLUntil(clock, d.Expires())
	}

	// 6. Cache: a hit whose chain needs no decision, from its wire bytes.
	now := clock.UnixNano()
	if p.cache != nil {
		e := p.cache.get(key, now)
		if e != nil && e.servable(now) && (len(e.cnames) == 0 || s.policy == nil || !d.CheckChain) {
			if out, ok := e.appendResponse(wk.out[:0], &r, now); ok {
				s.obs.Cache(true)
				wk.send(out, from, oob)
				s.servedHit(p, &r, key, e, now)
				res = ResultAllowed
				return true
			}
		}
	}

	// 6-8 for the rest, decided: on a goroutine.
	handedOn = true
	wk.carryOn(p, &r, key, who, &d, clock, from, oob, false)
	return true
}

// answerBlocked writes a blocked answer from the worker's buffer (by
// writeMsg when it would not fit the client), then tells the Observer and
// the log, as answerBlocked does for the slow path.
func (wk *udpWorker) answerBlocked(r *request, question []byte, d *policy.Decision, from netip.AddrPort, oob []byte) {
	var ede []byte
	if r.edns {
		wk.ede = appendBlockText(wk.ede[:0], d)
		ede = wk.ede
	}
	out := appendBlocked(wk.out[:0], r, question, d, ede)
	if len(out) <= r.limit {
		wk.send(out, from, oob)
	} else {
		wk.out = out[:0]
		wk.s.answerBlocked(wk.writer(from, oob), r, d) // notes it too
		return
	}
	wk.s.noteBlocked(r, d)
}

// carryOn continues a decided query on a goroutine: from step 6, or with
// the safe-search rewrite. What the worker's buffers hold is copied.
func (wk *udpWorker) carryOn(p *pipeline, r *request, key []byte, who policy.Who, d *policy.Decision, clock time.Time, from netip.AddrPort, oob []byte, rewrite bool) {
	s := wk.s
	w := wk.writer(from, oob)
	rc, dc := *r, *d
	rc.name = strings.Clone(r.name)
	k := append([]byte(nil), key...)
	wk.u.inflight.Add(1)
	s.handoff.run(func() {
		defer wk.u.inflight.Done()
		res := ResultError
		defer func() {
			if v := recover(); v != nil {
				if s.logs.allow(logSubject{kind: "panic"}, s.clock.Now()) {
					s.log.Error().Interface("panic", v).Str("name", rc.name).Msg("query handler panicked; answered SERVFAIL")
				}
				s.writeMsg(w, &rc, rcodeMsg(dns.RcodeServerFailure))
				res = ResultError
			}
			s.obs.Query(ProtoUDP, res)
		}()
		if rewrite {
			res = s.answerRewrite(p, w, &rc, &dc, clock)
		} else {
			res = s.serveAllowed(p, w, &rc, k, who, &dc, clock)
		}
	})
}

// parse reads the question (and an OPT record without options) of a
// screened query (acceptQuery: one question, no answer or authority
// records, at most two additional) into r, the name into the worker's
// buffer. It returns where the question ends, and false for anything the
// fast path leaves to ServeDNS: a name needing escapes or compression, the
// root, a class other than IN, another additional record, EDNS options or
// a version other than 0, bytes after the records.
func (wk *udpWorker) parse(r *request, pkt []byte, maxUDP int) (qEnd int, ok bool) {
	if binary.BigEndian.Uint16(pkt[10:]) > 1 {
		return 0, false
	}
	off, n := headerLen, 0
	for {
		if off >= len(pkt) {
			return 0, false
		}
		l := int(pkt[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(pkt) || n+l+1 > 254 {
			return 0, false
		}
		for _, c := range pkt[off : off+l] {
			if !plainByte(c) {
				return 0, false
			}
			wk.name[n] = c
			n++
		}
		wk.name[n] = '.'
		n++
		off += l
	}
	if n == 0 || off+4 > len(pkt) {
		return 0, false
	}
	r.qtype, r.qclass = binary.BigEndian.Uint16(pkt[off:]), binary.BigEndian.Uint16(pkt[off+2:])
	off += 4
	if r.qclass != dns.ClassINET {
		return 0, false
	}
	qEnd = off
	r.id, r.rd, r.cd = binary.BigEndian.Uint16(pkt), pkt[2]&0x01 != 0, pkt[3]&0x10 != 0
	r.name = unsafe.String(&wk.name[0], n)
	r.maxTTL = math.MaxUint32
	r.limit = dns.MinMsgSize
	r.tcp = false
	r.queue = wk.queue
	if binary.BigEndian.Uint16(pkt[10:]) == 1 {
		// OPT: root name, type 41, class = UDP size, TTL = extended
		// rcode, version, DO and Z; no options.
		if off+optLen != len(pkt) || pkt[off] != 0 || binary.BigEndian.Uint16(pkt[off+1:]) != dns.TypeOPT ||
			pkt[off+6] != 0 || binary.BigEndian.Uint16(pkt[off+9:]) != 0 {
			return 0, false
		}
		r.edns, r.do = true, pkt[off+7]&0x80 != 0
		r.udpSize = uint16(maxUDP)
		r.limit = min(max(int(binary.BigEndian.Uint16(pkt[off+3:])), dns.MinMsgSize), maxUDP)
		off += optLen
	}
	return qEnd, off == len(pkt)
}

// plainByte reports whether c stands for itself in a name's presentation
// form (miekg/dns escapes the others).
func plainByte(c byte) bool {
	if c <= ' ' || c >= 0x7F {
		return false
	}
	switch c {
	case '.', '(', ')', ';', '@', '"', '\\':
		return false
	}
	return true
}
