package resolver

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Names that belong to the home network never leave it: special-use names
// (RFC 6761, RFC 6762, RFC 8375) and the reverse zones of private, loopback
// and link-local ranges. Leaking them tells the upstream what is on the LAN
// and returns nothing useful.
var builtinLocalZones = func() []string {
	z := []string{
		"home.arpa.", "local.", "localhost.",
		"10.in-addr.arpa.", "168.192.in-addr.arpa.", "254.169.in-addr.arpa.", "127.in-addr.arpa.",
		"c.f.ip6.arpa.", "d.f.ip6.arpa.", // fc00::/7
		"8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.", // fe80::/10
		// ::1
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	}
	for i := 16; i <= 31; i++ { // 172.16.0.0/12
		z = append(z, fmt.Sprintf("%d.172.in-addr.arpa.", i))
	}
	return z
}()

// localNames decides whether a lowercased name stays in the house.
type localNames struct {
	zones map[string]struct{}
}

func newLocalNames(extra []string) *localNames {
	l := &localNames{zones: make(map[string]struct{})}
	for _, z := range builtinLocalZones {
		l.zones[z] = struct{}{}
	}
	for _, z := range extra {
		l.zones[dns.Fqdn(strings.ToLower(strings.TrimSpace(z)))] = struct{}{}
	}
	return l
}

// match reports whether name (lowercased, fully qualified, as bytes) is a
// local name. Single-label host names ("printer.") asked for as A or AAAA are
// local too: no public name has an address at a top-level label.
func (l *localNames) match(name []byte, qtype uint16) bool {
	if len(name) <= 1 {
		return false // the root
	}
	labels := 0
	for i := 0; i < len(name); {
		if _, ok := l.zones[string(name[i:])]; ok {
			return true
		}
		labels++
		j := i
		for j < len(name) && name[j] != '.' {
			if name[j] == '\\' {
				j++
			}
			j++
		}
		i = j + 1
	}
	return labels == 1 && (qtype == dns.TypeA || qtype == dns.TypeAAAA)
}

// isLocalhost reports whether name is localhost. or under it (RFC 6761 6.3).
func isLocalhost(name []byte) bool {
	const lh = "localhost."
	n := len(name)
	return n >= len(lh) && string(name[n-len(lh):]) == lh && (n == len(lh) || name[n-len(lh)-1] == '.')
}
