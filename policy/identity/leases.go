package identity

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Lease is one DHCP lease from a dnsmasq lease file.
type Lease struct {
	Expiry time.Time        // zero: the lease never expires (dnsmasq writes 0)
	MAC    net.HardwareAddr // nil when the lease names no hardware address
	Addr   netip.Addr
	Name   string // host name the client sent; "" when dnsmasq wrote "*"
}

// ParseLeases parses a dnsmasq lease file (dhcp-leasefile, often
// /var/lib/misc/dnsmasq.leases or /tmp/dhcp.leases on OpenWrt):
//
//	1735689600 aa:bb:cc:dd:ee:ff 192.168.1.20 kids-tablet 01:aa:bb:cc:dd:ee:ff
//	duid 00:01:00:01:2c:5e:9f:10:00:11:22:33:44:55
//	1735696800 1234567 2001:db8:1::1a kids-phone 00:01:00:01:2b:3c:4d:5e:aa:bb:cc:dd:ee:ff
//
// IPv4 lines carry the expiry (Unix seconds), the hardware address (with a
// "NN-" hardware-type prefix when it is not Ethernet), the address, the name
// and the client id. After the "duid" line (the server's DUID) come DHCPv6
// lines, whose second field is the IAID ("T" prefix for temporary addresses)
// and whose last is the client's DUID. A DHCPv6 lease has no hardware address
// of its own: MAC is taken from a DUID-LL or DUID-LLT with an Ethernet
// link-layer address. That is the address the client had when it made its
// DUID, usually but not always its current one.
//
// Malformed lines are skipped and counted in a *MalformedLinesError returned
// alongside the complete list; other errors are read errors.
func ParseLeases(r io.Reader) ([]Lease, error) {
	var out []Lease
	skips := lineSkips{source: "dnsmasq leases"}
	v6 := false
	err := eachLine(r, &skips, func(n int, line []byte) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			return
		}
		if f[0] == "duid" {
			v6 = true
			return
		}
		l, why := parseLeaseFields(f, v6)
		if why != "" {
			skips.add(n, why)
			return
		}
		out = append(out, l)
	})
	if err != nil {
		return nil, fmt.Errorf("policy: reading leases: %w", err)
	}
	return out, skips.result()
}

// parseLeaseFields returns the lease on one line, or why the line is malformed.
func parseLeaseFields(f []string, v6 bool) (Lease, string) {
	if len(f) < 4 {
		return Lease{}, "want at least 4 fields"
	}
	var l Lease
	secs, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || secs < 0 {
		return Lease{}, "bad expiry"
	}
	if secs != 0 {
		l.Expiry = time.Unix(secs, 0).UTC()
	}
	if l.Addr, err = netip.ParseAddr(f[2]); err != nil || l.Addr.Zone() != "" {
		return Lease{}, "bad address"
	}
	if v6 {
		if !l.Addr.Is6() {
			return Lease{}, "IPv4 address in the DHCPv6 section"
		}
		iaid := strings.TrimPrefix(f[1], "T")
		if _, err := strconv.ParseUint(iaid, 10, 32); err != nil {
			return Lease{}, "bad IAID"
		}
		if len(f) >= 5 {
			l.MAC = macFromDUID(f[4])
		}
	} else {
		if !l.Addr.Is4() {
			return Lease{}, "IPv6 address before the duid line"
		}
		hw := f[1]
		if i := strings.IndexByte(hw, '-'); i >= 0 {
			if _, err := strconv.ParseUint(hw[:i], 16, 8); err != nil {
				return Lease{}, "bad hardware type"
			}
			hw = hw[i+1:]
		}
		if hw != "" {
			if l.MAC, err = net.ParseMAC(hw); err != nil {
				return Lease{}, "bad hardware address"
			}
		}
	}
	if f[3] != "*" {
		l.Name = f[3]
	}
	return l, ""
}

// macFromDUID returns the Ethernet address inside a DUID-LLT (type 1) or
// DUID-LL (type 3) written as colon-separated hex, or nil.
func macFromDUID(s string) net.HardwareAddr {
	b, ok := hexColon(s)
	if !ok || len(b) < 4 {
		return nil
	}
	typ, hwType := int(b[0])<<8|int(b[1]), int(b[2])<<8|int(b[3])
	if hwType != 1 { // Ethernet
		return nil
	}
	var ll []byte
	switch typ {
	case 1:
		if len(b) == 14 { // type, hw type, time, 6-byte address
			ll = b[8:]
		}
	case 3:
		if len(b) == 10 {
			ll = b[4:]
		}
	}
	if ll == nil || zeroMAC(ll) {
		return nil
	}
	return net.HardwareAddr(bytes.Clone(ll))
}

// hexColon decodes "00:01:0a" (dnsmasq writes one or two digits per byte).
func hexColon(s string) ([]byte, bool) {
	if s == "" || s == "*" {
		return nil, false
	}
	var out []byte
	for part := range strings.SplitSeq(s, ":") {
		if len(part) == 0 || len(part) > 2 {
			return nil, false
		}
		v, err := strconv.ParseUint(part, 16, 8)
		if err != nil {
			return nil, false
		}
		out = append(out, byte(v))
	}
	return out, true
}

// LeaseTable is a lease file as read: host names by MAC and by address.
type LeaseTable struct {
	byMAC  map[string]string
	byAddr map[netip.Addr]string
}

// Name returns the host name leased to mac or, failing that, to a; "" if
// none (or t is nil).
func (t *LeaseTable) Name(mac net.HardwareAddr, a netip.Addr) string {
	if t == nil {
		return ""
	}
	if mac != nil {
		if n, ok := t.byMAC[string(mac)]; ok {
			return n
		}
	}
	return t.byAddr[a]
}

// NewLeaseTable indexes the named leases.
func NewLeaseTable(leases []Lease) *LeaseTable {
	t := &LeaseTable{byMAC: map[string]string{}, byAddr: map[netip.Addr]string{}}
	for _, l := range leases {
		if l.Name == "" {
			continue
		}
		if l.MAC != nil {
			t.byMAC[string(l.MAC)] = l.Name
		}
		t.byAddr[l.Addr] = l.Name
	}
	return t
}
