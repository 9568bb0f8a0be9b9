package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy"
)

// TestLogPageFoldedFlood: a flood of made-up names that the journal folded
// (over journal.flood.names_per_minute) shows on the Log page as one line in
// the words of policy/words, and /api/log gives its count of names.
func TestLogPageFoldedFlood(t *testing.T) {
	f := newPagesFixture(t, pagesSetup{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.journal.Close(ctx); err != nil {
		t.Fatal(err)
	}
	j := journal.Open(journal.Config{Path: filepath.Join(f.dir, "journal.db"), Queue: 1 << 14, FlushInterval: 10 * time.Millisecond,
		Flood: journal.FloodConfig{NamesPerMinute: 20}}, journal.Options{Logger: zerolog.Nop(), Clock: f.clk})
	start := f.clk.Now().Add(-5 * time.Minute).Truncate(time.Minute)
	for i := range 1020 {
		j.Record(journal.Event{Time: start.Add(time.Duration(i) * 4 * time.Millisecond), Device: "alex-tablet", Group: "kids",
			Client: netip.MustParseAddr(pagesKidIP), Name: fmt.Sprintf("x%05d.roblox.com", i), Qtype: 1,
			Action: journal.ActionBlock, Reason: policy.ReasonRule, Category: "gaming", Service: "roblox",
			Rule: "groups.kids.rules[0]", Response: "nxdomain"})
	}
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	f.journal = f.openJournal()
	f.srv.opts.Journal = f.journal
	f.login()
	want := "alex-tablet looked up 1,000 made-up names under roblox.com in 4 seconds (folded)"
	resp, body := f.get("/log")
	wantPage(t, "/log", resp, body, 200, want)
	resp, body = f.get("/api/log")
	var got struct {
		Rows []struct {
			Name   string
			Folded int64
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/api/log: %d %v\n%s", resp.StatusCode, err, body)
	}
	var folded int64
	for _, r := range got.Rows {
		if r.Name == "*.roblox.com" {
			folded += r.Folded
		}
	}
	if len(got.Rows) != 21 || folded != 1000 {
		t.Errorf("/api/log: %d rows, %d names folded; want 21 and 1000", len(got.Rows), folded)
	}
}
