package resolver

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
)

// blockingServer runs Hearth with the built-in catalogue plus an inline list
// in category "ads", blocking what block names, answering as response says.
func blockingServer(t *testing.T, response string, block ...string) (*dnstest.Server, string) {
	t.Helper()
	lists, err := blocklists.New(blocklists.Config{Refresh: time.Hour, Sources: []blocklists.SourceConfig{
		{Name: "my-ads", Category: "ads", Domains: []string{"||ads.example^", "tracker.example"}},
	}}, blocklists.Options{Dir: t.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := lists.Compile()
	if err != nil {
		t.Fatal(err)
	}
	engine := newEngine(t, policy.BlockingConfig{Block: block, Response: response, TTL: 10 * time.Second}, "ads")
	engine.SetLists(compiled)
	up := dnstest.NewServer(t)
	_, addr := startWith(t, testConfig("udp://"+up.Addr), Options{Policy: engine})
	return up, addr
}

func TestBlockedNamesAreAnsweredLocally(t *testing.T) {
	t.Parallel()
	up, addr := blockingServer(t, policy.ResponseNullIP, "gaming", "ads")
	for _, tc := range []struct {
		name  string
		qtype uint16
		text  string // expected in the EDE text
	}{
		{"www.roblox.com.", dns.TypeA, "gaming/roblox ||roblox.com^"},
		{"Minecraft.NET.", dns.TypeAAAA, "gaming/minecraft ||minecraft.net^"},
		{"x.y.ads.example.", dns.TypeA, "ads/my-ads ||ads.example^"},
		{"tracker.example.", dns.TypeHTTPS, "ads/my-ads tracker.example"},
	} {
		r := ask(t, addr, tc.name, tc.qtype, withEDNS(1232, false))
		if r.Rcode != dns.RcodeSuccess {
			t.Errorf("%s: rcode %s, want NOERROR", tc.name, dns.RcodeToString[r.Rcode])
			continue
		}
		switch tc.qtype {
		case dns.TypeA:
			if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "0.0.0.0" || r.Answer[0].Header().Ttl != 10 {
				t.Errorf("%s: answer %v, want 0.0.0.0 with TTL 10", tc.name, r.Answer)
			}
		case dns.TypeAAAA:
			if len(r.Answer) != 1 || r.Answer[0].(*dns.AAAA).AAAA.String() != "::" {
				t.Errorf("%s: answer %v, want ::", tc.name, r.Answer)
			}
		default:
			if len(r.Answer) != 0 {
				t.Errorf("%s: answer %v, want none", tc.name, r.Answer)
			}
		}
		if r.Question[0].Name != tc.name {
			t.Errorf("question %q, want %q", r.Question[0].Name, tc.name)
		}
		var ede *dns.EDNS0_EDE
		if opt := r.IsEdns0(); opt != nil {
			for _, o := range opt.Option {
				if e, ok := o.(*dns.EDNS0_EDE); ok {
					ede = e
				}
			}
		}
		if ede == nil || ede.InfoCode != dns.ExtendedErrorCodeBlocked || !strings.Contains(ede.ExtraText, tc.text) {
			t.Errorf("%s: EDE %v, want Blocked with %q", tc.name, ede, tc.text)
		}
	}
	if n := up.Queries(); n != 0 {
		t.Errorf("upstream saw %d blocked names", n)
	}
	// Allowed: not in a blocked category (chat is not blocked), or only
	// near a listed name (an exact entry does not cover subdomains).
	for _, name := range []string{"discord.com.", "example.org.", "sub.tracker.example.", "notroblox.com."} {
		if r := ask(t, addr, name, dns.TypeA); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.1" {
			t.Errorf("%s: %v, want the upstream's answer", name, r.Answer)
		}
	}
	if n := up.Queries(); n != 4 {
		t.Errorf("upstream saw %d allowed names, want 4", n)
	}
}

func TestBlockResponses(t *testing.T) {
	t.Parallel()
	for response, rcode := range map[string]int{policy.ResponseNXDomain: dns.RcodeNameError, policy.ResponseRefused: dns.RcodeRefused} {
		_, addr := blockingServer(t, response, "tiktok")
		r := ask(t, addr, "www.tiktok.com.", dns.TypeA)
		if r.Rcode != rcode || len(r.Answer) != 0 {
			t.Errorf("%s: rcode %s with %d answers", response, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		if r.IsEdns0() != nil {
			t.Errorf("%s: OPT in the answer to a query without EDNS", response)
		}
	}
}
