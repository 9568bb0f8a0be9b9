package resolver

import (
	"encoding/base64"
	"net"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/policy/identity"
)

// EDNS0 options a router may add to say which device asked. dnsmasq sends
// one of the two MAC options:
//
//   - --add-mac: code 65001 (EDNSMACOption), the raw hardware address
//     (6 bytes for Ethernet).
//   - --add-mac=base64 and --add-mac=text: code 65073 (EDNSDeviceIDOption,
//     the Nominum device id), holding the Ethernet address either as 8
//     characters of standard base64 without padding or as "aa:bb:cc:dd:ee:ff".
//
// Both are accepted; the text form is accepted under 65001 too. Anything else
// in these options (other vendors' device ids) is ignored.
const (
	EDNSMACOption      uint16 = 65001
	EDNSDeviceIDOption uint16 = 65073
)

// ClientFromQuery reads the client's identity from a query received from
// remote: the MAC options above and EDNS Client Subnet. It does not allocate
// for a query without an OPT record, nor for ECS; decoding a MAC option
// allocates the returned slice.
func ClientFromQuery(remote netip.Addr, req *dns.Msg) identity.ClientInfo {
	c := clientFromAddr(remote)
	opt := req.IsEdns0()
	if opt == nil {
		return c
	}
	for _, o := range opt.Option {
		switch o := o.(type) {
		case *dns.EDNS0_SUBNET:
			p, ok := ecsPrefix(o)
			if !ok {
				continue
			}
			c.ECS = p
			if p.IsSingleIP() {
				c.Addr = p.Addr()
			}
		case *dns.EDNS0_LOCAL:
			if c.MAC != nil {
				continue // first MAC option wins
			}
			c.MAC = macFromOption(o.Code, o.Data)
		}
	}
	return c
}

// clientFromAddr is what a query without EDNS options says of its client:
// its source address (the UDP fast path reads only such queries).
func clientFromAddr(remote netip.Addr) identity.ClientInfo {
	remote = remote.Unmap()
	return identity.ClientInfo{Addr: remote, Remote: remote}
}

// ecsPrefix returns the source prefix of an ECS option. A /0 prefix (a client
// asking that no subnet be used) and inconsistent options are ignored.
func ecsPrefix(o *dns.EDNS0_SUBNET) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(o.Address)
	if !ok || o.SourceNetmask == 0 {
		return netip.Prefix{}, false
	}
	switch o.Family {
	case 1:
		if !a.Unmap().Is4() {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
	case 2:
		a = netip.AddrFrom16(a.As16())
	default:
		return netip.Prefix{}, false
	}
	p, err := a.Prefix(int(o.SourceNetmask))
	if err != nil {
		return netip.Prefix{}, false
	}
	if p.IsSingleIP() {
		// A /128 holding an IPv4-mapped address names an IPv4 client.
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Addr().Unmap().BitLen())
	}
	return p, true
}

// macFromOption decodes a MAC or device-id option, or returns nil.
func macFromOption(code uint16, data []byte) net.HardwareAddr {
	switch {
	case code != EDNSMACOption && code != EDNSDeviceIDOption:
		return nil
	case len(data) == 17: // "aa:bb:cc:dd:ee:ff"
		m, err := net.ParseMAC(string(data))
		if err != nil || zeroMAC(m) {
			return nil
		}
		return m
	case code == EDNSDeviceIDOption && len(data) == 8: // base64, no padding
		var m [6]byte
		if n, err := base64.RawStdEncoding.Decode(m[:], data); err != nil || n != 6 || zeroMAC(m[:]) {
			return nil
		}
		return net.HardwareAddr(append([]byte(nil), m[:]...))
	case code == EDNSMACOption && (len(data) == 6 || len(data) == 8 || len(data) == 20):
		if zeroMAC(data) {
			return nil
		}
		return net.HardwareAddr(append([]byte(nil), data...))
	}
	return nil
}

// zeroMAC reports whether m is all zeros (a router's placeholder, not a
// device).
func zeroMAC(m []byte) bool {
	for _, b := range m {
		if b != 0 {
			return false
		}
	}
	return true
}
