package blocklists

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCatalogueBypass checks the bypass category: its public list, its two
// services, and that they cover the names browsers and phones use.
func TestCatalogueBypass(t *testing.T) {
	c := Builtin()
	cat, ok := c.Category("bypass")
	if !ok {
		t.Fatal("no bypass category")
	}
	if i := slices.IndexFunc(cat.Lists, func(l PublicList) bool {
		return l.URL == "https://raw.githubusercontent.com/hagezi/dns-blocklists/main/domains/doh.txt"
	}); i < 0 || cat.Lists[i].License != "GPL-3.0" {
		t.Errorf("bypass lists = %+v, want HaGeZi's DoH list (GPL-3.0)", cat.Lists)
	}
	svcs, got, err := c.Lookup("bypass")
	if err != nil || got != cat || len(svcs) != 2 {
		t.Fatalf("Lookup(bypass) = %d services, %v, %v; want the category with its services and list", len(svcs), got, err)
	}
	doh, _ := c.Service("doh-resolvers")
	relay, _ := c.Service("icloud-private-relay")
	if doh == nil || relay == nil {
		t.Fatal("doh-resolvers or icloud-private-relay is missing")
	}
	// The names vendors and browsers document, each covered by the service
	// (itself or a parent domain listed).
	for _, name := range []string{
		"cloudflare-dns.com", "one.one.one.one", "mozilla.cloudflare-dns.com", "chrome.cloudflare-dns.com",
		"family.cloudflare-dns.com", "security.cloudflare-dns.com", "1dot1dot1dot1.cloudflare-dns.com",
		"dns.google", "dns.google.com", "dns64.dns.google",
		"dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net",
		"doh.opendns.com", "doh.familyshield.opendns.com",
		"dns.adguard.com", "dns.adguard-dns.com", "family.adguard-dns.com", "unfiltered.adguard-dns.com",
		"dns.nextdns.io", "firefox.dns.nextdns.io", "chromium.dns.nextdns.io", "abc123.dns.nextdns.io",
		"doh.cleanbrowsing.org",
		"dns.mullvad.net", "adblock.dns.mullvad.net", "base.dns.mullvad.net", "family.dns.mullvad.net",
		"freedns.controld.com", "dns.controld.com", "p2.freedns.controld.com",
		"doh.dns.sb",
	} {
		if !coveredBy(name, doh.Domains) {
			t.Errorf("doh-resolvers does not cover %s", name)
		}
	}
	// Never a vendor's whole shared domain.
	for _, d := range []string{"google.com", "cloudflare.com", "quad9.net", "opendns.com", "adguard.com",
		"adguard-dns.com", "nextdns.io", "mullvad.net", "controld.com", "cleanbrowsing.org", "umbrella.com",
		"xfinity.com", "cira.ca", "alidns.com", "dns.sb"} {
		if slices.Contains(doh.Domains, d) {
			t.Errorf("doh-resolvers lists the shared domain %s", d)
		}
	}
	for _, name := range []string{"mask.icloud.com", "mask-h2.icloud.com", "mask-canary.icloud.com"} {
		if !slices.Contains(relay.Domains, name) {
			t.Errorf("icloud-private-relay does not list %s", name)
		}
	}
	for _, name := range []string{"icloud.com", "www.icloud.com", "p01-caldav.icloud.com"} {
		if coveredBy(name, relay.Domains) {
			t.Errorf("icloud-private-relay blocks %s, which iCloud needs", name)
		}
	}
}

// TestCatalogueBypassCrossCheck reads the public DoH lists in the shared test
// data (GPL-3.0, never copied) and checks that every host of doh-resolvers
// is in one of them, to catch typos; and that icloud-private-relay has
// every name of AdGuard's icloud_private_relay service.
func TestCatalogueBypassCrossCheck(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata")
	known := map[string]bool{}
	for _, f := range []string{"doh-bypass/dibdot-doh-domains_overall.txt", "doh-bypass/hagezi-doh.domains.txt"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, os.ErrNotExist) {
			t.Skipf("%s is absent", f)
		}
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && line[0] != '#' {
				known[strings.ToLower(line)] = true
				n++
			}
		}
		t.Logf("%s: %d names", f, n)
	}
	doh, ok := Builtin().Service("doh-resolvers")
	if !ok {
		t.Fatal("no doh-resolvers service")
	}
	for _, d := range doh.Domains {
		if !known[d] {
			t.Errorf("doh-resolvers: %s is in neither public DoH list (typo?)", d)
		}
	}

	data, err := os.ReadFile(filepath.Join(dir, "services", "adguard-services-rules-only.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		Services []struct {
			ID    string   `json:"id"`
			Rules []string `json:"rules"`
		} `json:"services"`
	}
	if err := json.Unmarshal(data, &reg); err != nil {
		t.Fatal(err)
	}
	relay, _ := Builtin().Service("icloud-private-relay")
	found := false
	for _, s := range reg.Services {
		if s.ID != "icloud_private_relay" {
			continue
		}
		found = true
		for _, r := range s.Rules {
			// ||mask.icloud.com^$dnsrewrite=NXDOMAIN;;
			name, _, _ := strings.Cut(strings.TrimPrefix(r, "||"), "^")
			if relay == nil || !coveredBy(name, relay.Domains) {
				t.Errorf("icloud-private-relay does not cover %s (registry rule %s)", name, r)
			}
		}
	}
	if !found {
		t.Error("registry has no icloud_private_relay service")
	}
}
