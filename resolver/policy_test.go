package resolver

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/identity"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/state"
)

// Integration tests of the policy inside the resolver: a real engine over the
// built-in catalogue, Hearth on a loopback port in front of a dnstest
// upstream, and queries from a miekg/dns client bound to the address of the
// device it plays.

// The household of these tests. Every 127.0.0.0/8 address is loopback on
// Linux, so each device can send from its own address.
const (
	kidIP      = "127.0.0.2"  // alex-tablet, in kids
	guestIP    = "127.0.0.3"  // unknown: the default group
	teenIP     = "127.0.0.4"  // jo-laptop, in teens
	routerIP   = "127.0.0.53" // a trusted forwarder (dnsmasq --add-mac)
	strangerIP = "127.0.0.54" // not a forwarder
	phoneMAC   = "3c:22:fb:12:34:56"
)

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// thursday is a school day in the household's zone.
func thursday(hour, min, sec int) time.Time {
	return time.Date(2026, 11, 26, hour, min, sec, 0, london)
}

// gamingText is the EDE text of roblox blocked for the kids outside their
// gaming windows.
const gamingText = "hearth: gaming/roblox ||roblox.com^ (groups.kids.rules[0], allowed weekdays 16:00-19:00, weekends 10:00-20:00)"

// household is the policy: kids may game after school and at weekends,
// sleep at night, search safely and are kept from bypassing the filter;
// teens get moderate safe search; everyone else (the default group) nothing.
func household() policy.Config {
	return policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Block: []string{"ads"}, Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Help:     policy.HelpConfig{Countries: []string{"gb"}},
		Identify: policy.IdentifyConfig{Refresh: time.Minute, Forwarders: []string{routerIP}},
		Devices: []policy.DeviceConfig{
			{Name: "alex-tablet", IP: []string{kidIP}, Group: "kids"},
			{Name: "alex-phone", MAC: []string{phoneMAC}, Group: "kids"},
			{Name: "jo-laptop", IP: []string{teenIP}, Group: "teens"},
		},
		Groups: map[string]policy.GroupConfig{
			"default": {},
			"kids": {
				Rules:            []policy.RuleConfig{{Block: []string{"gaming"}, Outside: []string{"mon-fri 16:00-19:00", "sat,sun 10:00-20:00"}}},
				Bedtime:          []string{"sun-thu 21:30-07:00", "fri,sat 22:30-08:00"},
				SafeSearch:       policy.SafeSearchStrict,
				BypassProtection: true,
			},
			"teens": {SafeSearch: policy.SafeSearchModerate},
		},
	}
}

// policyHarness is Hearth with a policy engine on a fake clock, in front of
// an upstream that records the names it is asked.
type policyHarness struct {
	up     *dnstest.Server
	addr   string
	engine *policy.Engine
	clk    *clocktest.Fake

	mu    sync.Mutex
	names []string // asked upstream, in order
}

// policyServer starts Hearth with cfg's policy at the instant now. The
// engine's lists are the built-in catalogue plus an inline "ads" list.
func policyServer(t *testing.T, cfg policy.Config, now time.Time) *policyHarness {
	t.Helper()
	clk := clocktest.New(now)
	engine := policytest.Engine(t, cfg, clk)
	h := &policyHarness{up: dnstest.NewServer(t), engine: engine, clk: clk}
	h.setHandler(dnstest.DefaultHandler)
	_, h.addr = startWith(t, testConfig("udp://"+h.up.Addr), Options{Policy: engine, Clock: clk})
	return h
}

// setHandler answers upstream queries with fn, recording each name asked
// (lowercased: the upstream sees it in random 0x20 case).
func (h *policyHarness) setHandler(fn func(*dns.Msg) *dns.Msg) {
	h.up.SetHandler(func(q *dns.Msg) *dns.Msg {
		if len(q.Question) == 1 {
			h.mu.Lock()
			h.names = append(h.names, strings.ToLower(q.Question[0].Name))
			h.mu.Unlock()
		}
		return fn(q)
	})
}

// asked returns the names the upstream has been asked, and forgets them.
func (h *policyHarness) asked() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.names
	h.names = nil
	return out
}

