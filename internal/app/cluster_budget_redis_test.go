//go:build redis

package app

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/cluster/redistest"
)

// TestTwoNodesOneBudget: a child's lookups spread over two Hearths sharing
// one real redis-server use one daily budget of two minutes. Each Hearth
// answers real DNS on its own port; both run on one injected clock (two
// processes could not share it, and real minutes would make the test wait
// on the wall clock), and each syncs with Redis when the test says so.
// Minute m: lookups on both nodes, counted once (counted per node and
// added, B would find the budget used up in m+1). Minute m+1: lookups on B
// only. From m+2 the budget is used up on A too, which knows minute m+1
// only through Redis.
func TestTwoNodesOneBudget(t *testing.T) {
	srv := redistest.Start(t)
	up := upstreamAnswering(t, "192.0.2.1")
	london, _ := time.LoadLocation("Europe/London")
	clk := clocktest.New(time.Date(2026, 12, 4, 16, 0, 10, 0, london))
	start := func(node string) (*Hearth, string) {
		dir := t.TempDir()
		yaml := "listen: [\"127.0.0.1:0\"]\nallow_clients: [127.0.0.0/8]\nstate_dir: " + filepath.Join(dir, "state") + "\n" +
			"timezone: Europe/London\nupstreams:\n  servers: [\"udp://" + up.Addr + "\"]\n  timeout: 1s\n" +
			"people:\n  - {name: alex, devices: [alex-tablet], group: kids}\n" +
			"devices:\n  - {name: alex-tablet, ip: [127.0.0.2]}\n" +
			"groups:\n  kids:\n    budgets:\n      - {what: [gaming], daily: 2m}\n" +
			"journal: {enabled: false}\nweb: {enabled: false}\n" +
			"state: {redis: \"" + srv.URL(0) + "\", node: " + node + "}\n"
		h := startAt(t, dir, yaml, clk)
		t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
		return h, h.Addrs()[0].String()
	}
	a, addrA := start("pi-kitchen")
	b, addrB := start("pi-attic")
	sync := func(hs ...*Hearth) {
		t.Helper()
		for _, h := range hs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := h.cluster.SyncNow(ctx)
			cancel()
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
		}
	}
	i := 0
	ask := func(addr string, want int) *dns.Msg {
		t.Helper()
		i++
		m := new(dns.Msg).SetQuestion(dns.Fqdn("g"+string(rune('a'+i%26))+".roblox.com"), dns.TypeA)
		m.SetEdns0(1232, false)
		c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.2")}}}
		r, _, err := c.Exchange(m, addr)
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != want {
			t.Fatalf("%s at %s: lookup %d = %s, want %s", addr, clk.Now().Format("15:04:05"), i,
				dns.RcodeToString[r.Rcode], dns.RcodeToString[want])
		}
		return r
	}

	// Minute m (16:00): on both nodes.
	ask(addrA, dns.RcodeSuccess)
	ask(addrB, dns.RcodeSuccess)
	clk.Advance(30 * time.Second)
	ask(addrA, dns.RcodeSuccess)
	ask(addrB, dns.RcodeSuccess)
	sync(a, b, a)
	// Minute m+1 (16:01): on B only; one minute used so far, not two.
	clk.Advance(30 * time.Second)
	ask(addrB, dns.RcodeSuccess)
	clk.Advance(30 * time.Second)
	ask(addrB, dns.RcodeSuccess)
	sync(b, a)
	// m+2 (16:02): used up on A, from B's minute.
	clk.Advance(30 * time.Second)
	r := ask(addrA, dns.RcodeNameError)
	var ede string
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				ede = e.ExtraText
			}
		}
	}
	if !strings.Contains(ede, "gaming: 2 of 2 minutes used today") {
		t.Errorf("A's answer for a spent budget: EDE %q", ede)
	}
	ask(addrB, dns.RcodeNameError)
	if got := askFrom(t, "127.0.0.2", addrA, "www.example.org"); got != dns.RcodeSuccess {
		t.Errorf("A, a name outside the budget: %s", dns.RcodeToString[got])
	}
}
