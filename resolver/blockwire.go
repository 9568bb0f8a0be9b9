package resolver

import (
	"encoding/binary"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/policy"
)

// Answers the UDP fast path writes in wire form, byte for byte what
// writeMsg, reply and dns.Server write for the same query (fastpath_test.go
// compares them).

// appendReject is dns.Server's answer to a query it rejects from the header
// alone (acceptQuery): the header, QR set, AA and Z cleared, the opcode
// QUERY (kept for NOTIMP), no records.
func appendReject(dst, pkt []byte, rcode int) []byte {
	dst = append(dst[:0], pkt[:headerLen]...)
	opcode := pkt[2] & 0x78
	if rcode != dns.RcodeNotImplemented {
		opcode = 0
	}
	dst[2] = 0x80 | opcode | pkt[2]&0x03 // QR, opcode, TC and RD kept
	dst[3] = pkt[3]&0xB0 | byte(rcode)   // RA, AD, CD kept
	clear(dst[4:headerLen])
	return dst
}

// appendRcode is reply's answer (REFUSED, SERVFAIL) to the query whose
// header and question are q: the question echoed, RD and CD kept, RA set.
func appendRcode(dst, q []byte, rcode int) []byte {
	dst = append(dst[:0], q...)
	dst[2] = 0x80 | q[2]&0x01
	dst[3] = 0x80 | q[3]&0x10 | byte(rcode)
	binary.BigEndian.PutUint16(dst[4:], 1)
	clear(dst[6:headerLen])
	return dst
}

// appendBlocked is answerBlocked's answer in wire form: the group's
// response (NXDOMAIN, REFUSED, a null or local address) with the TTL the
// decision gives, and, when the client used EDNS, our OPT with the Extended
// DNS Error "Blocked" and text ede. question is the query's question
// section as received.
func appendBlocked(dst []byte, r *request, question []byte, d *policy.Decision, ede []byte) []byte {
	var rcode byte
	var v4, v6 netip.Addr
	switch d.Response.Kind {
	case policy.RespondNXDomain:
		rcode = dns.RcodeNameError
	case policy.RespondRefused:
		rcode = dns.RcodeRefused
	case policy.RespondNullIP:
		v4, v6 = netip.IPv4Unspecified(), netip.IPv6Unspecified()
	case policy.RespondAddress:
		v4, v6 = d.Response.V4, d.Response.V6
	}
	dst = append(dst[:0], byte(r.id>>8), byte(r.id), 0x80, 0x80|rcode, 0, 1, 0, 0, 0, 0, 0, 0)
	if r.rd {
		dst[2] |= 0x01
	}
	if r.cd {
		dst[3] |= 0x10
	}
	dst = append(dst, question...)
	name := question[:len(question)-4]
	answer := func(rrtype uint16, ip []byte) {
		dst = append(dst, name...)
		dst = binary.BigEndian.AppendUint16(dst, rrtype)
		dst = binary.BigEndian.AppendUint16(dst, dns.ClassINET)
		dst = binary.BigEndian.AppendUint32(dst, d.TTL)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(ip)))
		dst = append(dst, ip...)
		dst[7] = 1
	}
	switch {
	case r.qtype == dns.TypeA && v4.Is4():
		a := v4.As4()
		answer(dns.TypeA, a[:])
	case r.qtype == dns.TypeAAAA && v6.IsValid():
		a := v6.As16()
		answer(dns.TypeAAAA, a[:])
	}
	if r.edns {
		var flags byte
		if r.do {
			flags = 0x80
		}
		dst = append(dst, 0, 0, 41, byte(r.udpSize>>8), byte(r.udpSize), 0, 0, flags, 0)
		dst = binary.BigEndian.AppendUint16(dst, uint16(4+2+len(ede)))
		dst = binary.BigEndian.AppendUint16(dst, dns.EDNS0EDE)
		dst = binary.BigEndian.AppendUint16(dst, uint16(2+len(ede)))
		dst = binary.BigEndian.AppendUint16(dst, dns.ExtendedErrorCodeBlocked)
		dst = append(dst, ede...)
		dst[11] = 1
	}
	return dst
}