// ask sends name from the device at address from, with EDNS (so that an EDE
// can come back).
func (h *policyHarness) ask(t *testing.T, from, name string, qtype uint16, opts ...qopt) *dns.Msg {
	t.Helper()
	opts = append(append([]qopt{withEDNS(1232, false)}, opts...), sendFrom(from))
	return ask(t, h.addr, name, qtype, opts...)
}

// sendFrom binds the client's socket to ip; it goes after overTCP.
func sendFrom(ip string) qopt {
	return func(_ *dns.Msg, c *dns.Client) {
		var local net.Addr = &net.UDPAddr{IP: net.ParseIP(ip)}
		if c.Net == "tcp" {
			local = &net.TCPAddr{IP: net.ParseIP(ip)}
		}
		c.Dialer = &net.Dialer{Timeout: 3 * time.Second, LocalAddr: local}
	}
}

// withOption adds an EDNS0 option to the query (after withEDNS).
func withOption(o dns.EDNS0) qopt {
	return func(m *dns.Msg, _ *dns.Client) {
		if m.IsEdns0() == nil {
			m.SetEdns0(1232, false)
		}
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, o)
	}
}

// withMAC is the option dnsmasq --add-mac adds: code 65001, the 6 raw bytes.
func withMAC(t *testing.T, mac string) qopt {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	return withOption(&dns.EDNS0_LOCAL{Code: EDNSMACOption, Data: hw})
}

// withECS is an EDNS Client Subnet option naming one IPv4 client.
func withECS(ip string) qopt {
	return withOption(&dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 32, Address: net.ParseIP(ip).To4()})
}

// summary renders an answer as "RCODE: rr; rr" with the answer section's
// records in presentation form (owner, TTL, class, type, data), so a
// comparison checks names, data and TTLs at once.
func summary(m *dns.Msg) string {
	rrs := make([]string, len(m.Answer))
	for i, rr := range m.Answer {
		rrs[i] = strings.Join(strings.Fields(rr.String()), " ")
	}
	return dns.RcodeToString[m.Rcode] + ": " + strings.Join(rrs, "; ")
}

// edeOf returns the Extended DNS Error of m, or nil.
func edeOf(m *dns.Msg) *dns.EDNS0_EDE {
	if opt := m.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				return e
			}
		}
	}
	return nil
}

// wantBlocked checks m is Hearth's block answer: summary sum and an EDE 15
// whose text is text.
func wantBlocked(t *testing.T, what string, m *dns.Msg, sum, text string) {
	t.Helper()
	if got := summary(m); got != sum {
		t.Errorf("%s: %q, want %q", what, got, sum)
	}
	switch e := edeOf(m); {
	case e == nil:
		t.Errorf("%s: no Extended DNS Error", what)
	case e.InfoCode != dns.ExtendedErrorCodeBlocked || e.ExtraText != text:
		t.Errorf("%s: EDE %d %q, want %d %q", what, e.InfoCode, e.ExtraText, dns.ExtendedErrorCodeBlocked, text)
	}
}

// wantPassed checks m is the upstream's answer, summary sum, without an EDE.
func wantPassed(t *testing.T, what string, m *dns.Msg, sum string) {
	t.Helper()
	if got := summary(m); got != sum {
		t.Errorf("%s: %q, want %q", what, got, sum)
	}
	if e := edeOf(m); e != nil {
		t.Errorf("%s: EDE %d %q on an answer that was not blocked", what, e.InfoCode, e.ExtraText)
	}
}

