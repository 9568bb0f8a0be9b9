package dnstest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func query(name string, t uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, t)
	return q
}

func TestServerPlain(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	for _, net := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: net, Timeout: 2 * time.Second}
		r, _, err := c.Exchange(query("example.org.", dns.TypeA), s.Addr)
		if err != nil {
			t.Fatalf("%s: %v", net, err)
		}
		if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "192.0.2.1" {
			t.Fatalf("%s: answer %v", net, r.Answer)
		}
	}
	if s.Queries() != 2 || s.Conns() != 1 {
		t.Fatalf("queries %d conns %d, want 2 and 1", s.Queries(), s.Conns())
	}
	if lq := s.LastQuery(); lq == nil || lq.Question[0].Name != "example.org." {
		t.Fatalf("last query %v", lq)
	}
}

func TestServerModes(t *testing.T) {
	s := NewServer(t)
	udp := &dns.Client{Timeout: 300 * time.Millisecond}
	tcp := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}

	r, _, err := udp.Exchange(query("x.nx.test.", dns.TypeA), s.Addr)
	if err != nil || r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
		t.Fatalf("nx: %v %v", r, err)
	}

	big := query("big.test.", dns.TypeTXT)
	big.SetEdns0(1232, true)
	r, _, err = udp.Exchange(big, s.Addr)
	if err != nil || !r.Truncated {
		t.Fatalf("big over udp: want TC, got %v %v", r, err)
	}
	r, _, err = tcp.Exchange(big, s.Addr)
	if err != nil || r.Truncated || len(r.Answer) != 30 || r.IsEdns0() == nil || !r.IsEdns0().Do() {
		t.Fatalf("big over tcp: %v %v", r, err)
	}

	s.SetMode(TruncateUDP)
	r, _, err = udp.Exchange(query("a.test.", dns.TypeA), s.Addr)
	if err != nil || !r.Truncated || len(r.Answer) != 0 {
		t.Fatalf("truncate udp: %v %v", r, err)
	}
	r, _, err = tcp.Exchange(query("a.test.", dns.TypeA), s.Addr)
	if err != nil || r.Truncated || len(r.Answer) != 1 {
		t.Fatalf("truncate tcp: %v %v", r, err)
	}

	s.SetMode(ServFail)
	if r, _, err = udp.Exchange(query("a.test.", dns.TypeA), s.Addr); err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("servfail: %v %v", r, err)
	}
	s.SetMode(Refused)
	if r, _, err = udp.Exchange(query("a.test.", dns.TypeA), s.Addr); err != nil || r.Rcode != dns.RcodeRefused {
		t.Fatalf("refused: %v %v", r, err)
	}
	s.SetMode(Drop)
	if _, _, err = udp.Exchange(query("a.test.", dns.TypeA), s.Addr); err == nil {
		t.Fatal("drop: got a reply")
	}

	s.SetMode(Normal)
	s.SetDelay(150 * time.Millisecond)
	start := time.Now()
	if _, _, err = tcp.Exchange(query("a.test.", dns.TypeA), s.Addr); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("delay: replied after %v", el)
	}
	s.SetDelay(0)

	s.SetHandler(func(q *dns.Msg) *dns.Msg {
		r := new(dns.Msg).SetRcode(q, dns.RcodeNameError)
		return r
	})
	if r, _, err = udp.Exchange(query("a.test.", dns.TypeA), s.Addr); err != nil || r.Rcode != dns.RcodeNameError {
		t.Fatalf("handler: %v %v", r, err)
	}
	s.SetHandler(nil)
	if r, _, err = udp.Exchange(query("a.test.", dns.TypeA), s.Addr); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("default handler: %v %v", r, err)
	}
}

func TestDoT(t *testing.T) {
	t.Parallel()
	ca := NewCA(t)
	s := NewDoT(t, ca)
	c := &dns.Client{Net: "tcp-tls", Timeout: 2 * time.Second,
		TLSConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "dns.test"}}
	r, _, err := c.Exchange(query("a.test.", dns.TypeAAAA), s.Addr)
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("%v %v", r, err)
	}
	if s.Conns() != 1 {
		t.Fatalf("conns %d", s.Conns())
	}
}

func TestDoH(t *testing.T) {
	t.Parallel()
	ca := NewCA(t)
	s := NewDoH(t, ca)
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool},
		ForceAttemptHTTP2: true,
	}, Timeout: 2 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)

	q := query("a.test.", dns.TypeA)
	q.Id = 0
	wire, _ := q.Pack()
	post := func() *http.Response {
		resp, err := hc.Post(s.URL, "application/dns-message", bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	check := func(resp *http.Response, rcode int) {
		t.Helper()
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		r := new(dns.Msg)
		if resp.StatusCode != 200 || r.Unpack(b) != nil || r.Rcode != rcode {
			t.Fatalf("status %d reply %v", resp.StatusCode, r)
		}
	}
	check(post(), dns.RcodeSuccess)
	if s.HTTPProtoMajor() != 2 {
		t.Fatalf("proto %d", s.HTTPProtoMajor())
	}
	resp, err := hc.Get(s.URL + "?dns=" + base64.RawURLEncoding.EncodeToString(wire))
	if err != nil {
		t.Fatal(err)
	}
	check(resp, dns.RcodeSuccess)
	s.SetMode(ServFail)
	check(post(), dns.RcodeServerFailure)
	if s.Conns() != 1 || s.Queries() != 3 {
		t.Fatalf("conns %d queries %d", s.Conns(), s.Queries())
	}

	s.SetMode(Drop)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(wire))
	req.Header.Set("Content-Type", "application/dns-message")
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("drop: got a response")
	}
}
