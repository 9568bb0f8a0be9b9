package resolver

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/policy"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), substr)
}

// TestBlockedLogLinesLimitedPerDevice: a flood of made-up blocked names
// from one device writes at most logLinesPerWindow "blocked" lines a minute,
// and once the minute is over one line says how many were left out; another
// device's lines still get through.
func TestBlockedLogLinesLimitedPerDevice(t *testing.T) {
	var out syncBuffer
	clk := clocktest.New(t0)
	engine := newEngine(t, policy.BlockingConfig{Block: []string{"flood.example"}, Response: policy.ResponseNXDomain, TTL: 10 * time.Second})
	up := dnstest.NewServer(t)
	s, addr := startWith(t, testConfig("udp://"+up.Addr), Options{Policy: engine, Clock: clk,
		Logger: zerolog.New(&out).Level(zerolog.DebugLevel)})
	const n = 200
	for i := range n {
		if r := ask(t, addr, fmt.Sprintf("r%d.flood.example.", i), dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Fatalf("query %d not blocked: %v", i, r)
		}
	}
	// A line may be written just after its answer is sent: wait for the
	// count, then make sure no more come.
	eventually(t, "the first minute's blocked lines", func() bool { return out.lines(`"message":"blocked"`) >= logLinesPerWindow })
	if got := out.lines(`"message":"blocked"`); got != logLinesPerWindow {
		t.Errorf("%d blocked lines for %d blocked lookups from one device, want %d", got, n, logLinesPerWindow)
	}
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	other := new(dns.Msg)
	other.SetQuestion("x.flood.example.", dns.TypeA)
	c.Dialer = dialFrom("127.0.0.6")
	if _, _, err := c.Exchange(other, addr); err != nil {
		t.Fatal(err)
	}
	eventually(t, "another client's blocked line", func() bool { return out.lines(`"message":"blocked"`) == logLinesPerWindow+1 })

	// The minute ends: the periodic tick sums up what was left out.
	if !clk.WaitTimers(1, 2*time.Second) {
		t.Fatal("the log limit's tick is not waiting")
	}
	clk.Advance(logWindow)
	want := fmt.Sprintf("suppressed %d lines for client 127.0.0.1", n-logLinesPerWindow)
	eventually(t, "the summary line", func() bool { return out.lines(want) == 1 })
	if got := s.Stats().LogSuppressed; got != n-logLinesPerWindow {
		t.Errorf("Stats().LogSuppressed = %d, want %d", got, n-logLinesPerWindow)
	}
	// A new minute: lines get through again.
	ask(t, addr, "again.flood.example.", dns.TypeA)
	eventually(t, "the new minute's blocked line", func() bool { return out.lines(`"message":"blocked"`) == logLinesPerWindow+2 })
}

// dialFrom is a dialer whose queries come from the loopback address ip.
func dialFrom(ip string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(ip)}}
}
