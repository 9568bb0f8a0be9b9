package resolver

import (
	"encoding/binary"
	"errors"
)

// Helpers that read and patch DNS messages in wire form, so a cached answer
// can be sent without unpacking and repacking it.

const headerLen = 12

var errShortMsg = errors.New("resolver: truncated message")

// skipName returns the offset just past the (possibly compressed) name at off.
func skipName(msg []byte, off int) (int, error) {
	for {
		if off >= len(msg) {
			return 0, errShortMsg
		}
		c := int(msg[off])
		switch c & 0xC0 {
		case 0x00:
			if c == 0 {
				return off + 1, nil
			}
			off += 1 + c
		case 0xC0:
			if off+2 > len(msg) {
				return 0, errShortMsg
			}
			return off + 2, nil
		default:
			return 0, errors.New("resolver: bad label type")
		}
	}
}

// ttlOffsets returns the offsets of the TTL field of every resource record in
// msg (answer, authority and additional sections), and the offset where the
// question section ends. msg must hold exactly one question.
func ttlOffsets(msg []byte) (offs []uint16, qEnd int, err error) {
	if len(msg) < headerLen {
		return nil, 0, errShortMsg
	}
	if binary.BigEndian.Uint16(msg[4:]) != 1 {
		return nil, 0, errors.New("resolver: want exactly one question")
	}
	off, err := skipName(msg, headerLen)
	if err != nil {
		return nil, 0, err
	}
	off += 4 // type, class
	if off > len(msg) {
		return nil, 0, errShortMsg
	}
	qEnd = off
	n := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:])) + int(binary.BigEndian.Uint16(msg[10:]))
	offs = make([]uint16, 0, n)
	for range n {
		if off, err = skipName(msg, off); err != nil {
			return nil, 0, err
		}
		if off+10 > len(msg) {
			return nil, 0, errShortMsg
		}
		if off > 0xFFFF {
			return nil, 0, errors.New("resolver: message too large to cache")
		}
		offs = append(offs, uint16(off+4))
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		off += 10 + rdlen
		if off > len(msg) {
			return nil, 0, errShortMsg
		}
	}
	return offs, qEnd, nil
}

// patchQname copies the letter case of name (presentation form, as the client
// sent it) onto the uncompressed question name starting at msg[12]. It reports
// false when name holds escapes, whose wire form this simple walk cannot map.
func patchQname(msg []byte, name string) bool {
	off, i := headerLen, 0
	for off < len(msg) {
		l := int(msg[off])
		if l == 0 {
			return true
		}
		if l&0xC0 != 0 || off+1+l > len(msg) {
			return false
		}
		for j := off + 1; j <= off+l; j++ {
			if i >= len(name) || name[i] == '\\' {
				return false
			}
			if c := name[i]; c|0x20 == msg[j]|0x20 {
				msg[j] = c
			}
			i++
		}
		if i < len(name) && name[i] == '.' {
			i++
		}
		off += 1 + l
	}
	return false
}

// appendOPT appends an EDNS0 OPT record advertising udpSize and the DO bit,
// and increments ARCOUNT.
func appendOPT(msg []byte, udpSize uint16, do bool) []byte {
	var flags byte
	if do {
		flags = 0x80
	}
	msg = append(msg, 0, 0, 41, byte(udpSize>>8), byte(udpSize), 0, 0, flags, 0, 0, 0)
	binary.BigEndian.PutUint16(msg[10:], binary.BigEndian.Uint16(msg[10:])+1)
	return msg
}

const optLen = 11