func TestPolicyDevicesBySourceAddress(t *testing.T) {
	t.Parallel()
	h := policyServer(t, household(), thursday(12, 0, 0))
	// The same name, at the same instant: the kid's tablet is outside its
	// gaming hours; an unknown device is in the default group.
	wantBlocked(t, "kid www.roblox.com", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA), "NXDOMAIN: ", gamingText)
	wantPassed(t, "guest www.roblox.com", h.ask(t, guestIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
	// Over TCP too, and whatever the letter case (kept in the answer).
	wantBlocked(t, "kid www.roblox.com over TCP", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA, overTCP()), "NXDOMAIN: ", gamingText)
	wantPassed(t, "guest www.roblox.com over TCP", h.ask(t, guestIP, "www.roblox.com.", dns.TypeA, overTCP()),
		"NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
	m := h.ask(t, kidIP, "WWW.Roblox.COM.", dns.TypeA)
	wantBlocked(t, "kid WWW.Roblox.COM", m, "NXDOMAIN: ", gamingText)
	if q := m.Question[0].Name; q != "WWW.Roblox.COM." {
		t.Errorf("question %q, want the client's case", q)
	}
	// The kid is not blocked wholesale.
	wantPassed(t, "kid www.example.com", h.ask(t, kidIP, "www.example.com.", dns.TypeA),
		"NOERROR: www.example.com. 300 IN A 192.0.2.1")
	// The kid asked again after the guest: the cached answer is not
	// handed out past the policy.
	wantBlocked(t, "kid www.roblox.com again", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA), "NXDOMAIN: ", gamingText)
	if got, want := h.asked(), []string{"www.roblox.com.", "www.example.com."}; !slices.Equal(got, want) {
		t.Errorf("upstream asked %q, want %q (blocked names are answered locally)", got, want)
	}
	// Both devices are remembered under their addresses.
	seen := map[string]string{}
	for _, s := range h.engine.Devices().List() {
		seen[s.Key] = s.Device
	}
	if dev, ok := seen["ip:"+kidIP]; !ok || dev != "alex-tablet" {
		t.Errorf("registry %v: want ip:%s as alex-tablet", seen, kidIP)
	}
	if dev, ok := seen["ip:"+guestIP]; !ok || dev != "" {
		t.Errorf("registry %v: want ip:%s as an unknown device", seen, guestIP)
	}
}

func TestPolicyDevicesByEDNS(t *testing.T) {
	t.Parallel()
	h := policyServer(t, household(), thursday(12, 0, 0))
	const name = "www.roblox.com."
	passed := "NOERROR: www.roblox.com. 300 IN A 192.0.2.1"
	otherMAC := "02:00:00:00:00:01"
	for _, tc := range []struct {
		what    string
		from    string
		opt     []qopt
		blocked bool
	}{
		// The router itself is not a configured device.
		{"router, no option", routerIP, nil, false},
		{"router, the phone's MAC", routerIP, []qopt{withMAC(t, phoneMAC)}, true},
		{"router, another MAC", routerIP, []qopt{withMAC(t, otherMAC)}, false},
		{"router, ECS /32 of the tablet", routerIP, []qopt{withECS(kidIP)}, true},
		{"router, ECS /32 of a guest", routerIP, []qopt{withECS(guestIP)}, false},
		// Anyone else's claims are ignored: they are their source address.
		{"stranger, the phone's MAC", strangerIP, []qopt{withMAC(t, phoneMAC)}, false},
		{"stranger, ECS /32 of the tablet", strangerIP, []qopt{withECS(kidIP)}, false},
		// ... both ways: the tablet cannot pass itself off as a guest.
		{"tablet, ECS /32 of a guest", kidIP, []qopt{withECS(guestIP)}, true},
		{"tablet, another MAC", kidIP, []qopt{withMAC(t, otherMAC)}, true},
	} {
		m := h.ask(t, tc.from, name, dns.TypeA, tc.opt...)
		if tc.blocked {
			wantBlocked(t, tc.what, m, "NXDOMAIN: ", gamingText)
		} else {
			wantPassed(t, tc.what, m, passed)
		}
	}
	seen := map[string]string{}
	for _, s := range h.engine.Devices().List() {
		seen[s.Key] = s.Device
	}
	if dev, ok := seen["mac:"+phoneMAC]; !ok || dev != "alex-phone" {
		t.Errorf("registry %v: want mac:%s as alex-phone", seen, phoneMAC)
	}
}

