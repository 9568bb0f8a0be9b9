package upstream

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/dnstest"
)

// observed records Options.Observe calls as "addr ok" / "addr failed".
type observed struct {
	mu    sync.Mutex
	calls []string
}

func (o *observed) observe(addr string, d time.Duration, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := addr + " ok"
	if failed {
		s = addr + " failed"
	}
	if d <= 0 || d > 5*time.Second {
		s += " (bad duration)"
	}
	o.calls = append(o.calls, s)
}

func (o *observed) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.calls
	o.calls = nil
	return out
}

// TestGroupObserve: each attempt is reported with its server's address as
// configured; an attempt abandoned because the caller gave up is not.
func TestGroupObserve(t *testing.T) {
	t.Parallel()
	bad, good := dnstest.NewServer(t), dnstest.NewServer(t)
	bad.SetMode(dnstest.ServFail)
	obs := &observed{}
	g := mustGroup(t, Config{Servers: []string{bad.Addr, "udp://" + good.Addr}, Strategy: StrategyOrdered, Timeout: time.Second},
		Options{Observe: obs.observe})
	groupExchange(t, g, query("a.test.", dns.TypeA))
	if got, want := obs.take(), []string{bad.Addr + " failed", "udp://" + good.Addr + " ok"}; !slices.Equal(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}

	// The caller's context ends while the only server is silent.
	silent := dnstest.NewServer(t)
	silent.SetMode(dnstest.Drop)
	g = mustGroup(t, Config{Servers: []string{silent.Addr}, Strategy: StrategyOrdered, Timeout: 5 * time.Second},
		Options{Observe: obs.observe})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.Exchange(ctx, query("b.test.", dns.TypeA)); err == nil {
		t.Fatal("no error from a silent server")
	}
	if got := obs.take(); len(got) != 0 {
		t.Errorf("observed %q for an abandoned attempt, want nothing", got)
	}

	// Without Observe, nothing breaks.
	g = mustGroup(t, Config{Servers: []string{good.Addr}}, Options{})
	groupExchange(t, g, query("c.test.", dns.TypeA))
}
