package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/config"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
)

// upstreamAnswering is a real DNS server on loopback that answers every A
// query with ip.
func upstreamAnswering(t *testing.T, ip string) *dnstest.Server {
	t.Helper()
	up := dnstest.NewServer(t)
	up.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg).SetReply(q)
		r.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300},
			A: net.ParseIP(ip)}}
		return r
	})
	return up
}

// loadConfig writes a hearth.yaml and loads it as `hearth serve` does.
func loadConfig(t *testing.T, dir string, listen []string, upstream, block string) *config.Config {
	t.Helper()
	quoted := make([]string, len(listen))
	for i, l := range listen {
		quoted[i] = fmt.Sprintf("%q", l)
	}
	yaml := fmt.Sprintf("listen: [%s]\nallow_clients: [127.0.0.0/8]\nstate_dir: %q\n"+
		"upstreams:\n  servers: [%q]\n  strategy: ordered\n  timeout: 1s\n"+
		"blocking:\n  block: [%s]\njournal: {enabled: false}\nweb: {enabled: false}\n",
		strings.Join(quoted, ", "), filepath.Join(dir, "state"), "udp://"+upstream, block)
	cfg := loadYAML(t, dir, yaml)
	return cfg
}

// ask sends one A query to Hearth at addr over UDP.
func ask(t *testing.T, addr, name string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA), addr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// answer is "NXDOMAIN" for a blocked name, else the A record's address.
func answer(t *testing.T, addr, name string) string {
	t.Helper()
	r := ask(t, addr, name)
	if r.Rcode != dns.RcodeSuccess {
		return dns.RcodeToString[r.Rcode]
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			return a.A.String()
		}
	}
	return "no answer"
}

// TestReloadRefusedByPolicyKeepsResolver: a configuration whose resolver part
// is good (a new upstream, a new listen address) but whose policy the engine
// refuses changes nothing: the old upstream still answers, the new port is
// not bound, and the old policy still blocks. The same configuration with a
// good policy then applies in full. Serial: the added listen address is a
// port found free and released, on a loopback address no other test uses, so
// nothing else can bind it meanwhile.
func TestReloadRefusedByPolicyKeepsResolver(t *testing.T) {
	dir := t.TempDir()
	oldUp, newUp := upstreamAnswering(t, "192.0.2.1"), upstreamAnswering(t, "192.0.2.2")
	cfg := loadConfig(t, dir, []string{"127.0.0.1:0"}, oldUp.Addr, "old-rule.example")
	h, err := Start(context.Background(), cfg, Options{Logger: zerolog.Nop(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	addr := h.Addrs()[0].String()
	if got := answer(t, addr, "one.example"); got != "192.0.2.1" {
		t.Fatalf("before the reload: one.example = %s, want the old upstream's 192.0.2.1", got)
	}

	// The new configuration: another upstream, one more listen address, a
	// rule of its own, and a device in a group that does not exist. Reload
	// does not take a configuration on trust: each part checks its own, and
	// here the policy's compile refuses.
	added := dnstest.FreeAddrOn(t, "127.0.0.213")
	next := loadConfig(t, dir, []string{"127.0.0.1:0", added}, newUp.Addr, "new-rule.example")
	next.Policy.Devices = append(next.Policy.Devices, policy.DeviceConfig{Name: "guest", IP: []string{"127.0.0.9"}, Group: "no-such-group"})
	err = h.Reload(next)
	if err == nil || !strings.Contains(err.Error(), "no-such-group") {
		t.Fatalf("Reload = %v, want the policy's refusal naming no-such-group", err)
	}
	if got := answer(t, addr, "two.example"); got != "192.0.2.1" {
		t.Errorf("after the refused reload: two.example = %s, want the old upstream's 192.0.2.1", got)
	}
	if n := newUp.Queries(); n != 0 {
		t.Errorf("the new upstream was asked %d times", n)
	}
	if got := answer(t, addr, "old-rule.example"); got != "NXDOMAIN" {
		t.Errorf("after the refused reload: old-rule.example = %s, want it still blocked", got)
	}
	if got := answer(t, addr, "new-rule.example"); got != "192.0.2.1" {
		t.Errorf("after the refused reload: new-rule.example = %s, want it not blocked", got)
	}
	if n := ownUDPSockets(t, added); n != 0 {
		t.Errorf("after the refused reload this process holds %d UDP sockets on the new listen address %s, want none", n, added)
	}

	// The same with a good policy: everything changes together.
	next = loadConfig(t, dir, []string{"127.0.0.1:0", added}, newUp.Addr, "new-rule.example")
	if err := h.Reload(next); err != nil {
		t.Fatal(err)
	}
	if got := answer(t, addr, "three.example"); got != "192.0.2.2" {
		t.Errorf("after the reload: three.example = %s, want the new upstream's 192.0.2.2", got)
	}
	if got := answer(t, added, "new-rule.example"); got != "NXDOMAIN" {
		t.Errorf("after the reload, on the new address: new-rule.example = %s, want it blocked", got)
	}
	if got := answer(t, addr, "old-rule.example"); got != "192.0.2.2" {
		t.Errorf("after the reload: old-rule.example = %s, want it allowed", got)
	}
}

// ownUDPSockets counts the UDP sockets of this process bound to addr (an
// IPv4 address and port), from /proc/net/udp and /proc/self/fd: unlike a
// test bind, a socket of another process that happens to take the port
// cannot fail it. Without /proc it falls back to that bind.
func ownUDPSockets(t *testing.T, addr string) int {
	t.Helper()
	table, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 1
		}
		pc.Close()
		return 0
	}
	ap := netip.MustParseAddrPort(addr)
	ip := ap.Addr().As4()
	local := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port()) // little-endian, as the kernel prints it
	inodes := map[string]bool{}
	for _, line := range strings.Split(string(table), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 9 && f[1] == local {
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && inodes[link] {
			n++
		}
	}
	return n
}

// loadYAML writes yaml as dir/hearth.yaml and loads it as hearth serve
// would (no search path, no environment).
func loadYAML(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(config.LoadOptions{File: path, Search: []string{}, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
