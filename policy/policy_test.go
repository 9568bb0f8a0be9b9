package policy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/fielderr"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/state"
)

// compiled builds the real catalogue plus two inline lists.
func compiled(t testing.TB, extra ...blocklists.SourceConfig) *blocklists.Compiled {
	t.Helper()
	sources := append([]blocklists.SourceConfig{
		{Name: "extra-ads", Category: "ads", Domains: []string{"||ads.example^", "pixel.example", "@@||ok.ads.example^"}},
		{Name: "homework", Category: "distractions", Domains: []string{"||puzzles.example^"}},
	}, extra...)
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour, Sources: sources},
		blocklists.Options{Dir: t.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var listCats = []string{"ads", "distractions"}

// family is the example household.
func family() Config {
	return Config{
		Timezone: "Europe/London",
		Calendar: CalendarConfig{Holidays: []string{"2026-12-19..2027-01-04 christmas"}},
		Blocking: BlockingConfig{Block: []string{"ads"}, Response: ResponseNXDomain, TTL: 10 * time.Second},
		Help:     HelpConfig{Countries: []string{"gb"}, Domains: []string{"help.example.net"}},
		Identify: IdentifyConfig{Neighbours: true, Refresh: 30 * time.Second, Forwarders: []string{"127.0.0.53"}},
		Devices: []DeviceConfig{
			{Name: "alex-tablet", MAC: []string{"3c:22:fb:12:34:56"}, Group: "kids"},
			{Name: "sam-switch", IP: []string{"127.0.0.40"}, Group: "kids", Allow: []string{"puzzles.example"}, Block: []string{"epic-games"}},
			{Name: "parents-laptop", IP: []string{"127.0.0.0/28"}, Group: "adults"},
		},
		Groups: map[string]GroupConfig{
			"default": {},
			"adults":  {Rules: []RuleConfig{{Block: []string{"distractions"}, During: []string{"mon-fri 09:00-12:00"}}}},
			"kids": {
				Rules: []RuleConfig{
					{Block: []string{"gambling", "distractions"}},
					{Block: []string{"gaming"}, Except: []string{"minecraft"}, Outside: []string{"mon-fri 16:00-19:00", "sat,sun 10:00-20:00"}, Holidays: []string{"daily 10:00-20:00"}},
					{Block: []string{"chat"}, Outside: []string{"daily 07:00-21:00"}},
					{Block: []string{"video"}, During: []string{"mon-fri 17:00-18:00"}},
				},
				Bedtime:          []string{"sun-thu 21:30-07:00", "fri,sat 22:30-08:00"},
				Allow:            []string{"school.example.org"},
				SafeSearch:       SafeSearchStrict,
				BypassProtection: true,
			},
		},
	}
}

var london, _ = time.LoadLocation("Europe/London")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, london)
	if err != nil {
		panic(err)
	}
	return t
}

func newFamilyEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if errs := cfg.Validate(blocklists.Builtin(), listCats); len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	arp := filepath.Join(t.TempDir(), "arp")
	table := "IP address       HW type     Flags       HW address            Mask     Device\n" +
		"127.0.0.20       0x1         0x2         3c:22:fb:12:34:56     *        eth0\n"
	if err := os.WriteFile(arp, []byte(table), 0o600); err != nil {
		t.Fatal(err)
	}
	n := identity.NewNeighbours(identity.NeighbourSources{ProcARP: arp, IPNeigh: []string{"true"}})
	clk := clocktest.New(at("2026-11-26 12:00:00"))
	e, err := NewEngine(cfg, Options{ListCategories: listCats, Neighbours: n, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RefreshIdentity(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.SetLists(compiled(t))
	return e
}

func client(addr string) identity.ClientInfo {
	a := netip.MustParseAddr(addr)
	return identity.ClientInfo{Addr: a, Remote: a}
}

func TestDecideFamily(t *testing.T) {
	t.Parallel()
	e := newFamilyEngine(t, family())
	alex := client("127.0.0.20") // by MAC, from the neighbour table
	sam := client("127.0.0.40")  // by address
	guest := client("127.0.0.99")
	parent := client("127.0.0.5") // by prefix
	tests := []struct {
		name   string
		who    identity.ClientInfo
		when   string
		want   Action
		reason Reason
		rule   string
		next   string // "" for zero
		check  func(t *testing.T, d Decision)
	}{
		// Thursday 2026-11-26, a school day.
		{"www.roblox.com", alex, "2026-11-26 17:00:00", Allow, ReasonWindow, "groups.kids.rules[1]", "2026-11-26 19:00:00", nil},
		{"www.roblox.com", alex, "2026-11-26 19:30:00", Block, ReasonRule, "groups.kids.rules[1]", "2026-11-26 21:30:00", func(t *testing.T, d Decision) {
			if d.Category != "gaming" || d.Service != "roblox" || d.Entry != "roblox.com" || !d.EntrySubdomains || d.Device != "alex-tablet" || d.Group != "kids" {
				t.Errorf("reason = %+v", d)
			}
			if d.Window != "weekdays 16:00-19:00, weekends 10:00-20:00" {
				t.Errorf("window %q", d.Window)
			}
		}},
		{"minecraft.net", alex, "2026-11-26 19:30:00", Allow, ReasonNone, "", "2026-11-26 21:30:00", nil}, // gaming except minecraft
		{"www.roblox.com", alex, "2026-11-26 15:59:55", Block, ReasonRule, "groups.kids.rules[1]", "2026-11-26 16:00:00", func(t *testing.T, d Decision) {
			if d.TTL != 5 {
				t.Errorf("TTL %d: a blocked answer must not outlive the window's opening", d.TTL)
			}
		}},
		{"discord.com", alex, "2026-11-26 20:59:00", Allow, ReasonWindow, "groups.kids.rules[2]", "2026-11-26 21:00:00", nil},
		{"discord.com", alex, "2026-11-26 21:10:00", Block, ReasonRule, "groups.kids.rules[2]", "2026-11-26 21:30:00", nil},
		{"www.youtube.com", alex, "2026-11-26 17:30:00", Block, ReasonRule, "groups.kids.rules[3]", "2026-11-26 18:00:00", nil},
		{"www.youtube.com", alex, "2026-11-26 18:30:00", Rewrite, ReasonSafeSearch, "groups.kids.safe_search", "2026-11-26 21:30:00", func(t *testing.T, d Decision) {
			if d.Target != "restrict.youtube.com" {
				t.Errorf("target %q", d.Target)
			}
		}},
		{"www.google.co.uk", alex, "2026-11-26 12:00:00", Rewrite, ReasonSafeSearch, "groups.kids.safe_search", "2026-11-26 21:30:00", nil},
		{"www.google.co.uk", parent, "2026-11-26 12:00:00", Allow, ReasonNone, "", "", nil},
		// Bedtime: Thursday night; Friday night starts later.
		{"www.example.com", alex, "2026-11-26 21:45:00", Block, ReasonBedtime, "groups.kids.bedtime", "2026-11-27 07:00:00", nil},
		{"www.example.com", alex, "2026-11-27 22:00:00", Allow, ReasonNone, "", "2026-11-27 22:30:00", nil},
		{"www.example.com", alex, "2026-11-27 22:40:00", Block, ReasonBedtime, "groups.kids.bedtime", "2026-11-28 08:00:00", nil},
		{"www.school.example.org", alex, "2026-11-26 23:00:00", Allow, ReasonAllowList, "groups.kids.allow", "", nil},
		// Help gets through at 23:00, quietly.
		{"www.childline.org.uk", alex, "2026-11-26 23:00:00", Allow, ReasonHelp, "help", "", func(t *testing.T, d Decision) {
			if !d.Quiet {
				t.Error("help lookups must not be journaled")
			}
		}},
		{"help.example.net", alex, "2026-11-26 23:00:00", Allow, ReasonHelp, "help", "", nil},
		// The device's own entries: allow wins over the group's rule; block always.
		{"puzzles.example", sam, "2026-11-26 12:00:00", Allow, ReasonAllowList, "devices[1].allow", "", nil},
		{"puzzles.example", alex, "2026-11-26 12:00:00", Block, ReasonRule, "groups.kids.rules[0]", "2026-11-26 21:30:00", func(t *testing.T, d Decision) {
			if d.Category != "distractions" || d.List != "homework" {
				t.Errorf("reason = %+v", d)
			}
		}},
		{"fortnite.com", sam, "2026-11-26 17:00:00", Block, ReasonDevice, "devices[1].block", "2026-11-26 21:30:00", nil},
		{"fortnite.com", alex, "2026-11-26 17:00:00", Allow, ReasonWindow, "groups.kids.rules[1]", "2026-11-26 19:00:00", nil},
		// The household's block applies to everyone, unknown devices too.
		{"ads.example", guest, "2026-11-26 12:00:00", Block, ReasonRule, "blocking.block", "", nil},
		{"www.roblox.com", guest, "2026-11-26 23:00:00", Allow, ReasonNone, "", "", nil},
		// Adults: distractions during work hours only.
		{"puzzles.example", parent, "2026-11-26 10:00:00", Block, ReasonRule, "groups.adults.rules[0]", "2026-11-26 12:00:00", nil},
		{"puzzles.example", parent, "2026-11-26 13:00:00", Allow, ReasonWindow, "groups.adults.rules[0]", "2026-11-27 09:00:00", nil},
		// Holidays: gaming 10:00-20:00 every day instead of after school.
		{"www.roblox.com", alex, "2026-12-21 12:00:00", Allow, ReasonWindow, "groups.kids.rules[1]", "2026-12-21 20:00:00", func(t *testing.T, d Decision) {
			if d.Window != "holidays daily 10:00-20:00" {
				t.Errorf("window %q", d.Window)
			}
		}},
		{"www.roblox.com", alex, "2026-11-30 12:00:00", Block, ReasonRule, "groups.kids.rules[1]", "2026-11-30 16:00:00", nil},
		// The last holiday day's evening ends in a school night's gaming hours.
		{"www.roblox.com", alex, "2027-01-04 19:30:00", Allow, ReasonWindow, "groups.kids.rules[1]", "2027-01-04 20:00:00", nil},
		{"www.roblox.com", alex, "2027-01-05 17:00:00", Allow, ReasonWindow, "groups.kids.rules[1]", "2027-01-05 19:00:00", nil},
		// Bypass protection: the canary is NXDOMAIN whatever the response.
		{"use-application-dns.net", alex, "2026-11-26 12:00:00", Block, ReasonRule, "groups.kids.bypass_protection", "2026-11-26 21:30:00", func(t *testing.T, d Decision) {
			if d.Response.Kind != RespondNXDomain || d.Category != "bypass" {
				t.Errorf("canary: %+v", d)
			}
		}},
		{"mask.icloud.com", alex, "2026-11-26 12:00:00", Block, ReasonRule, "groups.kids.bypass_protection", "2026-11-26 21:30:00", nil},
		{"dns.google", alex, "2026-11-26 12:00:00", Block, ReasonRule, "groups.kids.bypass_protection", "2026-11-26 21:30:00", nil},
		{"use-application-dns.net", guest, "2026-11-26 12:00:00", Allow, ReasonNone, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s@%s/%s", tc.name, tc.when, tc.who.Addr), func(t *testing.T) {
			d := e.Decide(Query{Name: tc.name, Client: tc.who, Now: at(tc.when)})
			if d.Action != tc.want || d.Reason != tc.reason || d.Rule != tc.rule {
				t.Fatalf("got %s/%s (%s), want %s/%s (%s); %+v", d.Action, d.Reason, d.Rule, tc.want, tc.reason, tc.rule, d)
			}
			// Help sites and allow entries are trusted whole: their CNAME chains are not checked.
			if trusted := tc.reason == ReasonHelp || tc.reason == ReasonAllowList; d.CheckChain == trusted {
				t.Errorf("CheckChain = %v for %s", d.CheckChain, d.Reason)
			}
			var next time.Time
			if tc.next != "" {
				next = at(tc.next)
			}
			if !d.Next.Equal(next) {
				t.Errorf("next change %v, want %v", d.Next.In(london), next)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestDecideDST(t *testing.T) {
	t.Parallel()
	cfg := family()
	cfg.Groups["kids"] = GroupConfig{
		Rules:   []RuleConfig{{Block: []string{"gaming"}, Outside: []string{"sun 01:30-03:00"}}},
		Bedtime: []string{"sun 00:30-01:30"},
	}
	e := newFamilyEngine(t, cfg)
	alex := client("127.0.0.20")
	// 2026-03-29: 01:00 GMT jumps to 02:00 BST. The window opening at 01:30
	// (a time that does not exist) opens at the change.
	d := e.Decide(Query{Name: "roblox.com", Client: alex, Now: time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC)})
	if d.Action != Block || !d.Next.Equal(time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("before the spring change: %s, next %v", d.Action, d.Next)
	}
	d = e.Decide(Query{Name: "roblox.com", Client: alex, Now: time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)})
	if d.Action != Allow || d.Reason != ReasonWindow {
		t.Errorf("at the spring change: %s/%s", d.Action, d.Reason)
	}
	// 2026-10-25: 01:00-02:00 happens twice. Bedtime 00:30-01:30 ends at the
	// first 01:30 and does not come back in the repeated hour.
	first := time.Date(2026, 10, 25, 0, 15, 0, 0, time.UTC) // 01:15 BST
	second := first.Add(time.Hour)                          // 01:15 GMT
	if d := e.Decide(Query{Name: "example.com", Client: alex, Now: first}); d.Reason != ReasonBedtime || !d.Next.Equal(first.Add(15*time.Minute)) {
		t.Errorf("first 01:15: %s, next %v", d.Reason, d.Next)
	}
	if d := e.Decide(Query{Name: "example.com", Client: alex, Now: second}); d.Action != Allow {
		t.Errorf("repeated 01:15: %s/%s; the window must not repeat", d.Action, d.Reason)
	}
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	e := newFamilyEngine(t, family())
	mac, _ := net.ParseMAC("3c:22:fb:12:34:56")
	router := netip.MustParseAddr("127.0.0.53")
	stranger := netip.MustParseAddr("127.0.0.77")
	tests := []struct {
		who    identity.ClientInfo
		device string
		group  string
	}{
		{client("127.0.0.20"), "alex-tablet", "kids"},                                                        // neighbour table
		{client("127.0.0.40"), "sam-switch", "kids"},                                                         // address
		{client("127.0.0.9"), "parents-laptop", "adults"},                                                    // prefix
		{client("127.0.0.99"), "", "default"},                                                                // unknown
		{identity.ClientInfo{Addr: router, Remote: router, MAC: mac}, "alex-tablet", "kids"},                 // trusted MAC option
		{identity.ClientInfo{Addr: stranger, Remote: stranger, MAC: mac}, "", "default"},                     // untrusted: ignored
		{identity.ClientInfo{Addr: netip.MustParseAddr("127.0.0.40"), Remote: router}, "sam-switch", "kids"}, // trusted ECS /32
		{identity.ClientInfo{Addr: netip.MustParseAddr("127.0.0.40"), Remote: stranger}, "", "default"},      // untrusted ECS
	}
	for _, tc := range tests {
		got := e.Lookup(tc.who)
		if got.Device != tc.device || got.Group != tc.group {
			t.Errorf("%+v: got %q/%q, want %q/%q", tc.who, got.Device, got.Group, tc.device, tc.group)
		}
		d := e.Decide(Query{Name: "example.com", Client: tc.who, Now: at("2026-11-26 12:00:00")})
		if d.Device != tc.device || d.Group != tc.group {
			t.Errorf("%+v: decided for %q/%q, want %q/%q", tc.who, d.Device, d.Group, tc.device, tc.group)
		}
	}
	// Every client is remembered, unknown ones included.
	seen := e.Devices().List()
	keys := map[string]state.SeenDevice{}
	for _, s := range seen {
		keys[s.Key] = s
	}
	if s, ok := keys["ip:127.0.0.99"]; !ok || s.Device != "" || s.FirstSeen.IsZero() {
		t.Errorf("unknown device not remembered: %+v", seen)
	}
	if s, ok := keys["mac:3c:22:fb:12:34:56"]; !ok || s.Device != "alex-tablet" {
		t.Errorf("alex-tablet not remembered by MAC: %+v", seen)
	}
}

func TestOverridesDecide(t *testing.T) {
	t.Parallel()
	e := newFamilyEngine(t, family())
	alex, sam := client("127.0.0.20"), client("127.0.0.40")
	now := at("2026-11-26 19:30:00")
	until := now.Add(30 * time.Minute)
	e.opts.Clock.(*clocktest.Fake).Set(now)
	p, err := e.Overrides().Add(state.Override{Kind: state.OverridePause, Device: "alex-tablet", Until: until})
	if err != nil {
		t.Fatal(err)
	}
	d := e.Decide(Query{Name: "example.com", Client: alex, Now: now})
	if d.Action != Block || d.Reason != ReasonPause || !d.Next.Equal(until) || d.Override != p.ID {
		t.Errorf("paused device: %+v", d)
	}
	for _, name := range []string{"childline.org.uk", "school.example.org"} {
		if d := e.Decide(Query{Name: name, Client: alex, Now: now}); d.Action != Allow {
			t.Errorf("%s while paused: %s/%s", name, d.Action, d.Reason)
		}
	}
	if d := e.Decide(Query{Name: "example.com", Client: sam, Now: now}); d.Action != Allow {
		t.Errorf("pause of one device blocked another: %+v", d)
	}
	if d := e.Decide(Query{Name: "example.com", Client: alex, Now: until}); d.Action != Allow {
		t.Errorf("pause outlived its end: %+v", d)
	}
	if err := e.Overrides().Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	// Bonus time for gaming lifts the after-school rule for the group.
	b, err := e.Overrides().Add(state.Override{Kind: state.OverrideBonus, Group: "kids", What: "gaming", Until: until})
	if err != nil {
		t.Fatal(err)
	}
	d = e.Decide(Query{Name: "www.roblox.com", Client: sam, Now: now})
	if d.Action != Allow || d.Reason != ReasonBonus || d.Override != b.ID || !d.Next.Equal(until) {
		t.Errorf("bonus: %+v", d)
	}
	if d := e.Decide(Query{Name: "discord.com", Client: sam, Now: at("2026-11-26 21:10:00")}); d.Action != Block {
		t.Errorf("bonus for gaming lifted chat: %+v", d)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cfg := family()
	cfg.Timezone = "Europe/Londn"
	cfg.Calendar.Holidays = []string{"2026-12-32..2027-01-04"}
	cfg.Devices = append(cfg.Devices,
		DeviceConfig{Name: "alex-phone", MAC: []string{"3c:22:fb:12:34:56"}, Group: "teens"},
		DeviceConfig{Name: "sam-switch", IP: []string{"127.0.0.400"}},
	)
	kids := cfg.Groups["kids"]
	kids.Rules = append(kids.Rules,
		RuleConfig{Block: []string{"gamng"}},
		RuleConfig{Block: []string{"chat"}, Outside: []string{"mon-fri 16:00-19:00", "mon 18:00-20:00"}},
		RuleConfig{Block: []string{"social"}, Outside: []string{"mon-fri 16:00-17:00"}, During: []string{"daily 07:00-08:00"}},
		RuleConfig{Block: []string{"social"}, During: []string{"mon-fri 16:00"}},
	)
	kids.SafeSearch = "on"
	kids.BlockResponse = "0.0.0.0.0"
	cfg.Groups["kids"] = kids
	errs := cfg.Validate(blocklists.Builtin(), listCats)
	want := map[string]string{
		"timezone":                        "not a time zone",
		"calendar.holidays[0]":            "2026-12-32",
		"devices[3].mac[0]":               "one group only",
		"devices[3].group":                `no group "teens"`,
		"devices[4].name":                 "listed twice",
		"devices[4].ip[0]":                "not an address",
		"groups.kids.rules[4].block[0]":   `did you mean "gaming"`,
		"groups.kids.rules[5].outside[1]": "overlaps",
		"groups.kids.rules[6].during":     "not both",
		"groups.kids.rules[7].during[0]":  "START-END",
		"groups.kids.safe_search":         "off, moderate or strict",
		"groups.kids.block_response":      "local page",
	}
	got := map[string]string{}
	for _, err := range errs {
		var fe *fielderr.Error
		if !errors.As(err, &fe) {
			t.Errorf("not a field error: %v", err)
			continue
		}
		got[fe.Key] = err.Error()
	}
	for key, text := range want {
		if !strings.Contains(got[key], text) {
			t.Errorf("%s: got %q, want it to say %q", key, got[key], text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(got), len(want), got)
	}
	if errs := family().Validate(blocklists.Builtin(), listCats); len(errs) != 0 {
		t.Errorf("the example is valid: %v", errs)
	}
}

func TestSetConfigKeepsRunningOnError(t *testing.T) {
	t.Parallel()
	e := newFamilyEngine(t, family())
	bad := family()
	bad.Timezone = "Mars/Olympus"
	if err := e.SetConfig(bad, listCats); err == nil {
		t.Fatal("a bad policy was applied")
	}
	if d := e.Decide(Query{Name: "www.roblox.com", Client: client("127.0.0.20"), Now: at("2026-11-26 19:30:00")}); d.Action != Block {
		t.Errorf("the running policy was lost: %+v", d)
	}
}

func TestCategories(t *testing.T) {
	t.Parallel()
	cat := blocklists.Builtin()
	got := family().Categories(cat)
	if strings.Join(got, ",") != "gambling,gaming,chat,video,bypass,vpn" {
		t.Errorf("Categories = %v", got)
	}
}

func TestDecideAllocs(t *testing.T) {
	e := newFamilyEngine(t, family())
	alex := client("127.0.0.20")
	now := at("2026-11-26 17:00:00")
	for _, name := range []string{"www.example.com", "www.roblox.com", "www.youtube.com", "discord.com", "school.example.org", "childline.org.uk", "www.google.com"} {
		var d Decision
		e.DecideInto(&d, name, e.Identify(&alex, now), now) // warm the cache and the schedule states
		if n := testing.AllocsPerRun(100, func() { e.Identify(&alex, now) }); n != 0 {
			t.Errorf("Identify (cached) allocates %.0f times", n)
		}
		who := e.Identify(&alex, now)
		if n := testing.AllocsPerRun(100, func() { e.DecideInto(&d, name, who, now) }); n != 0 {
			t.Errorf("DecideInto(%s) allocates %.0f times", name, n)
		}
	}
}

// BenchmarkDecide is a full decision: identify the device, match the name
// against the catalogue and 1M list entries, evaluate the group's rules.
func BenchmarkDecide(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.txt")
	var sb strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&sb, "host%d.big%d.example\n", i, i%1000)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg := family()
	cfg.Blocking.Block = append(cfg.Blocking.Block, "big")
	cats := append([]string{"big"}, listCats...)
	if errs := cfg.Validate(blocklists.Builtin(), cats); len(errs) > 0 {
		b.Fatal(errs)
	}
	e, err := NewEngine(cfg, Options{ListCategories: cats})
	if err != nil {
		b.Fatal(err)
	}
	e.SetLists(compiled(b, blocklists.SourceConfig{Name: "big", Category: "big", File: path}))
	if n := e.cur.Load().lists.Matcher.Len(); n < 1_000_000 {
		b.Fatalf("matcher holds %d entries", n)
	}
	kid := client("127.0.0.40")
	now := at("2026-11-26 17:30:00")
	for _, name := range []string{"www.example.com", "cdn.www.roblox.com", "host77.big77.example"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				e.DecideInto(&d, name, e.Identify(&kid, now), now)
			}
		})
	}
}
