package resolver

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// events collects what the resolver hands to the journal.
type events struct {
	mu   sync.Mutex
	list []journal.Event
}

func (e *events) Record(ev journal.Event) {
	ev.Name = strings.Clone(ev.Name) // a view of the resolver's buffer
	e.mu.Lock()
	e.list = append(e.list, ev)
	e.mu.Unlock()
}

func (e *events) take() []journal.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.list
	e.list = nil
	return out
}

// TestJournalEvents checks what reaches the journal: each blocked lookup
// with its reason, allowed lookups only for a group with log_allowed, and
// never a help site.
func TestJournalEvents(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // a Thursday, school hours
	clk := clocktest.New(now)
	cfg := policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Help:     policy.HelpConfig{Countries: []string{"gb"}},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices:  []policy.DeviceConfig{{Name: "kid-laptop", IP: []string{"127.0.0.1"}, Group: "kids"}},
		Groups: map[string]policy.GroupConfig{"kids": {
			Rules:      []policy.RuleConfig{{Block: []string{"gaming"}, Outside: []string{"mon-fri 16:00-19:00"}}},
			LogAllowed: true,
		}},
	}
	engine, err := policy.NewEngine(cfg, policy.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour}, blocklists.Options{Dir: t.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		t.Fatal(err)
	}
	engine.SetLists(c)
	up := dnstest.NewServer(t)
	sink := &events{}
	_, addr := startWith(t, testConfig("udp://"+up.Addr), Options{Clock: clk, Policy: engine, Journal: sink})

	ask(t, addr, "WWW.Roblox.com.", dns.TypeAAAA)
	got := sink.take()
	want := journal.Event{
		Time: now, Device: "kid-laptop", Group: "kids", Client: netip.MustParseAddr("127.0.0.1"),
		Name: "www.roblox.com", Qtype: dns.TypeAAAA, Action: journal.ActionBlock, Reason: policy.ReasonRule, Mode: verdict.ModeOutside,
		Category: "gaming", Service: "roblox", Rule: "groups.kids.rules[0]", Window: "weekdays 16:00-19:00", Response: "nxdomain",
	}
	if len(got) == 1 {
		// Which of the journal's queues takes it is not a fact of the
		// lookup, but a UDP worker's lookups go to its own.
		if got[0].Queue < 1 || got[0].Queue > udpSockets() {
			t.Errorf("journaled on queue %d, want the UDP worker's (1..%d)", got[0].Queue, udpSockets())
		}
		got[0].Queue = 0
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("blocked lookup journaled as\n%+v\nwant\n%+v", got, want)
	}

	ask(t, addr, "www.example.org.", dns.TypeA)
	if got := sink.take(); len(got) != 1 || got[0].Action != journal.ActionAllow || got[0].Name != "www.example.org" || got[0].Response != "" {
		t.Errorf("allowed lookup with log_allowed: %+v", got)
	}
	ask(t, addr, "www.childline.org.uk.", dns.TypeA)
	if got := sink.take(); len(got) != 0 {
		t.Errorf("a help site was journaled: %+v", got)
	}

	// Without log_allowed only blocked lookups are kept.
	kids := cfg.Groups["kids"]
	kids.LogAllowed = false
	cfg.Groups["kids"] = kids
	if err := engine.SetConfig(cfg, nil); err != nil {
		t.Fatal(err)
	}
	ask(t, addr, "www.example.net.", dns.TypeA)
	ask(t, addr, "roblox.com.", dns.TypeA)
	if got := sink.take(); len(got) != 1 || got[0].Name != "roblox.com" || got[0].Action != journal.ActionBlock {
		t.Errorf("without log_allowed: %+v", got)
	}
}
