package resolver

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

func identQuery(opts ...dns.EDNS0) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	if len(opts) > 0 {
		m.SetEdns0(1232, false)
		o := m.IsEdns0()
		o.Option = append(o.Option, opts...)
	}
	return m
}

func identECS(prefix string) *dns.EDNS0_SUBNET {
	p := netip.MustParsePrefix(prefix)
	e := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())}
	if p.Addr().Is6() {
		e.Family = 2
	}
	return e
}

func identLocalOpt(code uint16, data string) *dns.EDNS0_LOCAL {
	return &dns.EDNS0_LOCAL{Code: code, Data: []byte(data)}
}

// wire packs and unpacks m, so options are tested as they arrive.
func identWire(t *testing.T, m *dns.Msg) *dns.Msg {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	out := new(dns.Msg)
	if err := out.Unpack(b); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClientFromQuery(t *testing.T) {
	t.Parallel()
	const router = "192.168.1.1"
	rawMAC := string([]byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01})
	tests := []struct {
		name   string
		remote string
		req    *dns.Msg
		addr   string
		mac    string
		ecs    string
	}{
		{"none", "192.168.1.20", identQuery(), "192.168.1.20", "", "invalid Prefix"},
		{"opt without options", "192.168.1.20", identQuery(&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}), "192.168.1.20", "", "invalid Prefix"},
		{"mapped remote", "::ffff:192.168.1.20", identQuery(), "192.168.1.20", "", "invalid Prefix"},
		{"raw MAC (--add-mac)", router, identQuery(identLocalOpt(EDNSMACOption, rawMAC)), router, "aa:bb:cc:dd:ee:01", "invalid Prefix"},
		{"text MAC (--add-mac=text)", router, identQuery(identLocalOpt(EDNSDeviceIDOption, "aa:bb:cc:dd:ee:01")), router, "aa:bb:cc:dd:ee:01", "invalid Prefix"},
		{"text MAC under 65001", router, identQuery(identLocalOpt(EDNSMACOption, "AA:BB:CC:DD:EE:01")), router, "aa:bb:cc:dd:ee:01", "invalid Prefix"},
		{"base64 MAC (--add-mac=base64)", router, identQuery(identLocalOpt(EDNSDeviceIDOption, "qrvM3e4B")), router, "aa:bb:cc:dd:ee:01", "invalid Prefix"},
		{"other vendor device id", router, identQuery(identLocalOpt(EDNSDeviceIDOption, "some-opaque-id")), router, "", "invalid Prefix"},
		{"raw MAC wrong length", router, identQuery(identLocalOpt(EDNSMACOption, "\xaa\xbb\xcc")), router, "", "invalid Prefix"},
		{"zero MAC", router, identQuery(identLocalOpt(EDNSMACOption, "\x00\x00\x00\x00\x00\x00")), router, "", "invalid Prefix"},
		{"other local option", router, identQuery(identLocalOpt(65002, rawMAC)), router, "", "invalid Prefix"},
		{"ECS /32", router, identQuery(identECS("192.168.1.20/32")), "192.168.1.20", "", "192.168.1.20/32"},
		{"ECS /128", "2001:db8::1", identQuery(identECS("2001:db8:1::1c2d/128")), "2001:db8:1::1c2d", "", "2001:db8:1::1c2d/128"},
		{"ECS /24 kept as ECS only", router, identQuery(identECS("203.0.113.0/24")), router, "", "203.0.113.0/24"},
		{"ECS /24 unmasked", router, identQuery(identECS("203.0.113.77/24")), router, "", "203.0.113.0/24"},
		{"ECS /56", router, identQuery(identECS("2001:db8:1:ff00::/56")), router, "", "2001:db8:1:ff00::/56"},
		{"ECS /0 ignored", router, identQuery(&dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, Address: net.IPv4zero}), router, "", "invalid Prefix"},
		{"ECS /32 and MAC", router, identQuery(identECS("192.168.1.20/32"), identLocalOpt(EDNSMACOption, rawMAC)), "192.168.1.20", "aa:bb:cc:dd:ee:01", "192.168.1.20/32"},
		{"first MAC wins", router, identQuery(identLocalOpt(EDNSMACOption, rawMAC), identLocalOpt(EDNSDeviceIDOption, "11:22:33:44:55:66")), router, "aa:bb:cc:dd:ee:01", "invalid Prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote := netip.MustParseAddr(tt.remote)
			for _, req := range []*dns.Msg{tt.req, identWire(t, tt.req)} {
				c := ClientFromQuery(remote, req)
				if c.Addr.String() != tt.addr || c.MAC.String() != tt.mac || c.ECS.String() != tt.ecs {
					t.Errorf("got {%v %v %v}, want {%s %s %s}", c.Addr, c.MAC, c.ECS, tt.addr, tt.mac, tt.ecs)
				}
				if c.Remote != remote.Unmap() {
					t.Errorf("Remote = %v, want %v", c.Remote, remote.Unmap())
				}
				if d := c.Direct(); d.Addr != c.Remote || d.MAC != nil || d.ECS.IsValid() || d.Forwarded() {
					t.Errorf("Direct() = %+v", d)
				}
				if want := tt.addr != remote.Unmap().String() || tt.mac != ""; c.Forwarded() != want {
					t.Errorf("Forwarded() = %v, want %v", c.Forwarded(), want)
				}
			}
		})
	}
}

func TestClientFromQueryDoesNotAliasOption(t *testing.T) {
	t.Parallel()
	data := []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01}
	req := identQuery(&dns.EDNS0_LOCAL{Code: EDNSMACOption, Data: data})
	c := ClientFromQuery(netip.MustParseAddr("192.168.1.1"), req)
	data[0] = 0
	if c.MAC[0] != 0xaa {
		t.Error("MAC shares the option's bytes")
	}
}

func TestClientFromQueryAllocs(t *testing.T) {
	remote := netip.MustParseAddr("192.168.1.20")
	for name, req := range map[string]*dns.Msg{
		"no OPT":  identQuery(),
		"ECS /32": identWire(t, identQuery(identECS("192.168.1.20/32"))),
	} {
		if n := testing.AllocsPerRun(100, func() { ClientFromQuery(remote, req) }); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}

func BenchmarkClientFromQuery(b *testing.B) {
	remote := netip.MustParseAddr("192.168.1.20")
	for _, bc := range []struct {
		name string
		req  *dns.Msg
	}{
		{"plain", identQuery()},
		{"ecs", identQuery(identECS("192.168.1.20/32"))},
		{"mac", identQuery(identLocalOpt(EDNSMACOption, "\xaa\xbb\xcc\xdd\xee\x01"))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ClientFromQuery(remote, bc.req)
			}
		})
	}
}

func FuzzClientFromQuery(f *testing.F) {
	for _, m := range []*dns.Msg{
		identQuery(),
		identQuery(identECS("192.168.1.20/32"), identLocalOpt(EDNSMACOption, "\xaa\xbb\xcc\xdd\xee\x01")),
		identQuery(identLocalOpt(EDNSDeviceIDOption, "qrvM3e4B")),
	} {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	remote := netip.MustParseAddr("192.168.1.1")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		req := new(dns.Msg)
		if req.Unpack(pkt) != nil {
			return
		}
		c := ClientFromQuery(remote, req)
		if !c.Addr.IsValid() || c.Addr.Zone() != "" && c.Addr != remote {
			t.Fatalf("bad client %+v", c)
		}
		if c.ECS.IsValid() && c.ECS != c.ECS.Masked() {
			t.Fatalf("ECS not masked: %v", c.ECS)
		}
	})
}
