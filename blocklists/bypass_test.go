package blocklists

import (
	"slices"
	"testing"
)

// TestCatalogueBypass checks the bypass category: its public list, its two
// services, and that they cover the names browsers and phones use.
func TestCatalogueBypass(t *testing.T) {
	t.Parallel()
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
