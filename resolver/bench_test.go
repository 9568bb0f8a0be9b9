package resolver

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// discardWriter is a dns.ResponseWriter that keeps only the last reply size.
type discardWriter struct {
	remote net.Addr
	n      int
}

func (w *discardWriter) LocalAddr() net.Addr         { return w.remote }
func (w *discardWriter) RemoteAddr() net.Addr        { return w.remote }
func (w *discardWriter) Write(b []byte) (int, error) { w.n = len(b); return len(b), nil }
func (w *discardWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	w.n = len(b)
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
		name string
		edns bool
	}{{"plain", false}, {"edns", true}} {
		b.Run(bc.name, func(b *testing.B) {
			_, s, addr, _ := upstreamAndServer(b, nil)
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
			if w.n == 0 {
				b.Fatal("no reply written")
			}
		})
	}
}
