package resolver

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/state"
)

// A daily budget through real DNS: Hearth on loopback in front of a
// dnstest upstream, the fake clock advanced minute by minute. Alex's
// console and tablet replay 70 minutes of Roblox on a 60-minute budget,
// with the app's background lookups (push, counters) all along: the block
// (NXDOMAIN, EDE "gaming: 60 of 60 minutes used today") comes in the 61st
// minute on both devices, background lookups are neither counted nor
// blocked, and every allowed gaming answer lives at most a minute.

const consoleIP = "127.0.0.5" // alex-switch

func TestBudgetOverDNS(t *testing.T) {
	t.Parallel()
	cfg := household()
	cfg.Devices = append(slices.Clone(cfg.Devices), policy.DeviceConfig{Name: "alex-switch", IP: []string{consoleIP}, Group: "kids"})
	cfg.People = []policy.PersonConfig{{Name: "alex", Devices: []string{"alex-tablet", "alex-switch"}}}
	kids := cfg.Groups["kids"]
	sixty := 60 * time.Minute
	kids.Budgets = []policy.BudgetConfig{{What: []string{"gaming"}, Daily: &sixty}}
	cfg.Groups["kids"] = kids

	// The catalogue, with Roblox's background hosts (test data here; the
	// catalogue's own come from the vendors' documentation).
	cat := *blocklists.Builtin()
	cat.Services = slices.Clone(cat.Services)
	for i := range cat.Services {
		if cat.Services[i].ID == "roblox" {
			cat.Services[i].Background = []string{"notifications.roblox.com", "ephemeralcounters.api.roblox.com"}
		}
	}
	if errs := cfg.Validate(&cat, []string{"ads"}); len(errs) > 0 {
		t.Fatal(errs)
	}
	clk := clocktest.New(thursday(16, 0, 5))
	store, _ := state.OpenOverrides("", clk)
	budgets, _ := state.OpenBudgets("")
	engine, err := policy.NewEngine(cfg, policy.Options{Clock: clk, Catalogue: &cat, ListCategories: []string{"ads"}, Overrides: store, Budgets: budgets})
	if err != nil {
		t.Fatal(err)
	}
	lists, err := blocklists.New(blocklists.Config{Refresh: time.Hour, Sources: []blocklists.SourceConfig{
		{Name: "my-ads", Category: "ads", Domains: []string{"||ads.example^"}},
	}}, blocklists.Options{Dir: t.TempDir(), Catalogue: &cat})
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := lists.Compile()
	if err != nil {
		t.Fatal(err)
	}
	engine.SetLists(compiled)
	h := &policyHarness{up: dnstest.NewServer(t), engine: engine, clk: clk}
	h.setHandler(dnstest.DefaultHandler)
	_, h.addr = startWith(t, testConfig("udp://"+h.up.Addr), Options{Policy: engine, Clock: clk})

	game := []string{"www.roblox.com.", "apis.roblox.com.", "c0.rbxcdn.com.", "assetdelivery.roblox.com."}
	blockedAt := -1
	for minute := range 70 {
		// The console plays every minute; the tablet joins from minute 20
		// to 40, at the same minutes (counted once).
		devices := []string{consoleIP}
		if minute >= 20 && minute < 40 {
			devices = append(devices, kidIP)
		}
		for _, from := range devices {
			for _, name := range game[:1+minute%len(game)] {
				m := h.ask(t, from, name, dns.TypeA)
				if m.Rcode == dns.RcodeNameError {
					if blockedAt < 0 {
						blockedAt = minute
					}
					e := edeOf(m)
					if e == nil || e.ExtraText != "hearth: gaming: 60 of 60 minutes used today" {
						t.Fatalf("minute %d, %s from %s: blocked with EDE %+v", minute, name, from, e)
					}
					continue
				}
				if blockedAt >= 0 {
					t.Fatalf("minute %d, %s from %s: allowed after the block at minute %d: %s", minute, name, from, blockedAt, summary(m))
				}
				if len(m.Answer) == 0 || m.Answer[0].Header().Ttl > 60 {
					t.Fatalf("minute %d, %s: %s: want an answer living at most 60s", minute, name, summary(m))
				}
			}
		}
		// Background traffic from both devices, every minute: never
		// blocked, never counted.
		for _, from := range []string{consoleIP, kidIP} {
			for _, name := range []string{"notifications.roblox.com.", "eu.ephemeralcounters.api.roblox.com."} {
				if m := h.ask(t, from, name, dns.TypeA); m.Rcode != dns.RcodeSuccess || edeOf(m) != nil {
					t.Fatalf("minute %d: background %s from %s: %s", minute, name, from, summary(m))
				}
			}
		}
		clk.Advance(time.Minute)
	}
	if blockedAt != 60 {
		t.Errorf("blocked from minute %d, want 60 (the 61st)", blockedAt)
	}
	// The tablet is blocked too, and the status says the same.
	if m := h.ask(t, kidIP, "www.roblox.com.", dns.TypeA); m.Rcode != dns.RcodeNameError {
		t.Errorf("tablet after the budget: %s", summary(m))
	}
	st, err := engine.BudgetStatus(clk.Now(), "alex")
	if err != nil || len(st) != 1 || st[0].Used != 60 || !st[0].Spent || st[0].Left != 0 {
		t.Errorf("status %+v, %v", st, err)
	}
	if !strings.HasPrefix(st[0].Text, "gaming: 60 of 60") {
		t.Errorf("status text %q", st[0].Text)
	}
}
