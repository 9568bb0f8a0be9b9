package main

import (
	"path/filepath"
	"testing"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// TestServeProcessFirstStart runs `hearth serve` on a file that chooses
// nothing to block (as before setup): the ways round the filter are
// answered NXDOMAIN for an unknown device, and journaled (the "blocked"
// event names the first-start rule); other names resolve. (That no list
// is downloaded for it is policy's TestFirstStart: Categories is empty.)
func TestServeProcessFirstStart(t *testing.T) {
	up := dnstest.NewServer(t)
	listen := freePort(t)
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	configFile(t, path, listen, "udp://"+up.Addr)

	p := startProcess(t, "serve", "--config", path)
	p.await(t, "hearth started")

	for _, name := range []string{"dns.google.", "use-application-dns.net.", "mask.icloud.com."} {
		if r := askFrom(t, "127.0.0.3", listen, name); r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
			t.Errorf("%s before setup: %s %v, want NXDOMAIN", name, dns.RcodeToString[r.Rcode], r.Answer)
		}
	}
	for _, name := range []string{"www.roblox.com.", "www.example.org."} {
		if r := askFrom(t, "127.0.0.3", listen, name); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("%s before setup: %s %v, want an answer", name, dns.RcodeToString[r.Rcode], r.Answer)
		}
	}
	// The journal's "blocked" lines (one per device, name and minute)
	// come when the minute closes, or at Close.
	evs := p.stop(t, "blocked")
	found := false
	for _, ev := range evs {
		if ev["name"] == "dns.google" {
			found = true
			if ev["group"] != "default" || ev["rule"] != "groups.default.bypass_protection" {
				t.Errorf("the blocked event of dns.google: %v, want group default, rule groups.default.bypass_protection", ev)
			}
		}
	}
	if !found || len(evs) != 3 {
		t.Errorf("blocked events at exit: %v, want one each for the 3 names, dns.google among them", evs)
	}
}
