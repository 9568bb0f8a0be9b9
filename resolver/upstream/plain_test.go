package upstream

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/miekg/dns"
)

func TestPlain(t *testing.T) {
	t.Parallel()
	s := dnstest.NewServer(t)
	for _, addr := range []string{s.Addr, "udp://" + s.Addr, "tcp://" + s.Addr} {
		up := mustNew(t, addr, Options{}, nil)
		q := query("example.org.", dns.TypeA)
		q.Id = 4242
		before := q.String()
		r := exchange(t, up, q)
		wantA(t, r, "192.0.2.1")
		if r.Id != 4242 {
			t.Errorf("%s: reply ID %d, want the query's 4242", addr, r.Id)
		}
		if q.String() != before {
			t.Errorf("%s: query modified", addr)
		}
	}
	if s.Conns() != 1 {
		t.Errorf("TCP connections %d, want 1 (the tcp:// query only)", s.Conns())
	}
}

func TestUDPTruncatedRetriesOverTCP(t *testing.T) {
	t.Parallel()
	s := dnstest.NewServer(t)
	up := mustNew(t, s.Addr, Options{}, nil)

	s.SetMode(dnstest.TruncateUDP)
	r := exchange(t, up, query("example.org.", dns.TypeA))
	wantA(t, r, "192.0.2.1")
	if r.Truncated || s.Queries() != 2 || s.Conns() != 1 {
		t.Fatalf("TC=%v queries=%d conns=%d, want a full reply after one UDP and one TCP query",
			r.Truncated, s.Queries(), s.Conns())
	}

	// A real large answer: truncated to 1232 bytes over UDP, whole over TCP.
	s.SetMode(dnstest.Normal)
	r = exchange(t, up, query("big.test.", dns.TypeTXT))
	if r.Truncated || len(r.Answer) != 30 {
		t.Fatalf("big.test: TC=%v with %d answers, want 30", r.Truncated, len(r.Answer))
	}
}

func TestReplyMustMatch(t *testing.T) {
	s := dnstest.NewServer(t)
	s.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := dnstest.DefaultHandler(q)
		r.Question[0].Name = "other.test."
		return r
	})
	// UDP: a mismatched packet is ignored, so the exchange times out.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if r, err := mustNew(t, s.Addr, Options{}, nil).Exchange(ctx, query("a.test.", dns.TypeA)); err == nil {
		t.Fatalf("udp: mismatched reply accepted: %v", r)
	}
	// TCP: a mismatch is an error at once.
	start := time.Now()
	if r, err := mustNew(t, "tcp://"+s.Addr, Options{}, nil).Exchange(context.Background(), query("a.test.", dns.TypeA)); err == nil {
		t.Fatalf("tcp: mismatched reply accepted: %v", r)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("tcp mismatch took %v", el)
	}
}
