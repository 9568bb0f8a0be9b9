package resolver

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/internal/dnstest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
	"github.com/hearth-dns/hearth/policy/policytest"
	"github.com/hearth-dns/hearth/policy/verdict"
	"github.com/hearth-dns/hearth/policy/words"
)

// TestRewriteJournaled asks a real server on loopback, in front of a real
// local upstream, for a search engine that a group with log_allowed has on
// safe search: the rewrite is answered, reaches the real journal as an
// allowed lookup whose reason is safe-search, and reads back as such. A
// group without log_allowed keeps it out of the journal.
func TestRewriteJournaled(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // a Thursday, no bedtime
	clk := clocktest.New(now)
	cfg := policy.Config{
		Timezone: "Europe/London",
		Blocking: policy.BlockingConfig{Response: policy.ResponseNXDomain, TTL: 10 * time.Second},
		Identify: policy.IdentifyConfig{Refresh: time.Minute},
		Devices:  []policy.DeviceConfig{{Name: "kid-laptop", IP: []string{"127.0.0.1"}, Group: "kids"}},
		Groups: map[string]policy.GroupConfig{
			"kids": {SafeSearch: policy.SafeSearchStrict, LogAllowed: true},
		},
	}
	engine := policytest.Engine(t, cfg, clk)
	up := dnstest.NewServer(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	j := journal.Open(journal.Config{Path: path, Queue: 1000, FlushInterval: time.Hour},
		journal.Options{Logger: zerolog.Nop(), Clock: clk})
	_, addr := startWith(t, testConfig("udp://"+up.Addr), Options{Clock: clk, Policy: engine, Journal: j})

	m := ask(t, addr, "www.google.com.", dns.TypeA)
	if len(m.Answer) == 0 {
		t.Fatalf("no answer: %v", m)
	}
	if cn, ok := m.Answer[0].(*dns.CNAME); !ok || cn.Target != "forcesafesearch.google.com." {
		t.Fatalf("www.google.com not rewritten: %v", m)
	}

	// Without log_allowed the rewrite is not kept.
	kids := cfg.Groups["kids"]
	kids.LogAllowed = false
	cfg.Groups["kids"] = kids
	if err := engine.SetConfig(cfg, nil); err != nil {
		t.Fatal(err)
	}
	ask(t, addr, "www.bing.com.", dns.TypeA)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.Rows(ctx, journal.Filter{Action: journal.OnlyAllowed})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("journal holds %d allowed rows, want the one rewrite: %+v", len(rows), rows)
	}
	got := rows[0]
	if got.Name != "www.google.com" || got.Device != "kid-laptop" || got.Action != verdict.Allow ||
		got.Reason != verdict.ReasonSafeSearch || got.Rule != "groups.kids.safe_search" || got.Attempts != 1 {
		t.Errorf("rewrite journaled as %+v", got)
	}
	f := got.Facts()
	if w := words.LogWhy(&f); w != "rewritten to safe search" {
		t.Errorf("hearth log says %q for it", w)
	}
	if w := words.Reason(got.Reason); w != "safe search" {
		t.Errorf("the dashboard says %q for it", w)
	}
}
