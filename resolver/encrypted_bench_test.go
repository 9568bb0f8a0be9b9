package resolver

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Encrypted cache hits on a kept-alive connection: the TLS handshake is paid
// once, outside the loop. Client and server are in this process, so ns/op
// and allocs/op include the client's side (miekg/dns's, net/http's);
// BenchmarkDoHHandler is the server's handler alone. With a device ID, as a
// phone set up from the dashboard asks. Figures for docs/performance.md:
// scripts/bench-encrypted.sh.

func BenchmarkDoTCacheHit(b *testing.B) {
	for _, sni := range []string{encName, "parent-phone." + encName} {
		b.Run(sni, func(b *testing.B) {
			h := encServerB(b)
			conn, err := dns.DialWithTLS("tcp", h.dot, &tls.Config{ServerName: sni, RootCAs: h.roots})
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			q := new(dns.Msg).SetQuestion("www.example.com.", dns.TypeA)
			exchange := func() *dns.Msg {
				if err := conn.WriteMsg(q); err != nil {
					b.Fatal(err)
				}
				r, err := conn.ReadMsg()
				if err != nil {
					b.Fatal(err, h.s.Stats().Encrypted)
				}
				return r
			}
			exchange() // into the cache
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				exchange()
			}
			b.StopTimer()
			if r := exchange(); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				b.Fatalf("last answer %v", r)
			}
		})
	}
}

func BenchmarkDoHCacheHit(b *testing.B) {
	for _, path := range []string{"/dns-query", "/dns-query/parent-phone"} {
		b.Run(path, func(b *testing.B) {
			h := encServerB(b)
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
				TLSClientConfig: &tls.Config{ServerName: encName, RootCAs: h.roots}}}
			q := new(dns.Msg).SetQuestion("www.example.com.", dns.TypeA)
			q.Id = 0
			wire, _ := q.Pack()
			url := "https://" + h.doh + path + "?dns=" + base64.RawURLEncoding.EncodeToString(wire)
			get := func() []byte {
				resp, err := c.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
					b.Fatalf("%s %s", resp.Status, resp.Proto)
				}
				return body
			}
			get()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				get()
			}
		})
	}
}

// BenchmarkDoHHandler is the DoH handler alone on a cache hit, a POST as
// net/http hands it over (no network, no TLS).
func BenchmarkDoHHandler(b *testing.B) {
	h := encServerB(b)
	q := new(dns.Msg).SetQuestion("www.example.com.", dns.TypeA)
	wire, _ := q.Pack()
	handler := h.s.DoHHandler()
	req := httptest.NewRequest("POST", "/dns-query/parent-phone", nil)
	req.Header.Set("Content-Type", "application/dns-message")
	req.RemoteAddr = "127.0.0.1:40000"
	serve := func() *httptest.ResponseRecorder {
		req.Body = io.NopCloser(bytes.NewReader(wire))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec
	}
	serve()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
	b.StopTimer()
	if rec := serve(); rec.Code != 200 {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// encServerB is encServer for benchmarks: no rate limit in the way.
func encServerB(b *testing.B) *encHarness {
	b.Helper()
	return encServer(b, func(c *Config) { c.RateLimit = RateLimitConfig{QPS: 1 << 30, Burst: 1 << 30} })
}
