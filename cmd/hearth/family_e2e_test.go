package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy/state"
)

// familyConfig writes a configuration in which 127.0.0.2 is a child's device
// whose group blocks rules (YAML flow list items), and everyone else is in
// the default group; extra is more YAML, one key a line.
func familyConfig(t *testing.T, path, listen, upstream, rules string, extra ...string) {
	t.Helper()
	yaml := fmt.Sprintf(`listen: [%q]
state_dir: %q
upstreams: {servers: [%q]}
timezone: Europe/London
identify: {neighbours: false}
devices:
  - {name: kid-tablet, ip: 127.0.0.2, group: kids}
groups:
  kids:
    rules: [%s]
log: {format: json}
%s`, listen, filepath.Dir(path), upstream, rules, strings.Join(extra, "\n"))
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// askFrom sends a query from a chosen loopback address.
func askFrom(t *testing.T, from, addr, name string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Timeout: 3 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
	m := new(dns.Msg).SetQuestion(name, dns.TypeA)
	m.SetEdns0(1232, false)
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("query %s from %s: %v", name, from, err)
	}
	return r
}

func edeText(m *dns.Msg) string {
	if opt := m.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				return e.ExtraText
			}
		}
	}
	return ""
}

// TestServeProcessFamily runs `hearth serve` with devices and groups: the
// child's device and an unknown one get different answers; a pause stored
// before start applies (so it survives restarts); a reload changes the
// rules; unknown devices are remembered on disk.
func TestServeProcessFamily(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.yaml")
	familyConfig(t, path, listen, "udp://"+up.Addr, "{block: [gaming]}")

	ov, err := state.OpenOverrides(filepath.Join(dir, "overrides.json"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ov.Add(state.Override{Kind: state.OverridePause, Group: "default", Until: time.Now().Add(time.Hour), By: "test"}); err != nil {
		t.Fatal(err)
	}

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")

	r := askFrom(t, "127.0.0.2", listen, "www.roblox.com.")
	if r.Rcode != dns.RcodeNameError || !strings.Contains(edeText(r), "gaming/roblox") || !strings.Contains(edeText(r), "groups.kids.rules[0]") {
		t.Errorf("child's device, roblox: %s, EDE %q; want NXDOMAIN naming the rule", dns.RcodeToString[r.Rcode], edeText(r))
	}
	if r := askFrom(t, "127.0.0.2", listen, "www.example.org."); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("child's device, allowed name: %v", r)
	}
	// The default group is paused (stored before start): everything but help.
	if r := askFrom(t, "127.0.0.3", listen, "www.example.org."); r.Rcode != dns.RcodeNameError || !strings.Contains(edeText(r), "paused") {
		t.Errorf("paused unknown device: %s, EDE %q", dns.RcodeToString[r.Rcode], edeText(r))
	}
	if r := askFrom(t, "127.0.0.3", listen, "www.childline.org.uk."); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("help site while paused: %v", r)
	}

	// Reload with the gaming rule gone.
	familyConfig(t, path, listen, "udp://"+up.Addr, "{block: [chat]}")
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.await(t, "config reloaded")
	if r := askFrom(t, "127.0.0.2", listen, "www.roblox.com."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after the reload roblox is still %s", dns.RcodeToString[r.Rcode])
	}
	if r := askFrom(t, "127.0.0.2", listen, "discord.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("after the reload discord is %s, want blocked", dns.RcodeToString[r.Rcode])
	}

	// An emptied file, then one that blocks nothing, are refused: the
	// children stay filtered. Saying unfiltered: true is obeyed.
	const refused = "config reload failed; still running the previous configuration"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if ev := p.await(t, refused); !strings.Contains(fmt.Sprint(ev["error"]), "is empty") {
		t.Errorf("refusing an empty file: %v", ev)
	}
	if r := askFrom(t, "127.0.0.2", listen, "discord.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("after reloading an empty file discord is %s, want still blocked", dns.RcodeToString[r.Rcode])
	}
	familyConfig(t, path, listen, "udp://"+up.Addr, "")
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if ev := p.await(t, refused); !strings.Contains(fmt.Sprint(ev["error"]), "chooses nothing to block for anyone") {
		t.Errorf("refusing a file that blocks nothing: %v", ev)
	}
	if r := askFrom(t, "127.0.0.2", listen, "discord.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("after reloading a file that blocks nothing discord is %s, want still blocked", dns.RcodeToString[r.Rcode])
	}
	familyConfig(t, path, listen, "udp://"+up.Addr, "", "unfiltered: true")
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.await(t, "config reloaded")
	if r := askFrom(t, "127.0.0.2", listen, "discord.com."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("after reloading with unfiltered: true discord is %s, want answered", dns.RcodeToString[r.Rcode])
	}

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.await(t, "hearth stopped")
	<-p.done
	reg, err := state.OpenRegistry(filepath.Join(dir, "devices.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, d := range reg.List() {
		seen[d.Key] = d.Device
	}
	if name, ok := seen["ip:127.0.0.2"]; !ok || name != "kid-tablet" {
		t.Errorf("kid-tablet not remembered: %v", seen)
	}
	if name, ok := seen["ip:127.0.0.3"]; !ok || name != "" {
		t.Errorf("the unknown device not remembered: %v", seen)
	}
}
