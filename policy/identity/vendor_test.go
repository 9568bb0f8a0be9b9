package identity

import (
	"net"
	"testing"
)

func TestVendor(t *testing.T) {
	t.Parallel()
	if n := VendorCount(); n < 30000 {
		t.Fatalf("the embedded table has %d prefixes; the IEEE MA-L registry has over 30000", n)
	}
	for mac, want := range map[string]string{
		"00:1f:32:12:34:56": "Nintendo",  // 001F32 Nintendo Co., Ltd.
		"98:b6:e9:00:00:01": "Nintendo",  // 98B6E9 Nintendo Co.,Ltd
		"f0:18:98:aa:bb:cc": "Apple",     // F01898 Apple, Inc.
		"00:0d:3a:01:02:03": "Microsoft", // 000D3A Microsoft Corp.
		"00:00:00:00:00:01": "XEROX",     // 000000 XEROX CORPORATION
		"0c:00:00:00:00:00": "",          // not assigned
		"3e:22:fb:12:34:56": "",          // private: no maker
		"00:1f":             "",
	} {
		m, err := net.ParseMAC(mac)
		if err != nil {
			m = net.HardwareAddr{0x00, 0x1f} // the short one
		}
		if got := Vendor(m); got != want {
			t.Errorf("Vendor(%s) = %q, want %q", mac, got, want)
		}
	}
}

func TestVendorAllocs(t *testing.T) {
	mac := net.HardwareAddr{0xf0, 0x18, 0x98, 1, 2, 3}
	Vendor(mac)
	if n := testing.AllocsPerRun(100, func() { Vendor(mac) }); n != 0 {
		t.Errorf("Vendor allocates %v times", n)
	}
}

func TestPrivateMAC(t *testing.T) {
	t.Parallel()
	for mac, want := range map[string]bool{
		"3e:22:fb:12:34:56": true,  // 0x3e: locally administered
		"da:a1:19:00:00:01": true,  // iOS private address
		"3c:22:fb:12:34:56": false, // 0x3c: universally administered
		"01:00:5e:00:00:01": false, // multicast, universal
	} {
		if got := PrivateMAC(net.HardwareAddr(mustMAC(t, mac))); got != want {
			t.Errorf("PrivateMAC(%s) = %v, want %v", mac, got, want)
		}
	}
	if PrivateMAC(nil) {
		t.Error("PrivateMAC(nil) = true")
	}
}

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func BenchmarkVendor(b *testing.B) {
	mac := net.HardwareAddr{0x98, 0xb6, 0xe9, 1, 2, 3}
	b.ReportAllocs()
	for b.Loop() {
		Vendor(mac)
	}
}
