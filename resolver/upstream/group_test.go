package upstream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/miekg/dns"
)

func groupExchange(t *testing.T, g *Group, q *dns.Msg) (*dns.Msg, time.Duration) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := g.Exchange(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return r, time.Since(start)
}

func TestGroupFailover(t *testing.T) {
	const timeout = 300 * time.Millisecond
	failures := map[string]func(t *testing.T) string{
		"servfail": func(t *testing.T) string {
			s := dnstest.NewServer(t)
			s.SetMode(dnstest.ServFail)
			return s.Addr
		},
		"refused": func(t *testing.T) string {
			s := dnstest.NewServer(t)
			s.SetMode(dnstest.Refused)
			return s.Addr
		},
		"timeout": func(t *testing.T) string {
			s := dnstest.NewServer(t)
			s.SetMode(dnstest.Drop)
			return s.Addr
		},
		"dead": deadAddr,
	}
	for name, bad := range failures {
		for _, strategy := range []string{StrategyOrdered, StrategyFastest} {
			t.Run(name+"/"+strategy, func(t *testing.T) {
				t.Parallel()
				good := dnstest.NewServer(t)
				// Two bad servers first, so "fastest" must go past its race.
				cfg := Config{Servers: []string{bad(t), bad(t), good.Addr}, Strategy: strategy, Timeout: timeout}
				g := mustGroup(t, cfg, Options{})
				r, el := groupExchange(t, g, query("example.org.", dns.TypeA))
				wantA(t, r, "192.0.2.1")
				if el > 3*time.Second {
					t.Fatalf("took %v", el)
				}
				st := g.Stats()
				if st[0].Errors != 1 || st[1].Errors != 1 || st[2].Errors != 0 || st[2].Queries != 1 {
					t.Fatalf("stats %+v", st)
				}
			})
		}
	}
}

