package upstream

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func query(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.SetEdns0(1232, false)
	return q
}

// exchange runs one query with a generous deadline and fails the test on error.
func exchange(t *testing.T, up Upstream, q *dns.Msg) *dns.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, err := up.Exchange(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", up, err)
	}
	return r
}

func mustNew(t *testing.T, addr string, opts Options, boot *Bootstrap) Upstream {
	t.Helper()
	up, err := New(addr, opts, boot)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.(Closer).Close)
	return up
}

func mustGroup(t *testing.T, cfg Config, opts Options) *Group {
	t.Helper()
	g, err := NewGroup(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

// deadAddr is a loopback address where nothing listens (UDP or TCP).
func deadAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func wantA(t *testing.T, r *dns.Msg, ip string) {
	t.Helper()
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("reply %v, want one A %s", r, ip)
	}
	if a, ok := r.Answer[0].(*dns.A); !ok || a.A.String() != ip {
		t.Fatalf("answer %v, want A %s", r.Answer[0], ip)
	}
}
