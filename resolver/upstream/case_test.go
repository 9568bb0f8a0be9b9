package upstream

import (
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// caseRecorder answers with DefaultHandler after transform has rewritten the
// query's question (as a server that mangles case would), recording the
// names it was asked.
type caseRecorder struct {
	mu    sync.Mutex
	names []string
}

func (c *caseRecorder) handler(transform func(string, int) string) func(*dns.Msg) *dns.Msg {
	return func(q *dns.Msg) *dns.Msg {
		c.mu.Lock()
		n := len(c.names)
		c.names = append(c.names, q.Question[0].Name)
		c.mu.Unlock()
		q.Question[0].Name = transform(q.Question[0].Name, n)
		return dnstest.DefaultHandler(q)
	}
}

func (c *caseRecorder) asked() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.names...)
}

const longName = "www.some-rather-long-name.example.org." // 28 letters: 1 in 2^28 to come out lowercase

// TestCase0x20Echoed: toward a server that keeps case the question goes out
// in random case and the answer comes back with the name as it was asked.
func TestCase0x20Echoed(t *testing.T) {
	s := dnstest.NewServer(t)
	var rec caseRecorder
	s.SetHandler(rec.handler(func(n string, _ int) string { return n }))
	up := mustNew(t, "udp://"+s.Addr, Options{}, nil)
	for range 3 {
		r := exchange(t, up, query(longName, dns.TypeA))
		wantA(t, r, "192.0.2.1")
		if r.Question[0].Name != longName || r.Answer[0].Header().Name != longName {
			t.Errorf("reply question %q, owner %q; want the name as asked, %q", r.Question[0].Name, r.Answer[0].Header().Name, longName)
		}
	}
	names := rec.asked()
	if len(names) != 3 || names[0] == names[1] || names[0] == longName || !strings.EqualFold(names[0], longName) {
		t.Errorf("server asked %q; want three queries, each in its own random case", names)
	}
	if up.(*plain).noCase.Load() {
		t.Error("0x20 turned off for a server that keeps case")
	}
}

// TestCase0x20Lowercased: a server that lowercases every question is found
// out on the first query (asked twice), answered, and then asked without
// random case.
func TestCase0x20Lowercased(t *testing.T) {
	s := dnstest.NewServer(t)
	var rec caseRecorder
	s.SetHandler(rec.handler(func(n string, _ int) string { return strings.ToLower(n) }))
	up := mustNew(t, "udp://"+s.Addr, Options{}, nil)
	for range 3 {
		r := exchange(t, up, query(longName, dns.TypeA))
		wantA(t, r, "192.0.2.1")
		if r.Question[0].Name != longName {
			t.Errorf("reply question %q, want %q", r.Question[0].Name, longName)
		}
	}
	names := rec.asked()
	if len(names) != 4 || names[2] != longName || names[3] != longName {
		t.Errorf("server asked %q; want twice in random case (the first query), then as it is", names)
	}
	if !up.(*plain).noCase.Load() {
		t.Error("0x20 still on for a server that lowercases")
	}
}

// TestCase0x20SpoofIgnored: a reply with the right ID and the wrong case
// (as a spoofer who guessed the ID would send) is not taken: the query is
// asked again, and 0x20 stays on when the server then keeps case.
func TestCase0x20SpoofIgnored(t *testing.T) {
	s := dnstest.NewServer(t)
	var rec caseRecorder
	s.SetHandler(rec.handler(func(n string, i int) string {
		if i == 0 {
			return strings.ToUpper(n) // the "spoofed" first reply
		}
		return n
	}))
	up := mustNew(t, "udp://"+s.Addr, Options{}, nil)
	r := exchange(t, up, query(longName, dns.TypeA))
	wantA(t, r, "192.0.2.1")
	if n := len(rec.asked()); n != 2 {
		t.Errorf("server asked %d times, want 2 (the wrong-case reply ignored, the query asked again)", n)
	}
	if up.(*plain).noCase.Load() {
		t.Error("one wrong-case reply turned 0x20 off")
	}
}

// TestCase0x20NotOverTCP: TCP (a connection, no spoofing off-path) carries
// the question as it is.
func TestCase0x20NotOverTCP(t *testing.T) {
	s := dnstest.NewServer(t)
	var rec caseRecorder
	s.SetHandler(rec.handler(func(n string, _ int) string { return n }))
	up := mustNew(t, "tcp://"+s.Addr, Options{}, nil)
	wantA(t, exchange(t, up, query(longName, dns.TypeA)), "192.0.2.1")
	if got := rec.asked(); len(got) != 1 || got[0] != longName {
		t.Errorf("over TCP the server was asked %q, want %q", got, longName)
	}
}

func TestRandomCase(t *testing.T) {
	for _, n := range []string{"a.b.", "1.0.0.127.in-addr.arpa.", "xn--bcher-kva.example.", "."} {
		if got := randomCase(n); !strings.EqualFold(got, n) || len(got) != len(n) {
			t.Errorf("randomCase(%q) = %q", n, got)
		}
	}
}