// Serial: its dead addresses are ports just closed, which a parallel test's
// server could bind.
func TestGroupAllFail(t *testing.T) {
	a, b := dnstest.NewServer(t), dnstest.NewServer(t)
	a.SetMode(dnstest.ServFail)
	b.SetMode(dnstest.Refused)
	for _, strategy := range []string{StrategyOrdered, StrategyFastest} {
		g := mustGroup(t, Config{Servers: []string{a.Addr, b.Addr}, Strategy: strategy, Timeout: time.Second}, Options{})
		r, _ := groupExchange(t, g, query("example.org.", dns.TypeA))
		if r.Rcode != dns.RcodeServerFailure && r.Rcode != dns.RcodeRefused {
			t.Fatalf("%s: rcode %s, want the last failed reply", strategy, dns.RcodeToString[r.Rcode])
		}
	}
	// Ordered: the last reply is the second server's.
	g := mustGroup(t, Config{Servers: []string{a.Addr, b.Addr}, Strategy: StrategyOrdered, Timeout: time.Second}, Options{})
	if r, _ := groupExchange(t, g, query("example.org.", dns.TypeA)); r.Rcode != dns.RcodeRefused {
		t.Fatalf("rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}

	dead1, dead2 := deadAddr(t), deadAddr(t)
	g = mustGroup(t, Config{Servers: []string{dead1, dead2}, Timeout: time.Second}, Options{})
	_, err := g.Exchange(context.Background(), query("example.org.", dns.TypeA))
	if err == nil || !strings.Contains(err.Error(), dead1) || !strings.Contains(err.Error(), dead2) {
		t.Fatalf("err = %v, want both servers named", err)
	}
}

func TestGroupTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	s1, s2 := dnstest.NewServer(t), dnstest.NewServer(t)
	s1.SetMode(dnstest.Drop)
	s2.SetMode(dnstest.Drop)
	tests := []struct {
		name     string
		cfg      Config
		min, max time.Duration
	}{
		{"single", Config{Servers: []string{s1.Addr}, Timeout: timeout}, timeout, timeout + time.Second},
		{"ordered", Config{Servers: []string{s1.Addr, s2.Addr}, Strategy: StrategyOrdered, Timeout: timeout},
			2 * timeout, 2*timeout + time.Second},
		{"fastest races", Config{Servers: []string{s1.Addr, s2.Addr}, Timeout: timeout}, timeout, timeout + time.Second},
	}
	for _, tt := range tests {
		g := mustGroup(t, tt.cfg, Options{})
		start := time.Now()
		_, err := g.Exchange(context.Background(), query("example.org.", dns.TypeA))
		el := time.Since(start)
		if err == nil || el < tt.min || el > tt.max {
			t.Errorf("%s: err %v after %v, want an error after %v..%v", tt.name, err, el, tt.min, tt.max)
		}
	}

	// The caller's deadline cuts the attempts short.
	g := mustGroup(t, Config{Servers: []string{s1.Addr, s2.Addr}, Timeout: 10 * time.Second}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := g.Exchange(ctx, query("example.org.", dns.TypeA)); err == nil || time.Since(start) > time.Second {
		t.Fatalf("err %v after %v, want an error after ~100ms", err, time.Since(start))
	}
}

func TestGroupFastestPrefersFaster(t *testing.T) {
	slow1, slow2, fast := dnstest.NewServer(t), dnstest.NewServer(t), dnstest.NewServer(t)
	slow1.SetDelay(100 * time.Millisecond)
	slow2.SetDelay(100 * time.Millisecond)
	g := mustGroup(t, Config{Servers: []string{slow1.Addr, slow2.Addr, fast.Addr}, Timeout: time.Second}, Options{})
	var last time.Duration
	for range 10 {
		_, last = groupExchange(t, g, query("example.org.", dns.TypeA))
	}
	if last > 80*time.Millisecond {
		t.Errorf("last query took %v, want the fast server's answer", last)
	}
	// The race losers answer later (100 ms) and are measured then.
	wantStats := func(st []Stat) bool {
		return st[2].Queries >= 9 && st[2].Latency < st[0].Latency && st[2].Latency < st[1].Latency
	}
	deadline := time.Now().Add(2 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for st := g.Stats(); !wantStats(st); st = g.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: want the fast server in almost every race and with the lowest latency", st)
		}
		<-tick.C
	}
	if order := g.order(); order[0].up.String() != fast.Addr {
		t.Errorf("best upstream %s, want %s", order[0].up, fast.Addr)
	}
}

func TestGroupScoreDecays(t *testing.T) {
	t.Parallel()
	var m member
	now := time.Now()
	m.sample(4*time.Second, now)
	if s := m.score(now.Add(halfLife)); s < 1.9 || s > 2.1 {
		t.Fatalf("score after one half-life %v, want 2", s)
	}
	m.sample(0, now.Add(halfLife))
	if s := m.score(now.Add(halfLife)); s < 1.3 || s > 1.5 {
		t.Fatalf("score after a fast sample %v, want 0.7*2 = 1.4", s)
	}
}

func TestGroupConcurrentSharedQuery(t *testing.T) {
	t.Parallel()
	s1, s2 := dnstest.NewServer(t), dnstest.NewServer(t)
	g := mustGroup(t, Config{Servers: []string{s1.Addr, "tcp://" + s2.Addr}, Timeout: time.Second}, Options{})
	q := query("example.org.", dns.TypeA)
	before := q.String()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r, err := g.Exchange(context.Background(), q)
			if err != nil || r.Id != q.Id {
				t.Errorf("reply %v, %v", r, err)
			}
		})
	}
	wg.Wait()
	if q.String() != before {
		t.Fatal("query modified")
	}
}

// TestGroupMaxInFlight: beyond max_in_flight a query fails at once with
// ErrBusy; a race's attempts hold their query's place until they end (they
// outlive it to be measured), and then free it.
func TestGroupMaxInFlight(t *testing.T) {
	a, b := dnstest.NewServer(t), dnstest.NewServer(t)
	a.SetMode(dnstest.Drop)
	b.SetMode(dnstest.Drop)
	g := mustGroup(t, Config{Servers: []string{a.Addr, b.Addr}, Strategy: StrategyFastest, Timeout: 300 * time.Millisecond, MaxInFlight: 1}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.Exchange(ctx, query("a.test.", dns.TypeA)); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("first query to silent servers: %v, want a timeout", err)
	}
	start := time.Now()
	if _, err := g.Exchange(context.Background(), query("b.test.", dns.TypeA)); !errors.Is(err, ErrBusy) {
		t.Fatalf("second query while the first's attempts run: %v, want ErrBusy", err)
	}
	if el := time.Since(start); el > 50*time.Millisecond {
		t.Errorf("ErrBusy took %v, want it at once", el)
	}
	a.SetMode(dnstest.Normal)
	b.SetMode(dnstest.Normal)
	deadline := time.Now().Add(2 * time.Second)
	for {
		r, err := g.Exchange(context.Background(), query("c.test.", dns.TypeA))
		if err == nil {
			wantA(t, r, "192.0.2.1")
			break
		}
		if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			t.Fatalf("after the attempts ended: %v, want an answer (the place freed)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
