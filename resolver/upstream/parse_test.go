package upstream

import (
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                     string
		proto, host, port, url string
		ip                     bool
		err                    string
	}{
		{in: "9.9.9.9", proto: "udp", host: "9.9.9.9", port: "53", ip: true},
		{in: "9.9.9.9:5353", proto: "udp", host: "9.9.9.9", port: "5353", ip: true},
		{in: "2620:fe::fe", proto: "udp", host: "2620:fe::fe", port: "53", ip: true},
		{in: "[2620:fe::fe]:53", proto: "udp", host: "2620:fe::fe", port: "53", ip: true},
		{in: "udp://9.9.9.9", proto: "udp", host: "9.9.9.9", port: "53", ip: true},
		{in: "tcp://[2620:fe::fe]:54", proto: "tcp", host: "2620:fe::fe", port: "54", ip: true},
		{in: "tls://dns.quad9.net", proto: "tls", host: "dns.quad9.net", port: "853"},
		{in: "TLS://Dns.Quad9.net:8853", proto: "tls", host: "dns.quad9.net", port: "8853"},
		{in: "tls://9.9.9.9", proto: "tls", host: "9.9.9.9", port: "853", ip: true},
		{in: "https://dns.quad9.net/dns-query", proto: "https", host: "dns.quad9.net", port: "443",
			url: "https://dns.quad9.net:443/dns-query"},
		{in: "https://[2620:fe::fe]:8443/q?x=1", proto: "https", host: "2620:fe::fe", port: "8443", ip: true,
			url: "https://[2620:fe::fe]:8443/q?x=1"},

		{in: "", err: "empty"},
		{in: "dns.quad9.net", err: "not an IP"},
		{in: "dns.quad9.net:53", err: "not an IP address"},
		{in: "9.9.9.9:0", err: "bad port"},
		{in: "9.9.9.9:70000", err: "bad port"},
		{in: "udp://9.9.9.9:abc", err: "port"},
		{in: "tls://9.9.9.9:0", err: "bad port"},
		{in: "quic://dns.quad9.net", err: "unknown scheme"},
		{in: "udp://dns.quad9.net", err: "needs an IP address"},
		{in: "tcp://dns.quad9.net:53", err: "needs an IP address"},
		{in: "https://dns.quad9.net", err: "missing DoH path"},
		{in: "https://dns.quad9.net/", err: "missing DoH path"},
		{in: "tls://dns.quad9.net/path", err: "no path"},
		{in: "tls://", err: "missing host"},
		{in: "tls://user@dns.quad9.net", err: "user"},
	}
	for _, tt := range tests {
		a, err := parseAddress(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseAddress(%q) = %+v, %v; want error containing %q", tt.in, a, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseAddress(%q): %v", tt.in, err)
			continue
		}
		if a.proto != tt.proto || a.host != tt.host || a.port != tt.port || a.ip != tt.ip {
			t.Errorf("parseAddress(%q) = %+v", tt.in, a)
		}
		if tt.url != "" && a.url() != tt.url {
			t.Errorf("parseAddress(%q).url() = %q, want %q", tt.in, a.url(), tt.url)
		}
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"9.9.9.9", "[::1]:53", "tls://a.b:1", "https://a/b", "udp://1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAddress(s)
		if err != nil {
			return
		}
		if a.host == "" || a.port == "" || defaultPorts[a.proto] == "" {
			t.Fatalf("parseAddress(%q) = %+v", s, a)
		}
		if (a.proto == protoUDP || a.proto == protoTCP) && !a.ip {
			t.Fatalf("plain %q with host name", s)
		}
	})
}
