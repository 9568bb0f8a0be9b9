package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dns/hearth/internal/clock/clocktest"
	"github.com/hearth-dns/hearth/journal"
	"github.com/hearth-dns/hearth/policy/verdict"
)

// floodWeek records into a journal at path, with the clock at the week's
// end: Emma's phone trying Discord at bedtime on Monday (60 tries), then a
// flood of made-up names under roblox.com from alex-tablet, A and AAAA
// each, n names over span from start. It returns the report of the week,
// read back as `hearth report` does.
func floodWeek(t *testing.T, cfg journal.Config, n int, start time.Time, span time.Duration) (r *Report, text string, rows int) {
	t.Helper()
	loc := london(t)
	since, until := weekSince(loc), weekUntil(loc)
	cfg.Path = filepath.Join(t.TempDir(), "journal.db")
	cfg.Queue, cfg.FlushInterval, cfg.RetentionDays = 1<<18, 10*time.Millisecond, 60
	clk := clocktest.New(until.Add(-time.Hour))
	j := journal.Open(cfg, journal.Options{Logger: zerolog.Nop(), Clock: clk})
	emma := netip.MustParseAddr("192.168.1.20")
	for i := range 60 {
		j.Record(journal.Event{
			Time: since.Add(21*time.Hour + time.Duration(i)*time.Minute), Device: "emma-phone", Group: "kids",
			Client: emma, Name: "discord.com", Qtype: 1, Action: journal.ActionBlock, Reason: verdict.ReasonBedtime,
			Category: "chat", Service: "discord", Rule: "groups.kids.bedtime", Response: "nxdomain",
		})
	}
	alex := netip.MustParseAddr("192.168.1.30")
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range n {
		name := fmt.Sprintf("%08x%04x.roblox.com", rng.Uint32(), rng.Uint32()&0xffff)
		at := start.Add(span * time.Duration(i) / time.Duration(n))
		for _, qtype := range []uint16{1, 28} {
			j.Record(journal.Event{
				Time: at, Device: "alex-tablet", Group: "kids", Client: alex, Name: name, Qtype: qtype,
				Action: journal.ActionBlock, Reason: verdict.ReasonRule, Category: "gaming", Service: "roblox",
				List: "builtin", Rule: "groups.kids.rules[0]", Response: "nxdomain",
			})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Dropped != 0 {
		t.Fatalf("dropped %d lookups", st.Dropped)
	}
	rd, err := journal.OpenReader(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	all, err := rd.Rows(ctx, journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	r, err = Build(ctx, rd, Options{Since: since, Until: until, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Text(&b); err != nil {
		t.Fatal(err)
	}
	return r, b.String(), len(all)
}

func deviceNamed(r *Report, name string) *Device {
	for i := range r.Devices {
		if r.Devices[i].Name == name {
			return &r.Devices[i]
		}
	}
	return nil
}

func categoryCount(d *Device, id string) int64 {
	for _, c := range d.Categories {
		if c.ID == id {
			return c.Attempts
		}
	}
	return 0
}

// 30,000 made-up names in 4 seconds under a 2 MB cap: Emma's bedtime tries
// are still in the report, alex-tablet's are counted in full, and the
// report says the flood was folded.
func TestReportFloodFolded(t *testing.T) {
	t.Parallel()
	loc := london(t)
	cfg := journal.Config{MaxSizeMB: 2, Flood: journal.FloodConfig{NamesPerMinute: 120}}
	r, text, _ := floodWeek(t, cfg, 30_000, weekSince(loc).Add(3*24*time.Hour+15*time.Hour), 4*time.Second)
	emma, alex := deviceNamed(r, "emma-phone"), deviceNamed(r, "alex-tablet")
	if emma == nil || emma.Blocked != 60 || emma.When.Bedtime != 60 || categoryCount(emma, "chat") != 60 {
		t.Errorf("emma-phone: %+v", emma)
	}
	if alex == nil || alex.Blocked != 30_000 || categoryCount(alex, "gaming") != 30_000 {
		t.Fatalf("alex-tablet: %+v", alex)
	}
	want := "alex-tablet looked up 29,880 made-up names under roblox.com in 4 seconds (folded)"
	if len(alex.Floods) != 1 || alex.Floods[0].Text != want || alex.Floods[0].Names != 29_880 {
		t.Errorf("floods: %+v; want %q", alex.Floods, want)
	}
	if !strings.Contains(strings.Join(strings.Fields(text), " "), want+".") {
		t.Errorf("the text does not say the flood was folded:\n%s", text)
	}
	var page bytes.Buffer
	if err := r.HTML(&page); err != nil || !strings.Contains(page.String(), want) {
		t.Errorf("the page does not say the flood was folded (%v)", err)
	}
}

// Without a budget, 12,000 names over two days under a 1 MB cap: the
// journal prunes alex-tablet's rows, but the report's counts come from the
// totals kept apart, and Emma's rows stay.
func TestReportSurvivesPruning(t *testing.T) {
	t.Parallel()
	loc := london(t)
	cfg := journal.Config{MaxSizeMB: 1}
	r, text, rows := floodWeek(t, cfg, 12_000, weekSince(loc).Add(2*24*time.Hour), 48*time.Hour)
	if rows >= 12_000 {
		t.Fatalf("%d rows: nothing was pruned", rows)
	}
	emma, alex := deviceNamed(r, "emma-phone"), deviceNamed(r, "alex-tablet")
	if emma == nil || emma.Blocked != 60 || categoryCount(emma, "chat") != 60 || emma.When.Bedtime != 60 {
		t.Errorf("emma-phone: %+v", emma)
	}
	if alex == nil || alex.Blocked != 12_000 || categoryCount(alex, "gaming") != 12_000 || alex.When.Anytime != 12_000 {
		t.Errorf("alex-tablet after pruning: %+v\n%s", alex, text)
	}
	var hours int64
	for _, h := range alex.Hours {
		hours += h
	}
	if hours != 12_000 {
		t.Errorf("alex-tablet's hours add up to %d", hours)
	}
}
