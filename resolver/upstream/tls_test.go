package upstream

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/miekg/dns"
)

func TestDoT(t *testing.T) {
	t.Parallel()
	ca := dnstest.NewCA(t)
	s := dnstest.NewDoT(t, ca)
	up := mustNew(t, "tls://"+s.Addr, Options{RootCAs: ca.Pool}, nil)
	for i := range 10 {
		q := query("example.org.", dns.TypeA)
		q.Id = uint16(i + 1)
		r := exchange(t, up, q)
		wantA(t, r, "192.0.2.1")
		if r.Id != q.Id {
			t.Fatalf("reply ID %d, want %d", r.Id, q.Id)
		}
	}
	if s.Queries() != 10 || s.Conns() != 1 {
		t.Fatalf("queries %d over %d connections, want 10 over 1", s.Queries(), s.Conns())
	}

	// The server's certificate is not trusted without the test CA.
	untrusted := mustNew(t, "tls://"+s.Addr, Options{}, nil)
	if _, err := untrusted.Exchange(context.Background(), query("example.org.", dns.TypeA)); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}

func TestDoTRetriesOnStaleConnection(t *testing.T) {
	t.Parallel()
	ca := dnstest.NewCA(t)
	s := dnstest.NewDoT(t, ca)
	up := mustNew(t, "tls://"+s.Addr, Options{RootCAs: ca.Pool}, nil).(*dot)
	exchange(t, up, query("a.test.", dns.TypeA))
	// Break the pooled connection under the upstream's feet.
	up.mu.Lock()
	up.idle[0].co.Conn.(net.Conn).Close()
	up.mu.Unlock()
	wantA(t, exchange(t, up, query("a.test.", dns.TypeA)), "192.0.2.1")
	if s.Conns() != 2 {
		t.Fatalf("connections %d, want 2 (one retry)", s.Conns())
	}
}

func TestDoH(t *testing.T) {
	t.Parallel()
	ca := dnstest.NewCA(t)
	s := dnstest.NewDoH(t, ca)
	up := mustNew(t, s.URL, Options{RootCAs: ca.Pool}, nil)
	for i := range 10 {
		q := query("example.org.", dns.TypeA)
		q.Id = uint16(1000 + i)
		r := exchange(t, up, q)
		wantA(t, r, "192.0.2.1")
		if r.Id != q.Id {
			t.Fatalf("reply ID %d, want %d", r.Id, q.Id)
		}
		if id := s.LastQuery().Id; id != 0 {
			t.Fatalf("ID on the wire %d, want 0", id)
		}
	}
	if s.HTTPProtoMajor() != 2 {
		t.Fatalf("HTTP/%d, want HTTP/2", s.HTTPProtoMajor())
	}
	if s.Queries() != 10 || s.Conns() != 1 {
		t.Fatalf("queries %d over %d connections, want 10 over 1", s.Queries(), s.Conns())
	}

	s.SetMode(dnstest.ServFail)
	if r := exchange(t, up, query("example.org.", dns.TypeA)); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}

	notFound := mustNew(t, strings.Replace(s.URL, "/dns-query", "/nope", 1), Options{RootCAs: ca.Pool}, nil)
	if _, err := notFound.Exchange(context.Background(), query("a.test.", dns.TypeA)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404: err = %v", err)
	}
}

func TestDoHBadContentType(t *testing.T) {
	t.Parallel()
	ca := dnstest.NewCA(t)
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("hello"))
	}))
	hs.TLS = ca.ServerTLS(t, "127.0.0.1")
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(hs.Close)
	up := mustNew(t, hs.URL+"/dns-query", Options{RootCAs: ca.Pool}, nil)
	if _, err := up.Exchange(context.Background(), query("a.test.", dns.TypeA)); err == nil || !strings.Contains(err.Error(), "content type") {
		t.Fatalf("err = %v, want a content type error", err)
	}
}

// bootstrapServer answers dns.test A 127.0.0.1 (TTL 120) and nothing else.
func bootstrapServer(t *testing.T) *dnstest.Server {
	b := dnstest.NewServer(t)
	b.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg).SetReply(q)
		qq := q.Question[0]
		if !strings.EqualFold(qq.Name, "dns.test.") {
			return r.SetRcode(q, dns.RcodeNameError)
		}
		if qq.Qtype == dns.TypeA {
			r.Answer = []dns.RR{&dns.A{
				Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 120},
				A:   net.IPv4(127, 0, 0, 1),
			}}
		}
		return r
	})
	return b
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	ca := dnstest.NewCA(t)
	dotSrv := dnstest.NewDoT(t, ca)
	dohSrv := dnstest.NewDoH(t, ca)
	bs := bootstrapServer(t)
	boot, err := NewBootstrap([]string{bs.Addr}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	boot.now = func() time.Time { return now }

	_, dotPort, _ := net.SplitHostPort(dotSrv.Addr)
	_, dohPort, _ := net.SplitHostPort(dohSrv.Addr)
	opts := Options{RootCAs: ca.Pool}
	ups := []Upstream{
		mustNew(t, "tls://dns.test:"+dotPort, opts, boot),
		mustNew(t, "https://dns.test:"+dohPort+"/dns-query", opts, boot),
	}
	for _, up := range ups {
		wantA(t, exchange(t, up, query("example.org.", dns.TypeA)), "192.0.2.1")
	}
	if dotSrv.Queries() != 1 || dohSrv.Queries() != 1 {
		t.Fatalf("DoT %d and DoH %d queries, want 1 each", dotSrv.Queries(), dohSrv.Queries())
	}
	// A and AAAA once, then cached for both upstreams.
	if bs.Queries() != 2 {
		t.Fatalf("bootstrap queries %d, want 2", bs.Queries())
	}
	// Past the TTL (120 s) the name is resolved again.
	now = now.Add(121 * time.Second)
	addrs, err := boot.LookupHost(context.Background(), "dns.test")
	if err != nil || len(addrs) != 1 || addrs[0].String() != "127.0.0.1" {
		t.Fatalf("LookupHost = %v, %v", addrs, err)
	}
	if bs.Queries() != 4 {
		t.Fatalf("bootstrap queries %d, want 4 after expiry", bs.Queries())
	}
	// Unknown names fail; a stale entry is served when the server is down.
	if _, err := boot.LookupHost(context.Background(), "nope.test"); err == nil {
		t.Fatal("nope.test resolved")
	}
	bs.SetMode(dnstest.ServFail)
	now = now.Add(time.Hour)
	if addrs, err := boot.LookupHost(context.Background(), "dns.test"); err != nil || len(addrs) != 1 {
		t.Fatalf("stale LookupHost = %v, %v", addrs, err)
	}
}

func TestBootstrapTTLClamp(t *testing.T) {
	t.Parallel()
	bs := bootstrapServer(t)
	bs.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg).SetReply(q)
		if q.Question[0].Qtype == dns.TypeA {
			r.Answer = []dns.RR{&dns.A{
				Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1},
				A:   net.IPv4(127, 0, 0, 1),
			}}
		}
		return r
	})
	boot, err := NewBootstrap([]string{bs.Addr}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	boot.now = func() time.Time { return now }
	for _, step := range []time.Duration{0, 59 * time.Second} {
		now = now.Add(step)
		if _, err := boot.LookupHost(context.Background(), "short.test"); err != nil {
			t.Fatal(err)
		}
	}
	if bs.Queries() != 2 {
		t.Fatalf("bootstrap queries %d, want 2: a 1 s TTL is cached for 60 s", bs.Queries())
	}
}
