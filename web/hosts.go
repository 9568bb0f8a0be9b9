package web

// The Host check against DNS rebinding: a page on the internet whose name
// its owner points at 192.168.1.2 would otherwise reach the dashboard
// through the parent's browser, as its own origin. Its requests carry its
// own name in Host, so the dashboard answers only to names it is known by.

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// DefaultHostNames are the names the dashboard answers to besides
// localhost, the machine's host name and web.hosts: each of these bases
// ("hearth" and the machine's host name) alone or under one of
// LocalSuffixes. None of them can be registered on the internet.
var (
	defaultBases  = []string{"hearth"}
	LocalSuffixes = []string{"lan", "local", "home", "home.arpa", "internal", "localdomain"}
)

// hostCheck decides which Host headers the dashboard answers.
type hostCheck struct {
	any   bool            // web.hosts has "*": no check
	names map[string]bool // lowercase, without a final dot
}

// HostNames are the names the dashboard answers to, for the configuration
// c on a machine called hostname ("" if unknown): localhost, hearth and the
// host name, each alone and under LocalSuffixes, the host name as given, and
// the names of web.hosts (not its addresses, nor "*"). Sorted.
func HostNames(c Config, hostname string) []string {
	set := map[string]bool{"localhost": true}
	bases := slices.Clone(defaultBases)
	if h := normalHost(hostname); h != "" {
		set[h] = true
		short, _, _ := strings.Cut(h, ".")
		bases = append(bases, short)
	}
	for _, b := range bases {
		set[b] = true
		for _, s := range LocalSuffixes {
			set[b+"."+s] = true
		}
	}
	for _, h := range c.Hosts {
		if h = normalHost(h); h != "*" && h != "" {
			if _, err := netip.ParseAddr(h); err != nil {
				set[h] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

func newHostCheck(c Config) *hostCheck {
	hostname, _ := os.Hostname()
	hc := &hostCheck{names: map[string]bool{}, any: slices.Contains(c.Hosts, "*")}
	for _, h := range HostNames(c, hostname) {
		hc.names[h] = true
	}
	return hc
}

// allowed reports whether the dashboard answers to Host header host: an IP
// address (a browser sends one only when it was opened by that address,
// so no rebinding is involved: this also keeps a container's published
// port working), a name of HostNames or under .localhost, or any with "*".
// An empty Host (HTTP/1.0; browsers always send one) is allowed too.
func (hc *hostCheck) allowed(host string) bool {
	if hc.any || host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = normalHost(host)
	return hc.names[host] || strings.HasSuffix(host, ".localhost")
}

func normalHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
}

// refuseHost answers a request whose Host the dashboard does not answer to.
func refuseHost(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMisdirectedRequest)
	fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>Not this name</title>
<h1>Hearth's dashboard does not answer to the name “%s”</h1>
<p>Open it by this machine's address (like http://192.168.1.2:8080/) or as http://hearth.lan:8080/ if your router knows that name.
To use another name, add it to <code>web.hosts</code> in hearth.yaml.</p>
<p>This check stops pages on the internet from reaching the dashboard through your browser (DNS rebinding).</p>
`, html.EscapeString(r.Host))
}

// checkHostEntry checks one entry of web.hosts: "*", an address or a name.
func checkHostEntry(h string) error {
	h = normalHost(h)
	if h == "*" {
		return nil
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return nil
	}
	if h == "" || len(h) > 253 {
		return fmt.Errorf("not a host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("not a host name (labels of a-z, 0-9 and -, with dots between)")
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("not a host name (labels of a-z, 0-9 and -, with dots between; no port)")
			}
		}
	}
	return nil
}
