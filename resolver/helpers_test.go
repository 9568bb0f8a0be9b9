package resolver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock"
	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/resolver/upstream"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// testConfig is a loopback-only configuration forwarding to the given upstreams.
func testConfig(upstreams ...string) Config {
	return Config{
		Listen:       []string{"127.0.0.1:0"},
		AllowClients: []string{"127.0.0.0/8", "::1/128"},
		UDPSize:      1232,
		Upstreams:    upstream.Config{Servers: upstreams, Strategy: "ordered", Timeout: 400 * time.Millisecond},
		Cache: CacheConfig{Size: 1000, MaxTTL: 24 * time.Hour, NegativeTTL: time.Hour,
			Prefetch: true, ServeStale: true, StaleMaxAge: 24 * time.Hour},
		Local: LocalConfig{Domains: []string{"lan"}},
	}
}

// start runs a Hearth server for the test and returns its address.
func start(t testing.TB, cfg Config, clk clock.Clock) (*Server, string) {
	t.Helper()
	return startWith(t, cfg, Options{Clock: clk})
}

func startWith(t testing.TB, cfg Config, opts Options) (*Server, string) {
	t.Helper()
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, s.Addrs()[0].String()
}

// upstreamAndServer starts a test upstream and a Hearth server in front of it,
// on a fake clock.
func upstreamAndServer(t testing.TB, tweak func(*Config)) (*dnstest.Server, *Server, string, *clocktest.Fake) {
	t.Helper()
	up := dnstest.NewServer(t)
	cfg := testConfig("udp://" + up.Addr)
	if tweak != nil {
		tweak(&cfg)
	}
	clk := clocktest.New(t0)
	s, addr := start(t, cfg, clk)
	return up, s, addr, clk
}

type qopt func(*dns.Msg, *dns.Client)

func withEDNS(size uint16, do bool) qopt {
	return func(m *dns.Msg, _ *dns.Client) { m.SetEdns0(size, do) }
}

func overTCP() qopt { return func(_ *dns.Msg, c *dns.Client) { c.Net = "tcp" } }

// ask sends one query with a real client and fails the test on a network error.
func ask(t testing.TB, addr, name string, qtype uint16, opts ...qopt) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
	for _, o := range opts {
		o(m, c)
	}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	if r.Id != m.Id {
		t.Fatalf("reply ID %d, want %d", r.Id, m.Id)
	}
	return r
}

// askRaw sends raw bytes over UDP and returns the raw reply, or nil after timeout.
func askRaw(t testing.TB, addr string, pkt []byte, timeout time.Duration) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(pkt); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

func firstA(t testing.TB, m *dns.Msg) *dns.A {
	t.Helper()
	for _, rr := range m.Answer {
		if a, ok := rr.(*dns.A); ok {
			return a
		}
	}
	t.Fatalf("no A record in %v", m)
	return nil
}

// eventually checks cond every few milliseconds until it holds, failing the
// test if it does not within two seconds: for what happens on another
// goroutine (a prefetch, a query reaching the upstream), the test waits for
// the effect rather than for a fixed time.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(2 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// newEngine is a policy engine for the household blocking b (in UTC, no
// groups), with listCats as the configured lists' categories.
func newEngine(t testing.TB, b policy.BlockingConfig, listCats ...string) *policy.Engine {
	t.Helper()
	cfg := policy.Config{Timezone: "UTC", Blocking: b, Identify: policy.IdentifyConfig{Refresh: time.Minute}}
	e, err := policy.NewEngine(cfg, policy.Options{ListCategories: listCats})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
