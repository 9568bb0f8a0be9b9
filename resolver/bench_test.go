package resolver

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
)

// BenchmarkCacheHit measures the handler on a cache hit, from an unpacked
// query (what miekg/dns hands to ServeDNS) to the reply bytes.
func BenchmarkCacheHit(b *testing.B) {
	for _, bc := range []struct {
		name   string
		edns   bool
		policy string // "catalogue": gaming and social blocked for all; "family": groups, devices, windows
		qname  string // "": www.example.com
	}{{"plain", false, "", ""}, {"edns", true, "", ""}, {"policy", false, "catalogue", ""}, {"family", false, "family", ""},
		// An unnamed device looking up a catalogue service (Netflix) again
		// and again: the services-today record costs nothing once made.
		{"unnamed-service", false, "catalogue", "www.netflix.com."}} {
		b.Run(bc.name, func(b *testing.B) {
			up := dnstest.NewServer(b)
			cfg := testConfig("udp://" + up.Addr)
			cfg.AllowClients = append(cfg.AllowClients, "192.168.0.0/16")
			// The per-client rate limit on, as by default, but high enough
			// never to refuse the benchmark's loop.
			cfg.RateLimit = RateLimitConfig{QPS: 1 << 30, Burst: 1 << 30}
			opts := Options{} // the system clock, as in production
			switch bc.policy {
			case "catalogue":
				opts.Policy = catalogueEngine(b, "gaming", "social")
			case "family":
				// A school day at noon, so the windows give the same
				// answer on every run.
				opts.Clock = clocktest.New(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
				opts.Policy = familyEngine(b)
			}
			s, addr := startWith(b, cfg, opts)
			qname := bc.qname
			if qname == "" {
				qname = "www.example.com."
			}
			ask(b, addr, qname, dns.TypeA)
			req := new(dns.Msg)
			req.SetQuestion(strings.ToUpper(qname[:5])+qname[5:], dns.TypeA)
			if bc.edns {
				req.SetEdns0(1232, false)
			}
			w := dnstest.NewDiscardWriter(net.IPv4(192, 168, 1, 20))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.ServeDNS(w, req)
			}
			r := new(dns.Msg)
			if err := r.Unpack(w.Last); err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || up.Queries() != 1 {
				b.Fatalf("last reply %v (%v) after %d upstream queries; want an answer from the cache", r, err, up.Queries())
			}
		})
	}
}

// BenchmarkCacheMiss measures a forwarded query (cache off) to a local
// upstream over UDP; the upstream's own work is included.
func BenchmarkCacheMiss(b *testing.B) {
	up := dnstest.NewServer(b)
	cfg := testConfig("udp://" + up.Addr)
	cfg.Cache.Size = 0
	s, _ := start(b, cfg, nil)
	req := new(dns.Msg)
	req.SetQuestion("www.example.com.", dns.TypeA)
	w := dnstest.NewDiscardWriter(net.IPv4(127, 0, 0, 1))
	b.ReportAllocs()
	for b.Loop() {
		s.ServeDNS(w, req)
	}
	if r := new(dns.Msg); r.Unpack(w.Last) != nil || len(r.Answer) != 1 {
		b.Fatalf("last reply %x is not an answer", w.Last)
	}
}

// catalogueEngine is a policy engine over the built-in catalogue.
func catalogueEngine(b *testing.B, block ...string) *policy.Engine {
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour}, blocklists.Options{Dir: b.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		b.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		b.Fatal(err)
	}
	e := newEngine(b, policy.BlockingConfig{Block: block, Response: policy.ResponseNullIP})
	e.SetLists(c)
	return e
}

// familyEngine is the catalogue with a family's policy: the client of the
// benchmarks (192.168.1.20) is a child's device with scheduled rules, safe
// search and bypass protection.
func familyEngine(b testing.TB) *policy.Engine {
	l, err := blocklists.New(blocklists.Config{Refresh: time.Hour}, blocklists.Options{Dir: b.TempDir(), Catalogue: blocklists.Builtin()})
	if err != nil {
		b.Fatal(err)
	}
	c, err := l.Compile()
	if err != nil {
		b.Fatal(err)
	}
	cfg := policy.Config{
		Timezone: "Europe/London",
		Calendar: policy.CalendarConfig{Holidays: []string{"2026-12-19..2027-01-04"}},
		Blocking: policy.BlockingConfig{Block: []string{"malware"}, Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Help:     policy.HelpConfig{Countries: []string{"gb"}},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices: []policy.DeviceConfig{
			{Name: "alex-tablet", IP: []string{"192.168.1.20"}, Group: "kids"},
			{Name: "parents", IP: []string{"192.168.2.0/24"}, Group: "default"},
		},
		Groups: map[string]policy.GroupConfig{"kids": {
			Rules: []policy.RuleConfig{
				{Block: []string{"gambling"}},
				{Block: []string{"gaming"}, Except: []string{"minecraft"}, Outside: []string{"mon-fri 16:00-19:00", "sat,sun 10:00-20:00"}, Holidays: []string{"daily 10:00-20:00"}},
				{Block: []string{"chat"}, Outside: []string{"daily 07:00-21:00"}},
				{Block: []string{"video"}, During: []string{"mon-fri 17:00-18:00"}},
			},
			Bedtime:          []string{"sun-thu 21:30-07:00", "fri,sat 22:30-08:00"},
			Allow:            []string{"school.example.org"},
			SafeSearch:       policy.SafeSearchStrict,
			BypassProtection: true,
		}},
	}
	e, err := policy.NewEngine(cfg, policy.Options{})
	if err != nil {
		b.Fatal(err)
	}
	e.SetLists(c)
	return e
}

// BenchmarkBlocked measures the handler answering a blocked name, with and
// without a journal taking the lookup.
func BenchmarkBlocked(b *testing.B) {
	for _, withJournal := range []bool{false, true} {
		name := "plain"
		if withJournal {
			name = "journal"
		}
		b.Run(name, func(b *testing.B) {
			up := dnstest.NewServer(b)
			cfg := testConfig("udp://" + up.Addr)
			cfg.AllowClients = append(cfg.AllowClients, "192.168.0.0/16")
			opts := Options{Clock: clocktest.New(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)), Policy: familyEngine(b)}
			if withJournal {
				j := journal.Open(journal.Config{Queue: 1 << 16, FlushInterval: time.Second, RetentionDays: 1, MaxSizeMB: 100},
					journal.Options{Dir: b.TempDir()})
				b.Cleanup(func() { _ = j.Close(context.Background()) })
				opts.Journal = j
			}
			s, _ := startWith(b, cfg, opts)
			req := new(dns.Msg)
			req.SetQuestion("www.roblox.com.", dns.TypeA)
			req.SetEdns0(1232, false)
			w := dnstest.NewDiscardWriter(net.IPv4(192, 168, 1, 20))
			b.ReportAllocs()
			for b.Loop() {
				s.ServeDNS(w, req)
			}
			r := new(dns.Msg)
			if err := r.Unpack(w.Last); err != nil || r.Rcode != dns.RcodeNameError {
				b.Fatalf("last reply %v (%v); want NXDOMAIN", r, err)
			}
		})
	}
}
