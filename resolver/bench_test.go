package resolver

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/blocklists"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
)

// discardWriter is a dns.ResponseWriter that keeps only the last reply size.
type discardWriter struct {
	remote net.Addr
	last   []byte // valid until the next query reuses the buffer
}

func (w *discardWriter) LocalAddr() net.Addr         { return w.remote }
func (w *discardWriter) RemoteAddr() net.Addr        { return w.remote }
func (w *discardWriter) Write(b []byte) (int, error) { w.last = b; return len(b), nil }
func (w *discardWriter) WriteMsg(m *dns.Msg) error {
	var err error
	w.last, err = m.Pack()
	return err
}
func (w *discardWriter) Close() error        { return nil }
func (w *discardWriter) TsigStatus() error   { return nil }
func (w *discardWriter) TsigTimersOnly(bool) {}
func (w *discardWriter) Hijack()             {}

// BenchmarkCacheHit measures the handler on a cache hit, from an unpacked
// query (what miekg/dns hands to ServeDNS) to the reply bytes.
func BenchmarkCacheHit(b *testing.B) {
	for _, bc := range []struct {
		name   string
		edns   bool
		policy bool // the catalogue loaded, gaming and social blocked
	}{{"plain", false, false}, {"edns", true, false}, {"policy", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			up := dnstest.NewServer(b)
			cfg := testConfig("udp://" + up.Addr)
			cfg.AllowClients = append(cfg.AllowClients, "192.168.0.0/16")
			opts := Options{} // the system clock, as in production
			if bc.policy {
				opts.Policy = catalogueEngine(b, "gaming", "social")
			}
			s, addr := startWith(b, cfg, opts)
			ask(b, addr, "www.example.com.", dns.TypeA)
			req := new(dns.Msg)
			req.SetQuestion("WWW.Example.com.", dns.TypeA)
			if bc.edns {
				req.SetEdns0(1232, false)
			}
			w := &discardWriter{remote: &net.UDPAddr{IP: net.IPv4(192, 168, 1, 20), Port: 5353}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.ServeDNS(w, req)
			}
			r := new(dns.Msg)
			if err := r.Unpack(w.last); err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || up.Queries() != 1 {
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
	w := &discardWriter{remote: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}}
	b.ReportAllocs()
	for b.Loop() {
		s.ServeDNS(w, req)
	}
	if r := new(dns.Msg); r.Unpack(w.last) != nil || len(r.Answer) != 1 {
		b.Fatalf("last reply %x is not an answer", w.last)
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