func TestPolicyBlockResponses(t *testing.T) {
	t.Parallel()
	cfg := household()
	gaming := []policy.RuleConfig{{Block: []string{"gaming"}}}
	groups := []struct {
		group, response, ip string
	}{
		{"nx", "", "127.0.0.11"}, // blocking.response: nxdomain
		{"null-ip", policy.ResponseNullIP, "127.0.0.12"},
		{"refused", policy.ResponseRefused, "127.0.0.13"},
		{"page", "192.0.2.80", "127.0.0.14"},
		{"page6", "192.0.2.80,fd00::80", "127.0.0.15"},
	}
	for _, g := range groups {
		cfg.Groups[g.group] = policy.GroupConfig{Rules: gaming, BlockResponse: g.response}
		cfg.Devices = append(cfg.Devices, policy.DeviceConfig{Name: g.group + "-device", IP: []string{g.ip}, Group: g.group})
	}
	h := policyServer(t, cfg, thursday(12, 0, 0))
	want := map[string][2]string{ // group: A, AAAA summaries
		"nx":      {"NXDOMAIN: ", "NXDOMAIN: "},
		"null-ip": {"NOERROR: www.roblox.com. 10 IN A 0.0.0.0", "NOERROR: www.roblox.com. 10 IN AAAA ::"},
		"refused": {"REFUSED: ", "REFUSED: "},
		"page":    {"NOERROR: www.roblox.com. 10 IN A 192.0.2.80", "NOERROR: "}, // no IPv6 page: no data
		"page6":   {"NOERROR: www.roblox.com. 10 IN A 192.0.2.80", "NOERROR: www.roblox.com. 10 IN AAAA fd00::80"},
	}
	for _, g := range groups {
		text := "hearth: gaming/roblox ||roblox.com^ (groups." + g.group + ".rules[0])"
		for i, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			what := g.group + " " + dns.TypeToString[qtype]
			wantBlocked(t, what, h.ask(t, g.ip, "www.roblox.com.", qtype), want[g.group][i], text)
		}
		// Other types get no data from an address response.
		m := h.ask(t, g.ip, "www.roblox.com.", dns.TypeTXT)
		if len(m.Answer) != 0 || edeOf(m) == nil {
			t.Errorf("%s TXT: %s, EDE %v; want no records and an EDE", g.group, summary(m), edeOf(m))
		}
	}
	if got := h.asked(); len(got) != 0 {
		t.Errorf("upstream asked %q for blocked names", got)
	}
}

