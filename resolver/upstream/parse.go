package upstream

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Protocols of an upstream address.
const (
	protoUDP   = "udp"   // plain DNS over UDP, TCP when truncated
	protoTCP   = "tcp"   // plain DNS over TCP
	protoTLS   = "tls"   // DNS-over-TLS, RFC 7858
	protoHTTPS = "https" // DNS-over-HTTPS, RFC 8484
)

var defaultPorts = map[string]string{protoUDP: "53", protoTCP: "53", protoTLS: "853", protoHTTPS: "443"}

// address is a parsed upstream address.
type address struct {
	raw   string // as configured
	proto string // protoUDP, protoTCP, protoTLS or protoHTTPS
	host  string // IP literal or host name, without brackets
	port  string
	path  string // DoH only, with the query string if any
	ip    bool   // host is an IP literal
}

// hostPort is host:port for dialing.
func (a address) hostPort() string { return net.JoinHostPort(a.host, a.port) }

// url is the DoH endpoint.
func (a address) url() string { return "https://" + a.hostPort() + a.path }

// parseAddress parses one of "9.9.9.9", "9.9.9.9:53", "[2620:fe::fe]:53",
// "udp://host[:53]", "tcp://host[:53]", "tls://host[:853]" and
// "https://host[:443]/path". Plain UDP/TCP hosts must be IP literals.
func parseAddress(s string) (address, error) {
	a := address{raw: s}
	if s == "" {
		return a, fmt.Errorf("empty address")
	}
	if !strings.Contains(s, "://") {
		ap, err := parseIPPort(s, "53")
		if err != nil {
			return a, err
		}
		a.proto, a.host, a.port, a.ip = protoUDP, ap.Addr().String(), strconv.Itoa(int(ap.Port())), true
		return a, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return a, fmt.Errorf("%q: %w", s, unwrapURLError(err))
	}
	a.proto = strings.ToLower(u.Scheme)
	def, ok := defaultPorts[a.proto]
	if !ok {
		return a, fmt.Errorf("%q: unknown scheme %q (want udp, tcp, tls or https)", s, u.Scheme)
	}
	if u.User != nil {
		return a, fmt.Errorf("%q: user information is not allowed", s)
	}
	a.host = u.Hostname()
	if a.host == "" {
		return a, fmt.Errorf("%q: missing host", s)
	}
	a.port = u.Port()
	if a.port == "" {
		a.port = def
	} else if n, err := strconv.Atoi(a.port); err != nil || n < 1 || n > 65535 {
		return a, fmt.Errorf("%q: bad port %q", s, a.port)
	}
	if ip, err := netip.ParseAddr(a.host); err == nil {
		a.ip = true
		a.host = ip.String()
	}
	switch a.proto {
	case protoUDP, protoTCP:
		if !a.ip {
			return a, fmt.Errorf("%q: plain DNS needs an IP address, not the host name %q", s, a.host)
		}
	}
	if !a.ip {
		if _, ok := dns.IsDomainName(a.host); !ok || strings.Contains(a.host, ":") {
			return a, fmt.Errorf("%q: bad host name %q", s, a.host)
		}
		a.host = strings.ToLower(a.host)
	}
	if a.proto == protoHTTPS {
		if u.Path == "" || u.Path == "/" {
			return a, fmt.Errorf("%q: missing DoH path (e.g. https://%s/dns-query)", s, u.Host)
		}
		a.path = u.EscapedPath()
		if u.RawQuery != "" {
			a.path += "?" + u.RawQuery
		}
		return a, nil
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return a, fmt.Errorf("%q: a %s address takes no path or query", s, a.proto)
	}
	return a, nil
}

// parseIPPort parses "IP" or "IP:port" ("[v6]:port"), using defPort when no
// port is given.
func parseIPPort(s, defPort string) (netip.AddrPort, error) {
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		if ip.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("%q: zoned IPv6 addresses are not supported", s)
		}
		p, _ := strconv.Atoi(defPort)
		return netip.AddrPortFrom(ip, uint16(p)), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: not an IP address or IP:port", s)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q: %q is not an IP address (plain DNS servers need one)", s, host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return netip.AddrPort{}, fmt.Errorf("%q: bad port %q", s, port)
	}
	return netip.AddrPortFrom(ip, uint16(n)), nil
}

// unwrapURLError drops url.Error's repetition of the input.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
