package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// TestFirstStart: a configuration that chooses nothing to block (the
// embedded default, before setup) still blocks the ways round the filter
// for the default group, with NXDOMAIN, without downloading a list; the
// rest stays open. unfiltered: true opens everything, and the first rule a
// parent chooses replaces the first-start protection.
func TestFirstStart(t *testing.T) {
	t.Parallel()
	bare := Config{Timezone: "Europe/London", Blocking: BlockingConfig{Response: "null_ip", TTL: 10 * time.Second},
		Identify: IdentifyConfig{Refresh: 30 * time.Second}, Groups: map[string]GroupConfig{DefaultGroup: {}}}
	guest := client("127.0.0.99")
	now := at("2026-11-26 17:31:00")
	bypassNames := []string{"dns.google", "use-application-dns.net", "mask.icloud.com", "cloudflare-dns.com"}
	open := []string{"www.roblox.com", "www.tiktok.com", "example.org"}

	e := newFamilyEngine(t, bare)
	if !bare.FirstStart() || !e.FirstStart() {
		t.Fatalf("FirstStart = %v/%v for a configuration that chooses nothing, want true", bare.FirstStart(), e.FirstStart())
	}
	if got := bare.Categories(blocklists.Builtin()); len(got) != 0 {
		t.Errorf("Categories = %v at first start, want none (no download)", got)
	}
	for _, name := range bypassNames {
		d := e.Decide(Query{Name: name, Client: guest, Now: now})
		if d.Action != verdict.Block || d.Response == nil || d.Response.Kind != RespondNXDomain {
			t.Errorf("%s at first start: %v (response %v), want blocked with NXDOMAIN", name, d.Action, d.Response)
		}
		if d.Action == verdict.Block && !strings.Contains(d.RuleText, "until setup is finished") {
			t.Errorf("%s at first start: rule %q, want it to say setup is not finished", name, d.RuleText)
		}
	}
	for _, name := range open {
		if d := e.Decide(Query{Name: name, Client: guest, Now: now}); d.Action == verdict.Block {
			t.Errorf("%s at first start: blocked, want open (only bypass is blocked)", name)
		}
	}

	unf := bare
	unf.Unfiltered = true
	e = newFamilyEngine(t, unf)
	if unf.FirstStart() || e.FirstStart() {
		t.Error("FirstStart with unfiltered: true, want false")
	}
	for _, name := range bypassNames {
		if d := e.Decide(Query{Name: name, Client: guest, Now: now}); d.Action == verdict.Block {
			t.Errorf("%s with unfiltered: true: blocked, want open", name)
		}
	}

	chosen := bare
	chosen.Groups = map[string]GroupConfig{DefaultGroup: {Rules: []RuleConfig{{Block: []string{"roblox"}}}}}
	e = newFamilyEngine(t, chosen)
	if chosen.FirstStart() || e.FirstStart() {
		t.Error("FirstStart with a rule chosen, want false")
	}
	if d := e.Decide(Query{Name: "www.roblox.com", Client: guest, Now: now}); d.Action != verdict.Block {
		t.Errorf("roblox with its rule: %v, want blocked", d.Action)
	}
	if d := e.Decide(Query{Name: "dns.google", Client: guest, Now: now}); d.Action == verdict.Block {
		t.Error("dns.google once the parent chose rules without bypass protection: blocked, want open")
	}
}