// chainHandler answers A queries under example.test with a CNAME to
// www.roblox.com and roblox's address, as a CDN or a link shortener would.
func chainHandler(q *dns.Msg) *dns.Msg {
	qq := q.Question[0]
	if !dns.IsSubDomain("example.test.", strings.ToLower(qq.Name)) || qq.Qtype != dns.TypeA {
		return dnstest.DefaultHandler(q)
	}
	r := new(dns.Msg)
	r.SetReply(q)
	r.RecursionAvailable = true
	if o := q.IsEdns0(); o != nil {
		r.SetEdns0(1232, o.Do())
	}
	r.Answer = []dns.RR{
		&dns.CNAME{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "www.roblox.com."},
		&dns.A{Hdr: dns.RR_Header{Name: "www.roblox.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, 7)},
	}
	return r
}

func TestPolicyCNAMEChainBlocked(t *testing.T) {
	t.Parallel()
	h := policyServer(t, household(), thursday(12, 0, 0))
	h.setHandler(chainHandler)
	chain := func(name string) string {
		return "NOERROR: " + name + " 300 IN CNAME www.roblox.com.; www.roblox.com. 300 IN A 192.0.2.7"
	}
	checkBlocked := func(what string, m *dns.Msg) {
		t.Helper()
		if got := summary(m); got != "NXDOMAIN: " {
			t.Errorf("%s: %q, want NXDOMAIN", what, got)
		}
		e := edeOf(m)
		if e == nil {
			t.Errorf("%s: no EDE", what)
			return
		}
		// The text names the CNAME that was blocked, not only the rule:
		// the name asked is not roblox's.
		want := "hearth: CNAME www.roblox.com: " + strings.TrimPrefix(gamingText, "hearth: ")
		if e.InfoCode != dns.ExtendedErrorCodeBlocked || e.ExtraText != want {
			t.Errorf("%s: EDE %d %q, want %d %q", what, e.InfoCode, e.ExtraText, dns.ExtendedErrorCodeBlocked, want)
		}
	}
	// The kid first: blocked on the way from the upstream, then from the
	// cache; the guest gets the cached answer whole.
	checkBlocked("kid, from upstream", h.ask(t, kidIP, "video.example.test.", dns.TypeA))
	wantPassed(t, "guest, cached", h.ask(t, guestIP, "video.example.test.", dns.TypeA), chain("video.example.test."))
	checkBlocked("kid, cached", h.ask(t, kidIP, "video.example.test.", dns.TypeA))
	// The guest first this time.
	wantPassed(t, "guest, from upstream", h.ask(t, guestIP, "clip.example.test.", dns.TypeA), chain("clip.example.test."))
	checkBlocked("kid, cached", h.ask(t, kidIP, "clip.example.test.", dns.TypeA))
	wantPassed(t, "guest, cached", h.ask(t, guestIP, "clip.example.test.", dns.TypeA), chain("clip.example.test."))
	if got, want := h.asked(), []string{"video.example.test.", "clip.example.test."}; !slices.Equal(got, want) {
		t.Errorf("upstream asked %q, want %q: each name once, then the cache", got, want)
	}
	// In the kid's gaming hours the chain passes for the kid too.
	h.clk.Set(thursday(17, 0, 0))
	m := h.ask(t, kidIP, "video.example.test.", dns.TypeA)
	if e := edeOf(m); e != nil || len(m.Answer) != 2 || m.Rcode != dns.RcodeSuccess {
		t.Errorf("kid in gaming hours: %s (EDE %v), want the chain", summary(m), e)
	}
}

func TestPolicyTTLCappedAtNextChange(t *testing.T) {
	t.Parallel()
	cfg := household()
	kids := cfg.Groups["kids"]
	kids.BlockResponse = policy.ResponseNullIP // a blocked answer with a TTL to see
	cfg.Groups["kids"] = kids
	// Two minutes before the gaming window closes at 19:00.
	h := policyServer(t, cfg, thursday(18, 58, 0))
	wantPassed(t, "kid, from upstream", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 120 IN A 192.0.2.1")
	h.clk.Advance(30 * time.Second)
	wantPassed(t, "kid, cached 30s later", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 90 IN A 192.0.2.1")
	// The cap is the kid's, not the cache's: a guest gets the upstream's
	// TTL, aged.
	wantPassed(t, "guest, cached", h.ask(t, guestIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 270 IN A 192.0.2.1")
	// Through a CNAME chain the target's window caps the whole answer,
	// from the upstream and from the cache.
	h.setHandler(chainHandler)
	wantPassed(t, "kid, chain from upstream", h.ask(t, kidIP, "video.example.test.", dns.TypeA),
		"NOERROR: video.example.test. 90 IN CNAME www.roblox.com.; www.roblox.com. 90 IN A 192.0.2.7")
	h.clk.Advance(20 * time.Second)
	wantPassed(t, "kid, chain cached", h.ask(t, kidIP, "video.example.test.", dns.TypeA),
		"NOERROR: video.example.test. 70 IN CNAME www.roblox.com.; www.roblox.com. 70 IN A 192.0.2.7")
	wantPassed(t, "guest, chain cached", h.ask(t, guestIP, "video.example.test.", dns.TypeA),
		"NOERROR: video.example.test. 280 IN CNAME www.roblox.com.; www.roblox.com. 280 IN A 192.0.2.7")
	if got, want := h.asked(), []string{"www.roblox.com.", "video.example.test."}; !slices.Equal(got, want) {
		t.Errorf("upstream asked %q, want %q", got, want)
	}
	// When the window closes, the answer still in the cache is blocked.
	h.clk.Set(thursday(19, 0, 0))
	wantBlocked(t, "kid at 19:00", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 10 IN A 0.0.0.0", gamingText)
	wantBlocked(t, "kid chain at 19:00", h.ask(t, kidIP, "video.example.test.", dns.TypeA),
		"NOERROR: video.example.test. 10 IN A 0.0.0.0", "hearth: CNAME www.roblox.com: "+strings.TrimPrefix(gamingText, "hearth: "))
	// Five seconds before the window opens, a blocked answer lives five
	// seconds (blocking.ttl is 10s); half a minute before, the full 10s.
	h.clk.Set(thursday(15, 59, 30))
	wantBlocked(t, "kid, 30s before the window", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 10 IN A 0.0.0.0", gamingText)
	h.clk.Set(thursday(15, 59, 55))
	wantBlocked(t, "kid, 5s before the window", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 5 IN A 0.0.0.0", gamingText)
	// At the opening it resolves, capped at the window's three hours.
	h.clk.Set(thursday(16, 0, 0))
	m := h.ask(t, kidIP, "www.roblox.com.", dns.TypeA)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 || edeOf(m) != nil || m.Answer[0].(*dns.A).A.String() != "192.0.2.1" {
		t.Errorf("kid at 16:00: %s, want the upstream's answer", summary(m))
	}
}

func TestPolicySafeSearch(t *testing.T) {
	t.Parallel()
	h := policyServer(t, household(), thursday(12, 0, 0))
	for _, tc := range []struct {
		what, from, name string
		qtype            uint16
		sum              string
		asked            string // what the upstream is asked
	}{
		{"kid google", kidIP, "www.google.com.", dns.TypeA,
			"NOERROR: www.google.com. 300 IN CNAME forcesafesearch.google.com.; forcesafesearch.google.com. 300 IN A 192.0.2.1",
			"forcesafesearch.google.com."},
		{"kid google AAAA", kidIP, "www.google.com.", dns.TypeAAAA,
			"NOERROR: www.google.com. 300 IN CNAME forcesafesearch.google.com.; forcesafesearch.google.com. 300 IN AAAA 2001:db8::1",
			"forcesafesearch.google.com."},
		{"kid youtube", kidIP, "www.youtube.com.", dns.TypeA,
			"NOERROR: www.youtube.com. 300 IN CNAME restrict.youtube.com.; restrict.youtube.com. 300 IN A 192.0.2.1",
			"restrict.youtube.com."},
		{"kid bing, name in capitals", kidIP, "WWW.Bing.com.", dns.TypeA,
			"NOERROR: WWW.Bing.com. 300 IN CNAME strict.bing.com.; strict.bing.com. 300 IN A 192.0.2.1",
			"strict.bing.com."},
		{"teen youtube", teenIP, "www.youtube.com.", dns.TypeA,
			"NOERROR: www.youtube.com. 300 IN CNAME restrictmoderate.youtube.com.; restrictmoderate.youtube.com. 300 IN A 192.0.2.1",
			"restrictmoderate.youtube.com."},
		{"teen google", teenIP, "www.google.com.", dns.TypeA,
			"NOERROR: www.google.com. 300 IN CNAME forcesafesearch.google.com.; forcesafesearch.google.com. 300 IN A 192.0.2.1",
			""}, // cached from the kid's query
		{"guest google", guestIP, "www.google.com.", dns.TypeA,
			"NOERROR: www.google.com. 300 IN A 192.0.2.1", "www.google.com."},
		{"guest youtube", guestIP, "www.youtube.com.", dns.TypeA,
			"NOERROR: www.youtube.com. 300 IN A 192.0.2.1", "www.youtube.com."},
	} {
		m := h.ask(t, tc.from, tc.name, tc.qtype)
		wantPassed(t, tc.what, m, tc.sum)
		var want []string
		if tc.asked != "" {
			want = []string{tc.asked}
		}
		if got := h.asked(); !slices.Equal(got, want) {
			t.Errorf("%s: upstream asked %q, want %q", tc.what, got, want)
		}
	}
}

func TestPolicyBypassCanary(t *testing.T) {
	t.Parallel()
	cfg := household()
	kids := cfg.Groups["kids"]
	kids.BlockResponse = policy.ResponseNullIP
	cfg.Groups["kids"] = kids
	h := policyServer(t, cfg, thursday(12, 0, 0))
	// The group's response is null_ip ...
	wantBlocked(t, "kid roblox", h.ask(t, kidIP, "www.roblox.com.", dns.TypeA),
		"NOERROR: www.roblox.com. 10 IN A 0.0.0.0", gamingText)
	// ... but Firefox's canary and Private Relay must fail: NXDOMAIN.
	for _, tc := range []struct{ name, text string }{
		{"use-application-dns.net.", "hearth: bypass ||use-application-dns.net^ (groups.kids.bypass_protection)"},
		{"mask.icloud.com.", "hearth: bypass/icloud-private-relay ||mask.icloud.com^ (groups.kids.bypass_protection)"},
		{"mask-h2.icloud.com.", "hearth: bypass/icloud-private-relay ||mask-h2.icloud.com^ (groups.kids.bypass_protection)"},
	} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeHTTPS} {
			wantBlocked(t, "kid "+tc.name+" "+dns.TypeToString[qtype], h.ask(t, kidIP, tc.name, qtype), "NXDOMAIN: ", tc.text)
		}
	}
	if got := h.asked(); len(got) != 0 {
		t.Errorf("upstream asked %q for blocked names", got)
	}
	// Without bypass protection the names are forwarded.
	wantPassed(t, "guest canary", h.ask(t, guestIP, "use-application-dns.net.", dns.TypeA),
		"NOERROR: use-application-dns.net. 300 IN A 192.0.2.1")
	wantPassed(t, "guest relay", h.ask(t, guestIP, "mask.icloud.com.", dns.TypeA),
		"NOERROR: mask.icloud.com. 300 IN A 192.0.2.1")
	if got, want := h.asked(), []string{"use-application-dns.net.", "mask.icloud.com."}; !slices.Equal(got, want) {
		t.Errorf("upstream asked %q, want %q", got, want)
	}
}

func TestPolicyHelpSitesAtBedtime(t *testing.T) {
	t.Parallel()
	// Thursday 23:00: the kids' bedtime (until 07:00).
	h := policyServer(t, household(), thursday(23, 0, 0))
	const bedtime = "hearth: bedtime mon-thu,sun 21:30-07:00, fri,sat 22:30-08:00"
	wantBlocked(t, "kid example.com", h.ask(t, kidIP, "example.com.", dns.TypeA), "NXDOMAIN: ", bedtime)
	wantPassed(t, "kid childline", h.ask(t, kidIP, "www.childline.org.uk.", dns.TypeA),
		"NOERROR: www.childline.org.uk. 300 IN A 192.0.2.1")
	wantPassed(t, "kid childline apex", h.ask(t, kidIP, "childline.org.uk.", dns.TypeAAAA),
		"NOERROR: childline.org.uk. 300 IN AAAA 2001:db8::1")
	wantPassed(t, "guest example.com", h.ask(t, guestIP, "example.com.", dns.TypeA),
		"NOERROR: example.com. 300 IN A 192.0.2.1")
	if got, want := h.asked(), []string{"www.childline.org.uk.", "childline.org.uk.", "example.com."}; !slices.Equal(got, want) {
		t.Errorf("upstream asked %q, want %q", got, want)
	}
	// A help site's answer is trusted whole, though its CNAME target is no
	// help site and it is bedtime.
	h.setHandler(func(q *dns.Msg) *dns.Msg {
		r := dnstest.DefaultHandler(q)
		if strings.EqualFold(q.Question[0].Name, "chat.childline.org.uk.") && q.Question[0].Qtype == dns.TypeA {
			r.Answer = []dns.RR{
				&dns.CNAME{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: "chat.vendor.example."},
				&dns.A{Hdr: dns.RR_Header{Name: "chat.vendor.example.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.IPv4(192, 0, 2, 9)},
			}
		}
		return r
	})
	wantPassed(t, "kid childline chat", h.ask(t, kidIP, "chat.childline.org.uk.", dns.TypeA),
		"NOERROR: chat.childline.org.uk. 300 IN CNAME chat.vendor.example.; chat.vendor.example. 300 IN A 192.0.2.9")
}

func TestPolicyPauseOverride(t *testing.T) {
	t.Parallel()
	now := thursday(12, 0, 0)
	h := policyServer(t, household(), now)
	ovs := h.engine.Overrides()
	p, err := ovs.Add(state.Override{Kind: state.OverridePause, Device: "alex-tablet", Until: now.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	const paused = "hearth: paused until Thu 12:30"
	for _, name := range []string{"example.com.", "www.wikipedia.org."} {
		wantBlocked(t, "paused kid "+name, h.ask(t, kidIP, name, dns.TypeA), "NXDOMAIN: ", paused)
	}
	// Help sites still resolve; other devices are not paused.
	wantPassed(t, "paused kid childline", h.ask(t, kidIP, "www.childline.org.uk.", dns.TypeA),
		"NOERROR: www.childline.org.uk. 300 IN A 192.0.2.1")
	wantPassed(t, "guest", h.ask(t, guestIP, "example.com.", dns.TypeA), "NOERROR: example.com. 300 IN A 192.0.2.1")
	if err := ovs.Cancel(p.ID); err != nil {
		t.Fatal(err)
	}
	wantPassed(t, "kid after cancel", h.ask(t, kidIP, "example.com.", dns.TypeA), "NOERROR: example.com. 300 IN A 192.0.2.1")
	wantPassed(t, "kid after cancel, not cached", h.ask(t, kidIP, "www.wikipedia.org.", dns.TypeA),
		"NOERROR: www.wikipedia.org. 300 IN A 192.0.2.1")
	if got, want := h.asked(), []string{"www.childline.org.uk.", "example.com.", "www.wikipedia.org."}; !slices.Equal(got, want) {
		t.Errorf("upstream asked %q, want %q", got, want)
	}

	// A pause about to end: a blocked answer does not outlive it (shown
	// with a group answering null_ip, whose answers carry a TTL).
	cfg := household()
	kids := cfg.Groups["kids"]
	kids.BlockResponse = policy.ResponseNullIP
	cfg.Groups["kids"] = kids
	h = policyServer(t, cfg, now)
	if _, err := h.engine.Overrides().Add(state.Override{Kind: state.OverridePause, Group: "kids", Until: now.Add(4 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	wantBlocked(t, "kid, pause ending", h.ask(t, kidIP, "example.com.", dns.TypeA),
		"NOERROR: example.com. 4 IN A 0.0.0.0", "hearth: paused until Thu 12:00")
	h.clk.Advance(4 * time.Second)
	wantPassed(t, "kid, pause ended", h.ask(t, kidIP, "example.com.", dns.TypeA), "NOERROR: example.com. 300 IN A 192.0.2.1")
}

// A router sending both a MAC option and a /32 client subnet (dnsmasq
// --add-mac --add-subnet=32) for a client whose MAC is not configured: the
// device is found by the subnet's address, as Identify finds it. The answer
// must not depend on which client that router forwarded first with the same
// MAC (all clients behind a further routing hop share the hop's MAC).
func TestPolicyIdentityUnknownMACWithECS(t *testing.T) {
	t.Parallel()
	const hopMAC = "02:00:00:00:00:01" // configured nowhere
	for _, order := range [][]string{{guestIP, kidIP}, {kidIP, guestIP}} {
		h := policyServer(t, household(), thursday(12, 0, 0))
		for _, client := range order {
			m := h.ask(t, routerIP, "www.roblox.com.", dns.TypeA, withMAC(t, hopMAC), withECS(client))
			what := "MAC " + hopMAC + " with ECS " + client + " (after " + order[0] + ")"
			if client == kidIP {
				wantBlocked(t, what, m, "NXDOMAIN: ", gamingText)
			} else {
				wantPassed(t, what, m, "NOERROR: www.roblox.com. 300 IN A 192.0.2.1")
			}
		}
		// What `hearth explain` reports (Identify, uncached) for the kid.
		hw, _ := net.ParseMAC(hopMAC)
		ci := identity.ClientInfo{Addr: netip.MustParseAddr(kidIP), Remote: netip.MustParseAddr(routerIP), MAC: hw}
		if got := h.engine.Lookup(ci); got.Device != "alex-tablet" {
			t.Errorf("Identify(%+v) = %+v, want alex-tablet", ci, got)
		}
	}
}
